// kill -9 between two zfs calls: dcsnap runs with fixtures/bin/kill-dcsnap-after-zfs in front of zfs, which counts the
// changing calls and kills dcsnap right after the chosen one (before it hears the answer).
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {dcsnap} from './cli.js'
import {repoRoot} from './paths.js'
import type {TestPool} from './pool.js'
import {host} from './zfs-host.js'

const kill = join(repoRoot, 'fixtures', 'bin', 'kill-dcsnap-after-zfs')
const zfsWords = host.env.DCSNAP_ZFS ?? 'zfs'

/** Runs `dcsnap args`, killed after its `at`-th changing zfs call (0: never); returns how many it made. */
export async function killedAfter(args: string[], at: number): Promise<{calls: number; exitCode: number}> {
  const dir = mkdtempSync(join(tmpdir(), 'dcsnap-kill-'))
  try {
    const count = join(dir, 'count')
    const r = await dcsnap(args, {
      env: {DCSNAP_ZFS: `${kill} ${zfsWords}`, DCSNAP_KILL_COUNT_FILE: count, DCSNAP_KILL_AT: String(at)},
    })
    return {calls: Number(readFileSync(count, 'utf8').trim()), exitCode: r.exitCode}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** How many changing zfs calls `args` makes, uninterrupted, in a scene of its own (its pool destroyed after). */
export async function callsOf<S extends {pool: TestPool}>(
  scene: () => Promise<S>,
  args: (s: S) => string[],
): Promise<number> {
  const s = await scene()
  try {
    const r = await killedAfter(args(s), 0)
    expect(r.exitCode).toBe(0)
    return r.calls
  } finally {
    await s.pool.destroy()
  }
}
