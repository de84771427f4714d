// Where a benchmark's ZFS lives: zfs-fuse on this machine, or OpenZFS in the test VM (test/vm/), and how to reach it.
import {execa} from 'execa'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {repoRoot} from './paths.js'

/** What a command returned. */
export interface Result {
  stdout: string
  stderr: string
  exitCode: number
}

/** A ZFS to benchmark on. */
export interface Tier {
  kind: 'zfs-fuse' | 'openzfs'
  /** The zfs command words dcsnap gets as DCSNAP_ZFS (and the baselines run). */
  zfsWords: string[]
  /** Environment for dcsnap and the forwarders. */
  env: Record<string, string>
  /** Whether this zfs snapshots several datasets in one atomic call. */
  multiSnapshot: boolean
  zfs(args: string[]): Promise<Result>
  zpool(args: string[]): Promise<Result>
  /** Runs a program (argument array, no shell) where the datasets are mounted. */
  exec(args: string[]): Promise<Result>
  /** The words that run a program where the datasets are mounted (prefix for steps and baselines). */
  execWords: string[]
}

/** Runs a program with an argument array; never rejects. */
export async function run(file: string, args: readonly string[], env: Record<string, string> = {}): Promise<Result> {
  const r = await execa(file, args, {reject: false, stdin: 'ignore', env, maxBuffer: 1024 * 1024 * 1024})
  return {stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? 1}
}

/** Runs a program and throws with its stderr when it fails; returns stdout. */
export async function runOk(file: string, args: readonly string[], env: Record<string, string> = {}): Promise<string> {
  const r = await run(file, args, env)
  if (r.exitCode !== 0) throw new Error(`${file} ${args.join(' ')} failed (${r.exitCode}): ${r.stderr.trim()}`)
  return r.stdout
}

/** The VM's forwarders (test/vm/zfs ...). */
export function vmTool(name: string): string {
  return join(repoRoot, 'test', 'vm', name)
}

/** The run directory of the benchmark's VM (its own, never CI's): DCSNAP_VM_RUN, default /run/dcsnap-vm-bench. */
export function vmRunDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DCSNAP_BENCH_VM_RUN || '/run/dcsnap-vm-bench'
}

/** Whether the benchmark's VM is up: its qemu pid is alive (a run directory left by a killed VM is not). */
export function vmRunning(env: NodeJS.ProcessEnv = process.env): boolean {
  try {
    const pid = readFileSync(join(vmRunDir(env), 'qemu.pid'), 'utf8').trim()
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0]
    return /^\d+$/.test(pid) && state !== 'Z' && state !== 'X'
  } catch {
    return false
  }
}

/** The tier of a kind. */
export function makeTier(kind: Tier['kind']): Tier {
  if (kind === 'openzfs') {
    const env = {DCSNAP_VM_RUN: vmRunDir()}
    return {
      kind,
      env,
      multiSnapshot: true,
      zfsWords: [vmTool('zfs')],
      execWords: [vmTool('exec'), '--'],
      zfs: args => run(vmTool('zfs'), args, env),
      zpool: args => run(vmTool('zpool'), args, env),
      exec: args => run(vmTool('exec'), ['--', ...args], env),
    }
  }
  return {
    kind,
    env: {},
    multiSnapshot: false,
    zfsWords: ['zfs'],
    execWords: [],
    zfs: args => run('zfs', args),
    zpool: args => run('zpool', args),
    exec: ([file, ...args]) => run(file, args),
  }
}

/** Runs zfs on a tier and throws on failure. */
export async function zfsOk(tier: Tier, args: string[]): Promise<string> {
  return check(`zfs ${args.join(' ')}`, await tier.zfs(args))
}

/** Runs zpool on a tier and throws on failure. */
export async function zpoolOk(tier: Tier, args: string[]): Promise<string> {
  return check(`zpool ${args.join(' ')}`, await tier.zpool(args))
}

/** Runs a program where the datasets are mounted and throws on failure. */
export async function execOk(tier: Tier, args: string[]): Promise<string> {
  return check(args.join(' '), await tier.exec(args))
}

function check(what: string, r: Result): string {
  if (r.exitCode !== 0) throw new Error(`${what} failed (${r.exitCode}): ${r.stderr.trim()}`)
  return r.stdout
}

/** ZFS kind and version, e.g. `zfs-fuse 0.7.0 (pool v23)` or `OpenZFS zfs-2.3.2-2~bpo12+2 / zfs-kmod-2.3.2-...`. */
export async function zfsVersion(tier: Tier): Promise<{kind: string; version: string; detail: string}> {
  if (tier.kind === 'openzfs') {
    const text = (await zfsOk(tier, ['version'])).trim().split('\n')
    const version = /^zfs-(\d[^-\s]*)/.exec(text[0])?.[1] ?? text[0]
    return {kind: 'openzfs', version, detail: `OpenZFS ${text.join(' / ')} in the QEMU test VM (TCG)`}
  }
  const pkg = await run('dpkg-query', ['-W', '-f', '${Version}', 'zfs-fuse'])
  const pool = /pool version (\d+)/.exec((await tier.zpool(['upgrade', '-v'])).stdout)?.[1]
  const version = pkg.exitCode === 0 ? pkg.stdout.trim() : 'unknown'
  return {kind: 'zfs-fuse', version, detail: `zfs-fuse ${version}${pool ? ` (pool version ${pool})` : ''}`}
}
