// Moving the head to an earlier snapshot (of its own line or a kept one) while keeping what it leaves on a kept line:
// clone, promote and rename of every head dataset, journalled on the pool and finished by the next dcsnap if cut short.
import {DcsnapError, ExitCode, RefusedError} from '../errors.js'
import {describeProcess, processesUsingDir} from '../lock/processes.js'
import type {Session} from '../operations/session.js'
import type {Inventory, SnapshotSet} from '../snapshots/inventory.js'
import {ZfsError} from '../zfs/errors.js'
import {clearJournal, type HeadMove, JOURNAL_PROPERTY, type MoveJournal, parseJournal, writeJournal} from './journal.js'
import {
  handLineNumber,
  handSnapshotName,
  HEAD_LINE,
  lineDataset,
  lineNumber,
  lineOf,
  linesContainer,
  LINE_PREFIX,
  moveClone,
} from './names.js'

/** What a line move will do, before anything changes. */
export interface MovePlan {
  /** The checkpoint or snapshot the head moves to. */
  target: SnapshotSet
  /** The line the head's current state and later snapshots go to. */
  keptLine: string
  /** The head line's snapshots after the point where the target's line forks from it: what the kept line holds. */
  keeps: SnapshotSet[]
  journal: MoveJournal
}

/** Options of a move. */
export interface MoveOptions {
  /** Keep the head's changes since its latest snapshot as a snapshot `hand-kN` (false: they are a failed step's partial output). */
  keepChanges: boolean
}

/** Local properties never copied from the old head to the new one. */
const NOT_COPIED = new Set([JOURNAL_PROPERTY])

/** Plans moving the head to `target` (on the head's line or a kept line); refuses what cannot be moved, before anything changes. */
export async function planMove(
  session: Session,
  inventory: Inventory,
  target: SnapshotSet,
  opts: MoveOptions,
): Promise<MovePlan> {
  if (!target.complete) {
    throw new RefusedError(
      'INCOMPLETE_SNAPSHOT',
      `${target.line}:${target.name} is incomplete: ${target.missing.join(', ')} lacks it`,
      'Go back to a snapshot that every build dataset has (`dcsnap list` marks incomplete ones).',
    )
  }
  for (const head of inventory.heads) {
    if (!head.includes('/')) {
      throw new RefusedError(
        'POOL_ROOT_HEAD',
        `${head} is a pool's root dataset, which cannot be renamed: its later snapshots cannot be kept on a line`,
        'Pass --discard to destroy them instead, or build in a dataset below the pool root.',
      )
    }
    const child = inventory.listing.datasets.find(d => d.name.startsWith(`${head}/`))
    if (child) {
      throw new RefusedError(
        'HEAD_HAS_CHILDREN',
        `${head} has child datasets (${child.name}), which a line move would not carry along`,
        'Pass --discard to destroy the later snapshots instead of keeping them.',
      )
    }
  }
  // A new number, past every line and every hand-kN snapshot (a line brought back leaves its hand-kN on the head's lineage).
  const handNumbers = inventory
    .everywhere()
    .flatMap(v => v.snapshots.map(s => handLineNumber(s.name)))
    .filter((n): n is number => n !== undefined)
  const keptLine = `${LINE_PREFIX}${Math.max(0, ...inventory.lines.map(l => lineNumber(l.line)), ...handNumbers) + 1}`
  const onTarget = new Set(
    (inventory.viewOf(target) ?? inventory).snapshots.filter(s => s.txg <= target.txg).map(s => s.members[0].name),
  )
  const fork = Math.max(-1, ...inventory.snapshots.filter(s => onTarget.has(s.members[0].name)).map(s => s.txg))
  // What the head's line holds in a replica it was cloned from stays there: only its own snapshots move to the line.
  const keeps = inventory.snapshots.filter(s => s.txg > fork && inventory.ownsMembers(s))
  // Always snapshotted when changes are kept: a dataset's `written` lags until its transaction group syncs, so a
  // change made a moment ago can read as 0. The snapshot's own `written` is exact; one of 0 bytes is destroyed.
  const hand = opts.keepChanges ? handSnapshotName(keptLine) : undefined
  const heads: HeadMove[] = []
  for (const [i, head] of inventory.heads.entries()) {
    const info = inventory.datasetInfo.find(d => d.name === head)
    if (!info?.guid)
      throw new DcsnapError(
        'NO_GUID',
        `zfs did not give the guid of ${head}`,
        'Check the dataset with `zfs get guid`.',
        ExitCode.failed,
      )
    if (info.mounted && info.mountpoint && info.mountpoint.startsWith('/')) refuseBusy(head, info.mountpoint)
    const local = await session.zfs.localProperties(head)
    for (const k of NOT_COPIED) delete local[k]
    const allow = await session.zfs.allowGrants(head)
    heads.push({
      head,
      guid: info.guid,
      target: target.members[i].name,
      clone: moveClone(head),
      kept: lineDataset(head, keptLine),
      local,
      mounted: info.mounted ?? false,
      ...(allow.length > 0 ? {allow} : {}),
    })
  }
  const journal: MoveJournal = {
    v: 1,
    op: 'move',
    keptLine,
    hand,
    // A kept line the head leaves empty is dropped; a replica is never a line of the head's.
    fromLine: target.line === HEAD_LINE || !inventory.ownsMembers(target) ? undefined : target.line,
    heads,
  }
  return {target, keptLine, keeps, journal}
}

