// Running the built dcsnap CLI on a tier, and counting the zfs processes it spawns (fixtures/bin/count-zfs).
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {timeCommand, type Command} from './measure.js'
import {dcsnapBin, repoRoot} from './paths.js'
import type {Tier} from './tier.js'

/** A private home for remembered zfs capabilities, so a run never depends on (or changes) the user's. */
export const cacheHome = mkdtempSync(join(tmpdir(), 'dcsnap-bench-cache-'))

/** The command line of `dcsnap args` on a tier (`node bin/run.js ...`). */
export function dcsnapCommand(
  tier: Tier,
  args: string[],
  opts: {cwd?: string; env?: Record<string, string>} = {},
): Command {
  return {
    words: [process.execPath, dcsnapBin, ...args],
    cwd: opts.cwd,
    env: {XDG_CACHE_HOME: cacheHome, NO_COLOR: '1', ...tier.env, DCSNAP_ZFS: tier.zfsWords.join(' '), ...opts.env},
  }
}

/**
 * Runs `dcsnap args` once through the count-zfs wrapper and returns the zfs argument lines it ran.
 * A first run of `warm` (a read-only command such as `list -d ...`) fills the remembered capabilities, so the probe is not counted.
 */
export async function countZfsCalls(
  tier: Tier,
  args: string[],
  opts: {cwd?: string; warm: string[]},
): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'dcsnap-bench-count-'))
  try {
    const file = join(dir, 'calls')
    writeFileSync(file, '')
    const env = {
      DCSNAP_ZFS: `${join(repoRoot, 'fixtures/bin/count-zfs')} ${tier.zfsWords.join(' ')}`,
      DCSNAP_COUNT_FILE: file,
    }
    const lines = () => readFileSync(file, 'utf8').split('\n').filter(Boolean)
    await timeCommand(dcsnapCommand(tier, opts.warm, {cwd: opts.cwd, env}))
    const before = lines().length
    await timeCommand(dcsnapCommand(tier, args, {cwd: opts.cwd, env}))
    return lines().slice(before)
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}
