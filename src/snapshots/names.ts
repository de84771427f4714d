// The snapshot name grammar of the SPEC: `dc-<build>-<step>` checkpoints, `dc-<build>` baselines, the rest manual.
import {UsageError} from '../errors.js'

/** A build id: 1 to 64 letters, digits, `_ . :`; no `-`, and not starting with `.` (so never `.` or `..`). */
export const BUILD_ID = /^(?!\.)[A-Za-z0-9_.:]{1,64}$/
/** The longest build id, in bytes. */
export const MAX_BUILD_ID = 64
/** A step name: starts with a letter or digit, then letters, digits, `_ . : -`. */
export const STEP_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/
/** ZFS's limit for a full snapshot name, in bytes. */
export const MAX_SNAPSHOT_NAME = 255
/** Characters ZFS accepts in a snapshot name component. */
const ZFS_COMPONENT = /^[A-Za-z0-9_.: -]+$/

/** What a snapshot's name (the part after `@`) says it is. */
export type ParsedName =
  {kind: 'checkpoint'; build: string; step: string} | {kind: 'baseline'; build: string} | {kind: 'manual'}

/** Parses a snapshot name: strip `dc-`, the build id runs to the next `-`, the rest is the step. */
export function parseSnapshotName(snapshot: string): ParsedName {
  if (!snapshot.startsWith('dc-')) return {kind: 'manual'}
  const rest = snapshot.slice(3)
  const dash = rest.indexOf('-')
  const build = dash < 0 ? rest : rest.slice(0, dash)
  if (!BUILD_ID.test(build)) return {kind: 'manual'}
  if (dash < 0) return {kind: 'baseline', build}
  const step = rest.slice(dash + 1)
  return STEP_NAME.test(step) ? {kind: 'checkpoint', build, step} : {kind: 'manual'}
}

/** The checkpoint name of a step (or the baseline's, without a step). */
export function checkpointName(build: string, step?: string): string {
  return step === undefined ? `dc-${build}` : `dc-${build}-${step}`
}

/** Throws a usage error unless `id` is a valid build id. */
export function assertBuildId(id: string): void {
  if (!BUILD_ID.test(id)) {
    throw new UsageError(
      'INVALID_BUILD_ID',
      `invalid build id "${id}"`,
      'A build id is 1 to 64 letters, digits, _ . or : (no -), not starting with a dot.',
    )
  }
}

/** Whether a snapshot name is reserved for dcsnap (every name starting with `dc-`, parseable as a checkpoint or not). */
export function isReservedName(snapshot: string): boolean {
  return snapshot.startsWith('dc-')
}

/** Throws a usage error unless `name` may be a manual snapshot's name (`dcsnap snapshot`): no `dc-` prefix. */
export function assertManualName(name: string): void {
  if (isReservedName(name)) {
    throw new UsageError(
      'RESERVED_NAME',
      `"${name}" starts with "dc-", the form of a dcsnap checkpoint (dc-<build>[-<step>]), reserved for dcsnap`,
      'Choose a name that does not start with "dc-", e.g. "before-experiment".',
    )
  }
}

/** Throws a usage error unless `name` is a valid step name. */
export function assertStepName(name: string): void {
  if (!STEP_NAME.test(name)) {
    throw new UsageError(
      'INVALID_STEP_NAME',
      `invalid step name "${name}"`,
      'A step name starts with a letter or digit, then up to 63 letters, digits, _ . : or -.',
    )
  }
}

/** Throws a usage error unless `dataset@snapshot` is a name ZFS accepts, within 255 bytes. */
export function assertSnapshotName(dataset: string, snapshot: string): void {
  if (!ZFS_COMPONENT.test(snapshot)) {
    throw new UsageError(
      'INVALID_SNAPSHOT_NAME',
      `invalid snapshot name "${snapshot}"`,
      'Use letters, digits, space and _ . : - in snapshot names.',
    )
  }
  const full = `${dataset}@${snapshot}`
  const bytes = Buffer.byteLength(full)
  if (bytes > MAX_SNAPSHOT_NAME) {
    throw new UsageError(
      'SNAPSHOT_NAME_TOO_LONG',
      `snapshot name "${full}" is ${bytes} bytes, over ZFS's limit of ${MAX_SNAPSHOT_NAME}`,
      'Use a shorter build id or step name (or a shorter dataset name).',
    )
  }
}
