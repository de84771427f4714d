// dcsnap's library API: the same calls the CLI makes, with no process.exit and no output but the logger's.
// The public surface is recorded in api/dcsnap.api.d.ts: after changing it on purpose, run `npm run api`.
export {
  /** Another dcsnap holds a dataset's lock (exit 4). */
  BusyError,
  /** The base of every error dcsnap raises on purpose: message, hint, code and exit code. */
  DcsnapError,
  /** The SPEC's exit codes by name (0 ok, 1 failed, 2 usage, 3 refused, 4 busy, 127 zfs not found). */
  ExitCode,
  /** Refused by a safety rule (exit 3); the hint names the flag or step that would proceed. */
  RefusedError,
  /** Invalid usage or input (exit 2). */
  UsageError,
} from './errors.js'
export {
  /** The default logger: drops everything, so the library never prints on its own. */
  silentLogger,
  /** Receives progress, warnings and debug lines (each zfs call) from the library. */
  type Logger,
} from './logger.js'
export {
  /** A zfs client bound to one zfs command (DCSNAP_ZFS or `zfs`), which adapts to the zfs it finds. */
  Zfs,
  /** How a Zfs client runs zfs: the environment (DCSNAP_ZFS, PATH), a replacement runner, capabilities and their cache. */
  type ZfsOptions,
} from './zfs/zfs.js'
export {
  /** Parses the output of `zfs diff -F -H` into DiffEntry records. */
  parseDiff,
  /** One change `zfs diff` reports: what changed, the file type and the path (and the new path of a rename). */
  type DiffEntry,
} from './zfs/diff.js'
export {
  /** A zfs call that failed; `kind` classifies it and `stderr` is what zfs said. */
  ZfsError,
  /** What went wrong in a zfs call (no such dataset, busy, permission denied, ...), as far as its stderr tells. */
  type ZfsErrorKind,
} from './zfs/errors.js'
export type {
  /** The zfs features dcsnap adapts to (atomic multi-snapshot, JSON listing, written, holds, ...), as probed. */
  ZfsCapabilities,
} from './zfs/capabilities.js'
export type {
  /** A filesystem or volume that dcsnap lists and snapshots. */
  ZfsDataset,
  /** Datasets and their snapshots from one `zfs list`, in the order zfs gave them. */
  ZfsListing,
  /** One snapshot of one dataset, with the dcsnap:* properties dcsnap reads. */
  ZfsSnapshot,
} from './zfs/listing.js'
export {
  /** Everything dcsnap knows of the build datasets after one listing: builds, checkpoints, manual snapshots. */
  Inventory,
  /** A build: its baseline and checkpoints, in the order they were taken. */
  type Build,
  /** One snapshot name across the build datasets (complete, or missing on some). */
  type SnapshotSet,
} from './snapshots/inventory.js'
export {
  /** The checkpoint name `dc-BUILD-STEP` of a step, or `dc-BUILD` of the baseline. */
  checkpointName,
  /** Reads what a snapshot name says it is: a checkpoint, a baseline, or a manual snapshot. */
  parseSnapshotName,
  /** What parseSnapshotName found in a name. */
  type ParsedName,
} from './snapshots/names.js'
export {
  /** Finds the snapshot a target names: an exact snapshot name first, else a step of the selected build. */
  resolveTarget,
  /** The build an id names, or the latest one; throws when there is none. */
  selectBuild,
} from './snapshots/resolve.js'
export {
  /** Lists the build datasets and their snapshots with one zfs call, as an Inventory. */
  loadInventory,
  /** Makes a Session over build datasets (proto first), with a default zfs client and a silent logger. */
  openSession,
  /** The build datasets and how to reach them; the first dataset is the proto area. */
  type Session,
} from './operations/session.js'
export {
  /** Takes a manual snapshot NAME of every build dataset (`dcsnap snapshot`), completing one left half done. */
  manualSnapshot,
  /** Snapshots every build dataset as DATASET@NAME with the given user properties, under the datasets' locks. */
  takeSnapshots,
} from './operations/snapshot.js'
export {
  /** Carries out a RollbackPlan: destroys exactly the planned snapshots, then rolls each dataset back. */
  executeRollback,
  /** Plans a rollback to a snapshot set without changing anything; its blockers say what refuses it. */
  planRollback,
  /** Lists, resolves a target and plans its rollback, reading clones where ZFS needs an extra call. */
  prepareRollback,
  /** A snapshot that blocks a plan, and why (manual, held, or has clones). */
  type Blocker,
  /** What a rollback will do: the target, the snapshots it destroys first (per dataset), and its blockers. */
  type RollbackPlan,
} from './operations/rollback.js'
export {
  /** Renames a snapshot on every build dataset, all or nothing; completes a rename left half done. */
  renameSnapshot,
  /** What a rename did: the full names renamed, and the datasets that already had the new name. */
  type RenameResult,
} from './operations/rename.js'
export {
  /** Destroys every member of the snapshots a DestroyPlan names, dataset by dataset. */
  executeDestroy,
  /** Plans `dcsnap destroy`: named snapshots or steps, or every snapshot of the named builds. */
  planDestroy,
  /** Plans `dcsnap prune --keep N`: the snapshots of all but the N most recent builds, except held or cloned ones. */
  planPrune,
  /** What a destroy or prune will remove, and what it keeps. */
  type DestroyPlan,
} from './operations/destroy.js'
export {
  /** The tag of the holds dcsnap places (`zfs hold dcsnap`). */
  HOLD_TAG,
  /** Holds or releases a snapshot on every build dataset that has it. */
  setHold,
} from './operations/hold.js'
export {
  /** The changes in the proto area from one snapshot to another, or to the live dataset. */
  diffProto,
} from './operations/diff.js'
export {
  /** Resolves the build datasets from explicit datasets, else from the manifest (default ./dcsnap.yaml). */
  resolveBuildTarget,
  /** The build datasets (proto, then the data cache when there is one) and the manifest they came from. */
  type BuildTarget,
} from './targets.js'
export {
  /** Lists (one zfs call) the latest build, a named one or all, with the manual snapshots, as `dcsnap list` does. */
  listSnapshots,
  /** Builds the ListView of an Inventory, without calling zfs. */
  listView,
  /** The SnapshotView of one snapshot set (complete or incomplete; telling a split needs listView). */
  viewOf,
  /** The whole listing: datasets, builds, snapshots and totals. */
  type ListView,
  /** One snapshot as `dcsnap list` shows it (and prints with --json). */
  type SnapshotView,
} from './operations/list.js'
export {
  /** Reads and validates a manifest file; every problem is a ManifestError at file:line:col. */
  loadManifest,
  /** The sha256 of step definitions 1..index, which a checkpoint records as `dcsnap:steps`. */
  stepsHash,
  /** A validated manifest: its name, datasets, logs directory, steps and hash, and where each key is in the file. */
  type Manifest,
  /** One step of a manifest as the runner uses it. */
  type StepDefinition,
} from './manifest/manifest.js'
export {
  /** A manifest input error at `file:line:col` (exit 2). */
  ManifestError,
} from './manifest/source.js'
export {
  /** Runs and resumes builds of one manifest, with a checkpoint after every step that succeeds. */
  Runner,
  /** The next numeric build id of an Inventory (the first build is 1). */
  nextBuildId,
  /** Options of a resume: the build and step to resume at, what to allow, and a confirmation before destroying. */
  type ResumeOptions,
  /** Options of a run: the step to pause before or after. */
  type RunOptions,
  /** How a build or resume ended: its status, the steps that ran, the failed step with its log and resume command. */
  type RunResult,
  /** How a Runner is set up: the manifest, zfs client, logger, step output, abort signal and environment. */
  type RunnerOptions,
  /** Options of a new build: its id, --on-top, and the step cache flags (--no-cache, --rebuild-from, --cache-only). */
  type BuildOptions,
  /** What a new build will do (`build --dry-run`): where it starts, what is kept on a line, the cache plan. */
  type BuildPlan,
} from './runner/runner.js'
export {
  /** Which steps of a new build are cache hits, and why each other step runs (SPEC 6); changes nothing. */
  planCache,
  /** One line saying why a step runs instead of being reused. */
  describeMiss,
  /** A build's cache plan: each step's key, hit or miss, and the checkpoint the build starts from. */
  type CachePlan,
  /** One step of a cache plan. */
  type StepCachePlan,
  /** Why a step runs instead of being reused: the input that differs, a forcing flag, max-age, a tainted checkpoint. */
  type MissReason,
} from './cache/plan.js'
export {
  /** Plans a resume by the SPEC's rules, or throws its refusal (exit 3) or input error (exit 2). */
  planResume,
  /** Position by position, how given step definitions differ from the recorded ones. */
  diffSteps,
  /** What a resume will do: the step it starts at, the checkpoint it rolls back to, and the steps it runs. */
  type ResumePlan,
  /** One difference between the recorded step definitions and the manifest given now. */
  type StepChange,
} from './runner/resume-plan.js'
export {
  /** The status of a runner's latest build (or a named one): steps done, failed and pending. */
  buildStatus,
  /** The whole status of a build, as `dcsnap status` shows it. */
  type BuildStatus,
  /** One step's line in a BuildStatus. */
  type StepStatus,
} from './runner/status.js'
export {
  /** Takes the lock of every dataset without waiting, in sorted order; BusyError (exit 4) names the holder. */
  acquireLocks,
  /** Locks held on a set of datasets; release() frees the ones this call took. */
  type DatasetLocks,
  /** How locks are taken: the environment (which names the lock directory) and the build shown to others. */
  type LockOptions,
} from './lock/dataset-locks.js'
export type {
  /** Who holds a lock, as its holder wrote it down. */
  LockHolder,
  /** A step that runs under a lock, recorded so that another dcsnap can find it if its dcsnap dies. */
  StepHolder,
} from './lock/lock-file.js'
export type {
  /** What still runs of a dead dcsnap's work on a dataset. */
  Orphan,
} from './lock/orphans.js'
export {
  /** Reads the locks of datasets without taking them: the first live holder or orphan found. */
  probeLocks,
  /** Who holds the locks of a set of datasets: a live dcsnap, or the orphaned work of a dead one. */
  type LockReport,
} from './lock/probe.js'
export {
  /** Stops the orphaned steps on datasets (`dcsnap stop`) and returns once their locks are free. */
  stopOrphans,
  /** How stopOrphans goes about it: the grace before SIGKILL, how long to wait, or only a dry run. */
  type StopOptions,
  /** What stopOrphans found and ended. */
  type StopResult,
} from './lock/stop.js'
export {
  /** Runs a function holding the locks of every build dataset of a session (re-entrant; exit 4 when busy). */
  withLock,
} from './operations/session.js'
export {
  /** Parses a replica's place, `[USER@HOST:]POOL/PATH` (a colon before the first slash names an ssh host). */
  parseEndpoint,
  /** The zfs of an endpoint: local (DCSNAP_ZFS) or through the system's ssh (DCSNAP_SSH, DCSNAP_REMOTE_ZFS). */
  endpointZfs,
  /** The zfs of both ends of a transfer; ends on this machine share one client (both read in one zfs call). */
  transferZfs,
  /** How to reach zfs at endpoints: environment, debug log, a client to share for this machine. */
  type EndpointZfsOptions,
  /** A replica's place: a dataset, here or on an ssh host. */
  type Endpoint,
  /** How zfs runs at an endpoint: a Zfs client for calls, and the invocation for send and receive streams. */
  type EndpointZfs,
} from './replication/endpoint.js'
export {
  /** Brings a replica (ROOT/proto, ROOT/cache) up to date with build datasets by zfs send/receive (push and pull). */
  transfer,
  /** What a transfer would send, and whether the replica's head would move first; changes nothing. */
  planTransfer,
  /** The build datasets of a replica that is a transfer's source (pull). */
  replicaSource,
  /** Both ends of a transfer: the source's build datasets and the replica's root on the destination. */
  type TransferEnds,
  /** Options of a transfer: the build (or all), progress, logger, signal. */
  type TransferOptions,
  /** A transfer's plan: the streams, a move of the replica's head, notes. */
  type TransferPlan,
  /** What a transfer did: its plan, the bytes sent and how long it took. */
  type TransferResult,
  /** One stream of a transfer: into which replica dataset, what is sent, its estimated size. */
  type PlannedStream,
} from './replication/replicate.js'
export {
  /** Makes the build datasets clones of a replica's checkpoint (never promoted), so `resume` goes on from it. */
  seedFromReplica,
  /** What seeding would clone, changing nothing. */
  planSeed,
  /** What seeding did: the build, the replica's checkpoint, whether anything was cloned. */
  type SeedResult,
} from './replication/seed.js'
export {
  /** A word quoted for a POSIX shell: the one place dcsnap quotes (remote zfs commands through ssh). */
  quoteWord,
  /** A POSIX shell command line that runs exactly these words. */
  shellCommand,
} from './replication/shell-quote.js'
