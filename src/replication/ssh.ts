// zfs on another machine through the system's OpenSSH: the remote command is one string quoted by shellCommand.
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, join} from 'node:path'
import {execInvocationRunner, type ZfsRunner} from '../zfs/command.js'
import {ZfsError} from '../zfs/errors.js'
import {ExitCode} from '../errors.js'
import {shellCommand} from './shell-quote.js'

/** The ssh command words: DCSNAP_SSH split on white space (e.g. `ssh -p 2222 -i key`), or `ssh`. */
export function sshCommandWords(env: NodeJS.ProcessEnv = process.env): string[] {
  const words = (env.DCSNAP_SSH ?? '').trim().split(/\s+/).filter(Boolean)
  return words.length > 0 ? words : ['ssh']
}

/** The zfs command words on the remote host: DCSNAP_REMOTE_ZFS split on white space (e.g. `sudo -n zfs`), or `zfs`. */
export function remoteZfsWords(env: NodeJS.ProcessEnv = process.env): string[] {
  const words = (env.DCSNAP_REMOTE_ZFS ?? '').trim().split(/\s+/).filter(Boolean)
  return words.length > 0 ? words : ['zfs']
}

/**
 * The ssh argument vector that runs `zfs ARGV` on `host`: options from the user's ssh config, the command quoted.
 * With `controlDir`, OpenSSH shares one connection between the calls of this process (ControlMaster), unless the
 * ssh command words set their own ControlPath.
 */
export function sshInvocation(
  host: string,
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  controlDir?: string,
): {file: string; args: string[]} {
  const [file, ...opts] = sshCommandWords(env)
  const share =
    controlDir !== undefined && basename(file) === 'ssh' && !opts.some(o => /control/i.test(o) || o === '-S')
      ? ['-o', 'ControlMaster=auto', '-o', `ControlPath=${join(controlDir, '%C')}`, '-o', 'ControlPersist=10']
      : []
  return {
    file,
    args: [...opts, ...share, host, '--', shellCommand(['env', 'LC_ALL=C', ...remoteZfsWords(env), ...argv])],
  }
}

let controlDir: string | undefined

/** A private directory for this process's ssh control sockets, removed when the process exits. */
export function sshControlDir(): string {
  if (controlDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'dcsnap-ssh-'))
    controlDir = dir
    process.once('exit', () => rmSync(dir, {recursive: true, force: true}))
  }
  return controlDir
}

/** ssh's own exit status for a failure to connect or authenticate (the remote command's status otherwise). */
export const SSH_FAILED = 255

/** A ZfsRunner for zfs on `host`, and the invocation for streams; an ssh failure is the typed 'unreachable' error. */
export function sshZfsRunner(
  host: string,
  env: NodeJS.ProcessEnv,
  debug?: (line: string) => void,
): {run: ZfsRunner; invocation: (argv: readonly string[]) => {file: string; args: string[]}} {
  const invocation = (argv: readonly string[]) => sshInvocation(host, argv, env, sshControlDir())
  const inner = execInvocationRunner(invocation, sshCommandWords(env), {
    env,
    debug: debug && (line => debug(`${host}: ${line}`)),
  })
  const run: ZfsRunner = async argv => {
    const r = await inner(argv)
    if (r.exitCode === SSH_FAILED) throw unreachable(host, argv, r.stderr)
    return r
  }
  return {run, invocation}
}

/** The error for an ssh that could not reach the host or run zfs there. */
export function unreachable(host: string, argv: readonly string[], stderr: string): ZfsError {
  const said = stderr.trim().split('\n').at(-1) ?? ''
  return new ZfsError(
    'unreachable',
    argv,
    stderr,
    ExitCode.failed,
    `cannot reach ${host} through ssh${said ? `: ${said}` : ''}`,
  )
}
