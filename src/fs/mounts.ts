// Mounts left under the build datasets' mountpoints (a chroot's /proc, /sys, /dev/pts), read from
// /proc/self/mountinfo: ZFS cannot snapshot them and a rollback under them goes wrong, so they are found first.
import {readFileSync} from 'node:fs'
import {DcsnapError, ExitCode} from '../errors.js'
import {isInside} from '../paths.js'

/** One mount found under a dataset's mountpoint. */
export interface ForeignMount {
  /** Where it is mounted. */
  target: string
  fstype: string
  source: string
}

/** The octal escapes of mountinfo (`\040` for a space). */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))
}

/** Parses /proc/self/mountinfo text into target, fstype and source. */
export function parseMountinfo(text: string): ForeignMount[] {
  const out: ForeignMount[] = []
  for (const line of text.split('\n')) {
    const dash = line.indexOf(' - ')
    if (dash < 0) continue
    const before = line.slice(0, dash).split(' ')
    const after = line.slice(dash + 3).split(' ')
    if (before.length < 5 || after.length < 2) continue
    out.push({target: unescape(before[4]), fstype: after[0], source: unescape(after[1])})
  }
  return out
}

/**
 * The mounts strictly below any of `dirs` that are not ZFS datasets (those are `zfs`, or `fuse.zfs` on zfs-fuse),
 * deepest first (the order to unmount them in). Where mountinfo cannot be read, none.
 */
export function foreignMountsUnder(dirs: readonly string[], mountinfo?: string): ForeignMount[] {
  let text = mountinfo
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/mountinfo', 'utf8')
    } catch {
      return []
    }
  }
  return parseMountinfo(text)
    .filter(
      m => m.fstype !== 'zfs' && m.fstype !== 'fuse.zfs' && dirs.some(d => m.target !== d && isInside(m.target, d)),
    )
    .sort((a, b) => b.target.length - a.target.length)
}

/** Refuses (`what` is about to happen, or '') while mounts are left under the datasets, naming them and the command that clears them. */
export function refuseForeignMounts(
  what: string,
  dirs: readonly string[],
  exitCode: (typeof ExitCode)[keyof typeof ExitCode] = ExitCode.refused,
): void {
  const mounts = foreignMountsUnder(dirs)
  if (mounts.length === 0) return
  const list =
    mounts
      .slice(0, 8)
      .map(m => `${m.target} (${m.fstype})`)
      .join(', ') + (mounts.length > 8 ? ` and ${mounts.length - 8} more` : '')
  throw new DcsnapError(
    'MOUNTS_UNDER_DATASETS',
    `${what ? `${what}: ` : ''}${mounts.length} mount(s) left under the build datasets, which a snapshot would not hold: ${list}`,
    `Unmount them (a chroot step's /proc, /sys, /dev/pts), e.g.: umount ${mounts.map(m => quoteForShell(m.target)).join(' ')}; let steps declare \`mounts:\` so dcsnap makes and removes them.`,
    exitCode,
    {mounts},
  )
}

/** A path as one shell word, for a command the user copies. */
function quoteForShell(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}