/** Refuses (exit 3) when processes use the head's mountpoint: it could not be unmounted. */
function refuseBusy(head: string, mountpoint: string): void {
  const pids = processesUsingDir(mountpoint)
  if (pids.length === 0) return
  const who = pids
    .slice(0, 5)
    .map(p => {
      const d = describeProcess(p)
      return `pid ${d.pid} (${d.command})`
    })
    .join(', ')
  throw new RefusedError(
    'HEAD_BUSY',
    `${head} is in use at ${mountpoint} by ${who}${pids.length > 5 ? ` and ${pids.length - 5} more` : ''}, so its line cannot be moved`,
    'Leave the directory or stop those processes and try again, or pass --discard to destroy the later snapshots instead of keeping them.',
    {pids},
  )
}

/** Carries out a planned move (the caller holds the locks): containers, journal, then every step to the end. */
export async function executeMove(session: Session, plan: MovePlan): Promise<void> {
  const {zfs, logger} = session
  try {
    for (const h of plan.journal.heads) {
      const container = linesContainer(h.head)
      if (!(await zfs.states([container])).has(container))
        await zfs.create(container, {canmount: 'off', mountpoint: 'none'})
    }
    logger.info(
      `moving ${plan.journal.heads.map(h => h.head).join(', ')} to ${plan.target.line === HEAD_LINE ? '' : `${plan.target.line}:`}${plan.target.name}; what they hold now is kept on line ${plan.keptLine}`,
    )
    await writeJournal(zfs, plan.journal)
  } catch (error) {
    // Nothing has changed yet (an empty container at most): a delegated user lacks the rights a move needs.
    if (error instanceof ZfsError && error.kind === 'permission-denied') throw needsMountRights(error)
    throw error
  }
  await rollForward(session, plan.journal, true)
}

/** The refusal for a user who may not create, mount and rename datasets (a `zfs allow` user on Linux). */
function needsMountRights(error: ZfsError): RefusedError {
  return new RefusedError(
    'MOVE_NEEDS_MOUNT_RIGHTS',
    `keeping what follows on a line moves datasets (create, clone, promote, rename, mount), which this user may not do: ${error.message.split('\n')[0]}; nothing was changed`,
    'Pass --discard to destroy the later snapshots instead (that needs only the rollback and destroy permissions), or run as root.',
  )
}

/** Finishes a move a dcsnap left unfinished (the caller holds the locks); the journal is the container's property text. */
export async function recoverMove(session: Session, text: string): Promise<void> {
  const container = linesContainer(session.datasets[0])
  const journal = parseJournal(text, container)
  session.logger.warn(`finishing a line move that an earlier dcsnap left unfinished (journal on ${container})`)
  try {
    await rollForward(session, journal, false)
  } catch (error) {
    if (!(error instanceof DcsnapError)) throw error
    throw new DcsnapError(
      'MOVE_UNFINISHED',
      `an unfinished line move (journal on ${container}) could not be finished: ${error.message}`,
      `Fix what zfs reports and run any dcsnap command again; \`zfs list -r -t all ${container}\` shows the datasets.`,
      ExitCode.failed,
      {cause: error.code},
    )
  }
}

/**
 * Every step of a move, each skipped when the datasets show it done (read by guid and name, never trusting a zfs
 * exit code): unmount, hand snapshot, clone, promote, old head to the kept line, clone to the head, local
 * properties and `zfs allow` grants, mount, drop what holds nothing, clear the journal. On the first run a head that will not unmount
 * undoes the unmounts and clears the journal: nothing changed.
 */
