// Runs the zfs command (or DCSNAP_ZFS) with an argument array, never through a shell.
import {execa} from 'execa'
import {zfsErrorFor, zfsNotFound} from './errors.js'

/** What one zfs call returned. */
export interface ZfsResult {
  stdout: string
  stderr: string
  exitCode: number
}

/** Something that runs zfs; swapped in tests and by library users (e.g. to count or log calls). */
export type ZfsRunner = (argv: readonly string[]) => Promise<ZfsResult>

/** The command words for zfs: DCSNAP_ZFS split on white space (e.g. `sudo -n zfs`), or plain `zfs`. */
export function zfsCommandWords(env: NodeJS.ProcessEnv = process.env): string[] {
  const words = (env.DCSNAP_ZFS ?? '').trim().split(/\s+/).filter(Boolean)
  return words.length > 0 ? words : ['zfs']
}

/** A runner that execs the zfs command words plus argv and reports ENOENT as exit 127. */
export function execZfsRunner(words: readonly string[], debug?: (line: string) => void): ZfsRunner {
  const [file, ...prefix] = words
  return async argv => {
    debug?.(`zfs ${argv.join(' ')}`)
    const r = await execa(file, [...prefix, ...argv], {reject: false, stripFinalNewline: false, stdin: 'ignore', maxBuffer: 1024 * 1024 * 1024})
    if (r.failed && r.exitCode === undefined) {
      const cause = (r as {code?: string}).code ?? r.shortMessage
      if (cause === 'ENOENT' || cause === 'EACCES') throw zfsNotFound(words, cause)
      throw zfsNotFound(words, String(cause))
    }
    return {stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode: r.exitCode ?? 1}
  }
}

/** Runs zfs and throws the typed ZfsError when it fails; returns stdout. */
export async function runOrThrow(run: ZfsRunner, argv: readonly string[]): Promise<string> {
  const r = await run(argv)
  if (r.exitCode !== 0) throw zfsErrorFor(argv, r.stderr)
  return r.stdout
}
