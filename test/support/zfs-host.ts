// The ZFS the integration tests run against: zfs-fuse on this machine, or OpenZFS in the test VM (DCSNAP_TEST_TIER=openzfs).
import {execa} from 'execa'
import {join} from 'node:path'
import {repoRoot} from './paths.js'

/** A tier: how to run zfs, zpool and a shell where the pools live. */
export interface ZfsHost {
  tier: 'zfs-fuse' | 'openzfs'
  /** Environment for dcsnap so it reaches this tier's zfs. */
  env: Record<string, string>
  zfs(args: string[]): Promise<Result>
  zpool(args: string[]): Promise<Result>
  /** Runs a shell command where the datasets are mounted. */
  sh(command: string): Promise<Result>
}

/** What a command returned. */
export interface Result {
  stdout: string
  stderr: string
  exitCode: number
}

async function run(file: string, args: string[]): Promise<Result> {
  const r = await execa(file, args, {reject: false, stdin: 'ignore'})
  return {stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? 1}
}

function makeHost(): ZfsHost {
  if (process.env.DCSNAP_TEST_TIER === 'openzfs') {
    const vm = (name: string) => join(repoRoot, 'test', 'vm', name)
    return {
      tier: 'openzfs',
      env: {DCSNAP_ZFS: vm('zfs'), DCSNAP_ZPOOL: vm('zpool')},
      zfs: args => run(vm('zfs'), args),
      zpool: args => run(vm('zpool'), args),
      sh: command => run(vm('sh'), ['-c', command]),
    }
  }
  return {
    tier: 'zfs-fuse',
    env: {},
    zfs: args => run('zfs', args),
    zpool: args => run('zpool', args),
    sh: command => run('/bin/sh', ['-c', command]),
  }
}

/** The tier of this test run. */
export const host = makeHost()

/** Runs a zfs command on the tier and fails the test with its stderr if it fails. */
export async function zfsOk(...args: string[]): Promise<string> {
  const r = await host.zfs(args)
  if (r.exitCode !== 0) throw new Error(`zfs ${args.join(' ')} failed (${r.exitCode}): ${r.stderr}`)
  return r.stdout
}

/** Runs a shell command on the tier and fails the test if it fails. */
export async function shOk(command: string): Promise<string> {
  const r = await host.sh(command)
  if (r.exitCode !== 0) throw new Error(`sh -c ${JSON.stringify(command)} failed (${r.exitCode}): ${r.stderr}`)
  return r.stdout
}

/** Features only some tiers have: tests that need one are skipped, with the reason, elsewhere. */
export const has = {
  multiSnapshot: host.tier === 'openzfs',
  diff: host.tier === 'openzfs',
  written: host.tier === 'openzfs',
  holdsListing: host.tier === 'openzfs',
  /** zfs run as an unprivileged user with `zfs allow` permissions (test/vm/zfs-as USER). */
  delegation: host.tier === 'openzfs',
}

/** Runs a block only where a tier has what it needs; elsewhere the block is skipped and its title says why. */
export function describeWhere(ok: boolean, title: string, why: string, body: () => void): void {
  if (ok) describe(title, body)
  else describe.skip(`${title} (skipped on the ${host.tier} tier: ${why})`, body)
}

/** The runner runs steps and writes its record on this machine, which must see the datasets' mountpoints. */
export const stepsSeeMounts = host.tier === 'zfs-fuse'
export const STEPS_WHY = 'steps run on this machine, but the datasets are mounted inside the VM'
