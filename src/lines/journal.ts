// The journal of a line move: one JSON user property on the proto's lines container, so it survives a reboot
// (a file on tmpfs would not) and is read by the same `zfs list` that lists the datasets.
import {DcsnapError, ExitCode} from '../errors.js'
import type {Zfs} from '../zfs/zfs.js'
import {linesContainer} from './names.js'

/** The user property that holds the journal. */
export const JOURNAL_PROPERTY = 'dcsnap:journal'

/** One head dataset's part of a move. */
export interface HeadMove {
  /** The head dataset (its name never changes). */
  head: string
  /** The guid of the head before the move: after it, that dataset is the kept line (or is dropped). */
  guid: string
  /** The snapshot (full name) the head moves to. */
  target: string
  /** The temporary clone that becomes the head. */
  clone: string
  /** Where the old head goes. */
  kept: string
  /** The head's local properties, put back on the new head. */
  local: Record<string, string>
  /** The head was mounted before the move (it is mounted again after). */
  mounted: boolean
  /** The head's own `zfs allow` grants, as argument lists: given again to the new head. */
  allow?: string[][]
}

/** A line move as journalled: enough to finish it from any point. */
export interface MoveJournal {
  v: 1
  op: 'move'
  /** The line the old head becomes (`k3`). */
  keptLine: string
  /** A snapshot of the head's changes taken first (`hand-k3`), if any. */
  hand?: string
  /** The line the target lay on, dropped when the move leaves it without snapshots. */
  fromLine?: string
  heads: HeadMove[]
}

/** Writes the journal (before the first change of a move). */
export async function writeJournal(zfs: Zfs, journal: MoveJournal): Promise<void> {
  const text = JSON.stringify(journal)
  // zfs-fuse refuses user property values of 8 KiB; keep well below.
  if (text.length > 7000) {
    throw new DcsnapError(
      'JOURNAL_TOO_LARGE',
      `the line move's journal would be ${text.length} bytes, more than a user property holds`,
      'Remove some local properties of the head datasets (`zfs get -s local all DATASET`), then try again.',
      ExitCode.failed,
    )
  }
  await zfs.set(linesContainer(journal.heads[0].head), {[JOURNAL_PROPERTY]: text})
}

/** Clears the journal (the last step of a move). */
export async function clearJournal(zfs: Zfs, proto: string): Promise<void> {
  await zfs.inherit(linesContainer(proto), JOURNAL_PROPERTY)
}

/** Parses a journal read from the container; throws a repairable error when it is not one dcsnap wrote. */
export function parseJournal(text: string, container: string): MoveJournal {
  let j: unknown
  try {
    j = JSON.parse(text)
  } catch {
    // Not JSON: j stays undefined and the check below throws BAD_JOURNAL.
  }
  const ok =
    typeof j === 'object' &&
    j !== null &&
    (j as MoveJournal).v === 1 &&
    (j as MoveJournal).op === 'move' &&
    Array.isArray((j as MoveJournal).heads)
  if (!ok) {
    throw new DcsnapError(
      'BAD_JOURNAL',
      `${container} holds a ${JOURNAL_PROPERTY} that dcsnap cannot read`,
      `Check the datasets with \`zfs list -r -t all ${container}\`, then clear it: zfs inherit ${JOURNAL_PROPERTY} ${container}`,
      ExitCode.failed,
    )
  }
  return j as MoveJournal
}
