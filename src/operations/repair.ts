// The state of a snapshot set left half done (split by a rename, or incomplete) and the dcsnap command that repairs it.
import type {Inventory, SnapshotSet} from '../snapshots/inventory.js'

/** A set's state as `list` shows it: on every build dataset, on some only, or split under two names by a half-done rename. */
export type SetState = 'complete' | 'incomplete' | 'split'

/** How one set stands and what repairs it. */
export interface Repair {
  state: SetState
  /** For `split`: the name of the other half. */
  splitWith: string | null
  /** For `incomplete`: names that could each be its other half after a rename (ambiguous, so no repair is offered). */
  splitCandidates: string[]
  /** The command that completes it (null when complete, ambiguous, or an incomplete checkpoint, which resume and build handle). */
  repair: string | null
  /** Another way out, for the human output (the reverse rename, or destroying a partial manual snapshot). */
  alternative: string | null
}

/** Quotes a word for a POSIX shell when it holds anything but safe characters. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_.:/@=+-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`
}

/** A dcsnap command line from its words (after `dcsnap`), quoted for a shell. */
export function dcsnapCommand(words: readonly string[]): string {
  return ['dcsnap', ...words].map(shellWord).join(' ')
}

/** The state of `set` and the command that repairs it; `target` is the -m/-d words the user passed (appended to each command).
 * A split is completed towards the manual name when one half is a checkpoint name (manual snapshots are never pruned),
 * else towards the name on the first build dataset (the proto area); both halves get the same command. */
export function repairOf(inventory: Inventory, set: SnapshotSet, target: readonly string[] = []): Repair {
  const none = {splitWith: null, splitCandidates: [], repair: null, alternative: null}
  if (set.complete) return {state: 'complete', ...none}
  const partner = inventory.splitPartner(set)
  if (partner) {
    const keep = keptName(inventory, set, partner)
    const other = keep === set.name ? partner.name : set.name
    return {
      state: 'split',
      splitWith: partner.name,
      splitCandidates: [],
      repair: dcsnapCommand(['rename', other, keep, ...target]),
      alternative: dcsnapCommand(['rename', keep, other, ...target]),
    }
  }
  const candidates = inventory.splitCandidates(set).map(s => s.name)
  if (candidates.length > 0) return {state: 'incomplete', ...none, splitCandidates: candidates}
  if (set.kind === 'manual' && set.user['dcsnap:build'] === undefined) {
    return {
      state: 'incomplete',
      ...none,
      repair: dcsnapCommand(['snapshot', set.name, ...target]),
      alternative: dcsnapCommand(['destroy', set.name, ...target]),
    }
  }
  return {state: 'incomplete', ...none}
}

function keptName(inventory: Inventory, a: SnapshotSet, b: SnapshotSet): string {
  if ((a.kind === 'manual') !== (b.kind === 'manual')) return a.kind === 'manual' ? a.name : b.name
  const first = inventory.datasets[0]
  if (b.members.some(m => m.dataset === first)) return b.name
  if (a.members.some(m => m.dataset === first)) return a.name
  if (a.members.length !== b.members.length) return a.members.length > b.members.length ? a.name : b.name
  return a.name < b.name ? a.name : b.name
}