async function rollForward(session: Session, j: MoveJournal, firstRun: boolean): Promise<void> {
  const {zfs} = session
  const read = () =>
    zfs.states(
      j.heads.flatMap(h => [
        h.head,
        h.clone,
        h.kept,
        ...(j.hand ? [`${h.head}@${j.hand}`, `${h.kept}@${j.hand}`] : []),
      ]),
    )
  let st = await read()
  const isOld = (h: HeadMove, name: string) => st.get(name)?.guid === h.guid

  // 1. Unmount the old heads (all of them before any other change).
  const unmounted: HeadMove[] = []
  for (const h of j.heads) {
    if (!isOld(h, h.head) || !st.get(h.head)?.mounted) continue
    try {
      await zfs.unmount(h.head)
      unmounted.push(h)
    } catch (error) {
      if (!firstRun) throw error
      for (const u of unmounted) await zfs.mount(u.head).catch(() => undefined)
      await clearJournal(zfs, j.heads[0].head)
      if (error instanceof ZfsError && error.kind === 'permission-denied') throw needsMountRights(error)
      const busy = error instanceof ZfsError && /busy/i.test(error.stderr)
      throw new RefusedError(
        busy ? 'HEAD_BUSY' : 'HEAD_UNMOUNT_FAILED',
        `${h.head} could not be unmounted${busy ? ': it is busy' : ''} (${(error as Error).message.split('\n')[0]}); nothing was changed`,
        busy
          ? 'Leave the directory or stop the processes using it and try again, or pass --discard to destroy the later snapshots instead of keeping them.'
          : 'Moving lines needs the right to unmount and mount (root on Linux); pass --discard to destroy the later snapshots instead.',
      )
    }
  }
  // 2. The head's changes since its latest snapshot, kept as a snapshot of their own.
  if (j.hand) {
    for (const h of j.heads) {
      if (isOld(h, h.head) && !st.has(`${h.head}@${j.hand}`) && !st.has(`${h.kept}@${j.hand}`)) {
        await zfs.snapshot([`${h.head}@${j.hand}`], {'dcsnap:kind': 'hand'})
      }
    }
  }
  // 2b. Where ZFS counts `written`, a hand snapshot of 0 bytes on every head holds no change: it goes.
  if (j.hand && (await zfs.capabilities()).written) {
    const names = j.heads.filter(h => isOld(h, h.head)).map(h => `${h.head}@${j.hand}`)
    const sizes = await zfs.writtenOf(names)
    if (names.length === j.heads.length && names.every(n => sizes.get(n) === 0)) {
      for (const n of names) await zfs.destroy([n])
    }
  }
  // 3. Clone the target, never mounted (its container's mountpoint is none).
  for (const h of j.heads) {
    const swapped = st.has(h.head) && !isOld(h, h.head)
    if (!swapped && !st.has(h.clone)) await zfs.clone(h.target, h.clone, {canmount: 'noauto'})
  }
  st = await read()
  // 4. Promote the clone until it descends from nothing of the head's family: it then owns the target's whole lineage.
  for (const h of j.heads) {
    const inFamily = (origin: string | undefined) => {
      const ds = origin?.slice(0, origin.indexOf('@'))
      return ds !== undefined && (ds === h.head || lineOf(h.head, ds) !== undefined)
    }
    for (let n = 0; st.has(h.clone) && inFamily(st.get(h.clone)!.origin); n++) {
      if (n > 64)
        throw new DcsnapError(
          'PROMOTE_LOOP',
          `${h.clone} still descends from ${st.get(h.clone)!.origin} after 64 promotions`,
          'Report this as a bug.',
          ExitCode.failed,
        )
      await zfs.promote(h.clone)
      st = await read()
    }
  }
  // 5. The old head becomes the kept line: never mounted, then renamed.
  for (const h of j.heads) {
    if (!isOld(h, h.head)) continue
    if (st.get(h.head)!.canmount !== 'noauto') await zfs.set(h.head, {canmount: 'noauto'})
    if (st.get(h.head)!.mounted) await zfs.unmount(h.head)
    await zfs.rename(h.head, h.kept)
  }
  st = await read()
  for (const h of j.heads) {
    // Its own mountpoint, if it had one, would clash with the head's: kept lines inherit none from the container.
    if (isOld(h, h.kept) && h.local.mountpoint !== undefined && st.get(h.kept)!.mountpoint !== 'none')
      await zfs.inherit(h.kept, 'mountpoint')
  }
  // 6. The clone takes the head's name.
  for (const h of j.heads) {
    if (!st.has(h.head) && st.has(h.clone)) await zfs.rename(h.clone, h.head)
  }
  st = await read()
  // 7. The head's local properties, as they were; then mount it as it was.
  for (const h of j.heads) {
    if (!st.has(h.head) || isOld(h, h.head)) continue
    const now = await zfs.localProperties(h.head)
    for (const [k, v] of Object.entries(h.local)) if (now[k] !== v) await zfs.set(h.head, {[k]: v})
    for (const k of Object.keys(now)) {
      if (h.local[k] !== undefined || NOT_COPIED.has(k)) continue
      if (k === 'canmount') await zfs.set(h.head, {canmount: 'on'})
      else await zfs.inherit(h.head, k)
    }
    // The head's delegated permissions stay with its name (granting again what is granted changes nothing).
    for (const grant of h.allow ?? []) await zfs.allow(h.head, grant)
  }
  st = await read()
  for (const h of j.heads) {
    const s = st.get(h.head)
    if (h.mounted && s && !s.mounted && s.canmount !== 'off' && s.mountpoint?.startsWith('/')) await zfs.mount(h.head)
  }
  // 8. Drop what holds nothing: an old head without snapshots of its own, a line a move left empty.
  for (const h of j.heads) {
    // An old head with no snapshot of its own (nothing after the fork, no changes or only a failed step's) holds nothing to keep.
    if (isOld(h, h.kept) && (await zfs.ownSnapshots(h.kept)).length === 0) await zfs.destroyDataset(h.kept)
    if (j.fromLine) {
      const from = lineDataset(h.head, j.fromLine)
      if ((await zfs.states([from])).has(from) && (await zfs.ownSnapshots(from)).length === 0)
        await zfs.destroyDataset(from)
    }
  }
  await clearJournal(zfs, j.heads[0].head)
}
