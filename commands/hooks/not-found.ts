// oclif's command_not_found hook: an unknown command is invalid usage (exit 2), with the nearest command named.
import type {Hook} from '@oclif/core'

// oclif's Hook type wants a Promise; there is nothing to await (this.exit throws, though typed void).
// eslint-disable-next-line @typescript-eslint/require-await
const hook: Hook<'command_not_found'> = async function (opts) {
  // oclif joins the words typed into one id (`sandbox creat` -> sandbox:creat): try one and two words as the command.
  const words = opts.id.split(':')
  const commands = [...new Set(opts.config.commandIDs.map(id => id.replaceAll(':', ' ')))]
  const candidates = [words.slice(0, 2).join(' '), words[0]].flatMap(typed =>
    commands.map(c => ({typed, c, d: distance(typed, c)})),
  )
  const nearest = candidates.sort((a, b) => a.d - b.d)[0]
  const close = nearest && nearest.d <= Math.max(2, Math.floor(nearest.typed.length / 3))
  const typed = close ? nearest.typed : words[0]
  const guess = close ? `Did you mean \`dcsnap ${nearest.c}\`? ` : ''
  if (opts.argv?.includes('--json')) {
    process.stdout.write(
      JSON.stringify(
        {
          error: {
            code: 'UNKNOWN_COMMAND',
            message: `unknown command "${typed}"`,
            exitCode: 2,
            hint: `${guess}\`dcsnap --help\` lists the commands.`,
          },
        },
        null,
        2,
      ) + '\n',
    )
  } else {
    process.stderr.write(`error: unknown command "${typed}"\n${guess}\`dcsnap --help\` lists the commands.\n`)
  }
  this.exit(2)
}

/** Levenshtein distance between two short words. */
function distance(a: string, b: string): number {
  let row = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    row = next
  }
  return row[b.length]
}

export default hook
