// `zfs allow DATASET` output (delegated permissions) read into the `zfs allow` argument lists that grant them again:
// a line move gives the head's grants back to the dataset that takes its name.
import {zfsUnsupportedOutput} from './errors.js'

/** The `zfs allow` options for each section of the output. */
const SECTIONS: Record<string, string[]> = {
  'Local permissions:': ['-l'],
  'Descendent permissions:': ['-d'],
  'Local+Descendent permissions:': [],
}

/**
 * Parses the block of `zfs allow DATASET` output that is the dataset's own (not its parents') into argument lists
 * for `zfs allow ... DATASET` (dataset left out): permission sets first, then create-time and user, group and
 * everyone grants. `argv` names the command in errors.
 */
export function parseAllow(stdout: string, dataset: string, argv: readonly string[] = []): string[][] {
  const sets: string[][] = []
  const grants: string[][] = []
  let own = false
  let section: string | undefined
  for (const line of stdout.split('\n')) {
    if (line === '') continue
    const block = /^---- Permissions on (\S+) -*$/.exec(line)
    if (block) {
      own = block[1] === dataset
      section = undefined
      continue
    }
    if (!own) continue
    if (!line.startsWith('\t')) {
      if (line !== 'Permission sets:' && line !== 'Create time permissions:' && !(line in SECTIONS)) {
        throw zfsUnsupportedOutput(argv, 'a line is neither a permissions heading nor an indented grant', line)
      }
      section = line
      continue
    }
    const words = line.trim().split(/\s+/)
    if (section === 'Permission sets:' && words.length === 2 && words[0].startsWith('@'))
      sets.push(['-s', words[0], words[1]])
    else if (section === 'Create time permissions:' && words.length === 1) grants.push(['-c', words[0]])
    else if (section !== undefined && section in SECTIONS && words[0] === 'everyone' && words.length === 2)
      grants.push([...SECTIONS[section], '-e', words[1]])
    else if (
      section !== undefined &&
      section in SECTIONS &&
      (words[0] === 'user' || words[0] === 'group') &&
      words.length === 3
    ) {
      grants.push([...SECTIONS[section], words[0] === 'user' ? '-u' : '-g', words[1], words[2]])
    } else
      throw zfsUnsupportedOutput(
        argv,
        `a grant of a form dcsnap does not know${section ? ` under "${section}"` : ''}`,
        line,
      )
  }
  return [...sets, ...grants]
}
