// Counts the zfs processes a dcsnap command spawns, through fixtures/bin/count-zfs as DCSNAP_ZFS.
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {dcsnap} from './cli.js'
import {repoRoot} from './paths.js'
import type {Result} from './zfs-host.js'
import {host} from './zfs-host.js'

/**
 * Runs `dcsnap args` and returns its result and the zfs argument lines it ran. A first `dcsnap list` on the
 * datasets (or on `warm`, small ones of the same zfs, where listing them all is slow) warms the remembered
 * capabilities, so the probe's calls are not counted.
 */
export async function countZfsCalls(
  args: string[],
  datasets: string[],
  warm: string[] = datasets,
): Promise<{result: Result; calls: string[]}> {
  const dir = mkdtempSync(join(tmpdir(), 'dcsnap-count-'))
  const file = join(dir, 'calls')
  const env = {
    DCSNAP_ZFS: `${join(repoRoot, 'fixtures/bin/count-zfs')} ${host.env.DCSNAP_ZFS ?? 'zfs'}`,
    DCSNAP_COUNT_FILE: file,
    XDG_CACHE_HOME: dir,
  }
  const lines = () => readFileSync(file, 'utf8').split('\n').filter(Boolean)
  await dcsnap(['list', ...warm.flatMap(d => ['-d', d])], {env})
  const before = lines().length
  const result = await dcsnap(args, {env})
  return {result, calls: lines().slice(before)}
}
