// The checkpoint runner: a thin layer over the snapshot primitives that runs a manifest's steps,
// checkpointing after each success, and resumes a build by the SPEC's rules.
import {join, relative, resolve as resolvePath} from 'node:path'
import {DcsnapError, ExitCode, RefusedError, UsageError} from '../errors.js'
import {isInside} from '../paths.js'
import {silentLogger, type Logger} from '../logger.js'
import {
  assertCheckpointNames,
  loadManifest,
  manifestFromSource,
  stepHash,
  stepsHash,
  type Manifest,
  type StepDefinition,
} from '../manifest/manifest.js'
import {parseManifestSource} from '../manifest/source.js'
import {executeDestroy, planPrune} from '../operations/destroy.js'
import {
  executeRollback,
  keepOrDiscard,
  planRollback,
  refuseBlockers,
  type RollbackPlan,
} from '../operations/rollback.js'
import {loadInventory, openSession, withLock, type Session} from '../operations/session.js'
import {HEAD_LINE} from '../lines/names.js'
import type {DatasetLocks} from '../lock/dataset-locks.js'
import {ensurePrivateDir} from '../fs/private-dir.js'
import {refuseForeignMounts} from '../fs/mounts.js'
import {takeSnapshots} from '../operations/snapshot.js'
import type {Build, Inventory, SnapshotSet} from '../snapshots/inventory.js'
import type {ZfsSnapshot} from '../zfs/listing.js'
import {assertBuildId, checkpointName} from '../snapshots/names.js'
import {selectBuild} from '../snapshots/resolve.js'
import {Zfs} from '../zfs/zfs.js'
import {tmpDataCache, zfsDataCache, type DataCache} from './data-cache.js'
import {readRecord, stoppedIn, writeRecord, type BuildRecord, type StepRecord} from './record.js'
import {planResume, type ResumeInputs, type ResumePlan, type StepChange} from './resume-plan.js'
import {runStep, type ResolvedMount} from './step-process.js'
import {keepLogInCache, nextStepLog} from './logs.js'
import {diffKeyInputs, stepKey} from '../cache/key.js'
import {describeMiss, planCache, qualified, type CachePlan} from '../cache/plan.js'

/** How a runner is set up. */
export interface RunnerOptions {
  manifest: Manifest
  /** The manifest path as the user typed it, for the printed resume command (default: its path). */
  manifestArg?: string
  zfs?: Zfs
  logger?: Logger
  /** Receives step output (the CLI writes it to stderr unless --quiet). */
  onOutput?: (chunk: Buffer) => void
  /** Aborting stops the running step; no checkpoint is taken for it. */
  signal?: AbortSignal
  env?: NodeJS.ProcessEnv
}

/** How a build or resume ended. */
export interface RunResult {
  build: string
  status: 'completed' | 'failed' | 'timed-out' | 'interrupted' | 'paused'
  /** The step that failed, or where it paused. */
  step?: string
  exitCode?: number | null
  log?: string
  resumeCommand?: string
  /** Steps that succeeded in this run. */
  ran: string[]
  /** Snapshots pruned after success (`retain`). */
  pruned: string[]
  /** Steps reused from the cache (a new build), and the checkpoint each came from. */
  cached?: Array<{step: string; from: string}>
}

/** Options of a run. */
export interface RunOptions {
  pauseBefore?: string
  pauseAfter?: string
}

/** Options of a new build. */
export interface BuildOptions extends RunOptions {
  build?: string
  /** Start from the head as it is instead of the base (section 7). */
  onTop?: boolean
  /** Run every step: reuse no checkpoint (SPEC 6). */
  noCache?: boolean
  /** Run this step and every one after it, reusing at most the steps before it. */
  rebuildFrom?: string
  /** Refuse (exit 3, naming the first miss) unless every step is a cache hit: change nothing then. */
  cacheOnly?: boolean
  /** Destroy what the head holds after the build's start instead of keeping it on a line. */
  discard?: boolean
  /** With discard, also destroy manual snapshots (held or cloned ones: never). */
  force?: boolean
  /** Asked before --discard destroys snapshots (their names); throw to refuse (the CLI asks on a terminal or requires --yes). */
  confirm?: (destroy: string[]) => Promise<void>
}

/** What a new build will do (`build --dry-run`): its id, where it starts, the steps it reuses and runs. */
export interface BuildPlan {
  build: string
  /** The snapshot the head goes to before the baseline: the base, the cached checkpoint, or none (first build, --on-top). */
  startsFrom: string | null
  /** What the head holds beyond it goes to this line (`kN`), when anything does. */
  keptLine: string | null
  /** The snapshots kept on that line. */
  keeps: string[]
  /** With --discard: the snapshots destroyed instead. */
  destroy: string[]
  cache: CachePlan
}

/** Options of a resume. */
export interface ResumeOptions extends RunOptions {
  build?: string
  step?: string
  allowChanged?: boolean
  force?: boolean
  /** Destroy the later checkpoints instead of keeping them on a line. */
  discard?: boolean
  /** Go on from the head as it is, its changes since the checkpoint included (the default after a pause; rule 6). */
  keepChanges?: boolean
  /** After a pause, keep the head's changes on a line and go back to the pause's checkpoint. */
  discardChanges?: boolean
  /** An interactive retry: the manifest and the step's files are read again, and the keys of what it runs are tainted (SPEC 6). */
  retry?: boolean
  /** Asked before destroying snapshots; throw to refuse (the CLI asks on a terminal or requires --yes). */
  confirm?: (plan: ResumePlan) => Promise<void>
}

/** Runs builds of one manifest; keep one instance to resume temp-dir data caches within the process. */
export class Runner {
  /** The manifest; an interactive retry reads it again (`resume({retry: true})`). */
  manifest: Manifest
  readonly session: Session
  private readonly opts: RunnerOptions
  private tmpCache?: DataCache
  /** Where the build datasets are mounted, as last listed: no foreign mount may be left under them (SPEC 9). */
  private mountpoints: string[] = []
  /** Directories whose .dcsnap/manifest.yaml this run has written (cleared by a rollback). */
  private readonly manifestSavedIn = new Set<string>()

  constructor(opts: RunnerOptions) {
    this.opts = opts
    this.manifest = opts.manifest
    const {proto, cache} = opts.manifest.datasets
    this.session = openSession(cache ? [proto, cache] : [proto], {
      zfs: opts.zfs ?? new Zfs({env: opts.env}),
      logger: opts.logger ?? silentLogger,
      env: opts.env,
    })
  }

  private get env(): NodeJS.ProcessEnv {
    return this.opts.env ?? process.env
  }

  /** A new build: lock, start from the base or the longest cached prefix, baseline snapshot, then each remaining step with a checkpoint after each success. */
  async build(opts: BuildOptions = {}): Promise<RunResult> {
    this.checkBuildOptions(opts)
    if (opts.build !== undefined) {
      assertBuildId(opts.build)
      assertCheckpointNames(this.manifest, opts.build)
    }
    return this.locked(opts.build, async locks => {
      const inventory = await this.loadInventory()
      const id = this.newBuildId(inventory, opts)
      assertCheckpointNames(this.manifest, id)
      this.checkLogsOutsideDatasets(inventory)
      const plan = await this.planCache(inventory, opts)
      if (opts.cacheOnly) refuseMisses(plan)
      await this.warnIfLatestFailed(inventory)
      await this.discardHalfBaselines(inventory)
      await this.prepareLogs(id)
      const baseIdentity = this.baseGuid(inventory)
      // The inventory is not read again after the move: only mountpoints (which the head keeps) are used from here on.
      if (!opts.onTop) await this.toStart(inventory, plan.restore ?? this.base(inventory), opts)
      const cache = await this.dataCacheFor(inventory, id, true)
      const record = this.newRecord(id, cache, () => undefined)
      const reused = plan.steps.slice(0, plan.cached)
      for (const [n, p] of reused.entries()) {
        Object.assign(record.steps[n], {
          status: 'cached',
          key: p.key.key,
          keyInputs: p.key.inputs,
          cachedFrom: p.hitSet!.name,
        } satisfies Partial<StepRecord>)
      }
      await this.saveRecord(cache, record)
      if (reused.length > 0) {
        this.session.logger.info(
          `build ${id}: ${reused.length === this.manifest.steps.length ? 'every step' : `${reused.length} of ${this.manifest.steps.length} steps`} cached: ${record.steps
            .slice(0, reused.length)
            .map(r => `${r.name} (${r.cachedFrom})`)
            .join(', ')}`,
        )
      }
      this.session.logger.info(`build ${id}: baseline snapshot ${checkpointName(id)}`)
      const last = reused.at(-1)
      try {
        await this.checkpoint(
          cache,
          id,
          undefined,
          this.manifest.steps,
          last ? {'dcsnap:key': last.key.key, 'dcsnap:cached': String(reused.length), ...this.sourceGuids(reused)} : {},
        )
      } catch (error) {
        throw checkpointFailed(
          error,
          `build ${id}: the baseline snapshot ${checkpointName(id)} could not be taken`,
          'Fix what zfs reports, then run `dcsnap build` again (it clears what is left of this baseline).',
        )
      }
      record.baseIdentity = baseIdentity ?? (await this.baseIdentity(inventory, id))
      await this.saveRecord(cache, record)
      const remaining = this.manifest.steps.slice(reused.length)
      const cached = record.steps.slice(0, reused.length).map(r => ({step: r.name, from: r.cachedFrom ?? 'unknown'}))
      const result = await this.runSteps(inventory, cache, record, remaining, opts, locks, {
        parent: last?.key.key ?? record.baseIdentity,
        tainted: opts.onTop ? 'built --on-top' : undefined,
        start: checkpointName(id),
      })
      return {...result, cached}
    })
  }

  /** Plans a new build without changing anything (`build --dry-run`): the same planning as `build`. */
  async planBuild(opts: BuildOptions = {}): Promise<BuildPlan> {
    this.checkBuildOptions(opts)
    const inventory = await this.loadInventory()
    const id = this.newBuildId(inventory, opts)
    const cache = await this.planCache(inventory, opts)
    if (opts.cacheOnly) refuseMisses(cache)
    const start = opts.onTop ? undefined : (cache.restore ?? this.base(inventory))
    let keptLine: string | null = null
    let keeps: string[] = []
    let destroy: string[] = []
    if (start) {
      const partial = await this.headHasPartialOutput(inventory)
      const rollback = await this.startPlan(inventory, start, partial, opts)
      const move = rollback.move
      if (move)
        [keptLine, keeps] = [
          move.keptLine,
          [
            ...move.keeps.map(s => s.name),
            ...(move.journal.hand ? [`${move.journal.hand} (the head's changes, if any)`] : []),
          ],
        ]
      destroy = rollback.destroy.map(s => s.name)
      refuseBlockers(`starting from ${qualified(start)}`, rollback.blockers)
    }
    return {build: id, startsFrom: start ? qualified(start) : null, keptLine, keeps, destroy, cache}
  }

  /**
   * Which steps a new build reuses (SPEC 6), as `build` plans it; with `why`, for the latest build's manifest as it
   * is now. Reads the programs and inputs once; changes nothing.
   */
  async planCache(inventory?: Inventory, opts: BuildOptions = {}): Promise<CachePlan> {
    inventory ??= await this.loadInventory()
    const latest = inventory.latestBuild()
    const previous = latest
      ? (await this.recordedSteps(latest.id, inventory).catch(() => undefined))?.record.steps
      : undefined
    const noHits = opts.onTop
      ? {code: 'on-top' as const}
      : opts.noCache
        ? {code: 'no-cache' as const}
        : this.manifest.datasets.cache === undefined
          ? {code: 'tmp-data-cache' as const}
          : undefined
    const runFrom =
      opts.rebuildFrom !== undefined
        ? {step: opts.rebuildFrom, reason: {code: 'rebuild-from' as const, step: opts.rebuildFrom}}
        : opts.pauseAfter !== undefined
          ? {step: opts.pauseAfter, reason: {code: 'pause' as const, step: opts.pauseAfter}}
          : opts.pauseBefore !== undefined
            ? {step: opts.pauseBefore, reason: {code: 'pause' as const, step: opts.pauseBefore}}
            : undefined
    return planCache({
      inventory,
      steps: this.manifest.steps,
      manifestDir: this.manifest.dir,
      baseIdentity: this.baseGuid(inventory),
      previous,
      noHits,
      runFrom,
    })
  }

  private checkBuildOptions(opts: BuildOptions): void {
    this.checkPauses(this.manifest.steps, opts)
    if (opts.rebuildFrom !== undefined && !this.manifest.steps.some(s => s.name === opts.rebuildFrom)) {
      throw new UsageError(
        'NO_SUCH_STEP',
        `no step "${opts.rebuildFrom}" to rebuild from`,
        `Steps: ${this.manifest.steps.map(x => x.name).join(', ')}.`,
      )
    }
    if (opts.noCache && opts.cacheOnly)
      throw new UsageError(
        'CONFLICTING_FLAGS',
        '--no-cache and --cache-only cannot be given together',
        'Pass one of them.',
      )
    if (opts.discard && opts.onTop)
      throw new UsageError(
        'CONFLICTING_FLAGS',
        '--discard and --on-top cannot be given together: --on-top goes back nowhere',
        'Pass one of them.',
      )
  }

  private newBuildId(inventory: Inventory, opts: BuildOptions): string {
    const id = opts.build ?? nextBuildId(inventory)
    if (inventory.allBuildIds().includes(id)) {
      throw new UsageError(
        'BUILD_EXISTS',
        `build ${id} already exists on ${this.session.datasets.join(', ')}`,
        `Resume it with \`dcsnap resume --build ${id}\`, or destroy it with \`dcsnap destroy --whole-build ${id}\`.`,
      )
    }
    return id
  }

  /** `dcsnap:from` on a cache-hit baseline: the proto guids of the checkpoints its reused steps came from, which prune keeps. */
  private sourceGuids(reused: CachePlan['steps']): Record<string, string> {
    const guids = reused
      .map(p => p.hitSet && this.protoMember(p.hitSet)?.guid)
      .filter((g): g is string => g !== undefined)
    return guids.length > 0 ? {'dcsnap:from': guids.join(' ')} : {}
  }

  /**
   * Puts the head at a new build's start (section 7): the base (the manifest's \`base:\` or the first build's
   * baseline) or the checkpoint of the longest cached prefix. What the head holds after it is kept on a line; nothing
   * moves before the first build, or when the head is there already.
   */
  private async toStart(inventory: Inventory, start: SnapshotSet | undefined, opts: BuildOptions = {}): Promise<void> {
    if (!start) return
    const plan = await this.startPlan(inventory, start, await this.headHasPartialOutput(inventory), opts)
    if (!plan.move && plan.steps.length === 0) return
    refuseBlockers(`starting from ${qualified(start)}`, plan.blockers)
    refuseForeignMounts(`starting from ${qualified(start)} would roll back under them`, this.mountpoints)
    if (plan.destroy.length > 0 && opts.confirm) await opts.confirm(plan.destroy.map(s => s.name))
    if (plan.move)
      this.session.logger.info(
        `starting from ${qualified(start)}: ${[summarise(plan.move.keeps.map(s => s.name)), ...(plan.move.journal.hand ? ["the head's changes since its newest snapshot, if any,"] : [])].filter(Boolean).join(', ')} kept on line ${plan.move.keptLine}`,
      )
    else
      this.session.logger.info(
        `starting from ${qualified(start)}${plan.destroy.length > 0 ? `: destroying ${summarise(plan.destroy.map(s => s.name))} (--discard)` : ''}`,
      )
    await executeRollback(this.session, plan)
  }

  /** How the head gets to a build's start: a move that keeps what it holds, a rollback of a failed step's partial output, or nothing. */
  private async startPlan(
    inventory: Inventory,
    start: SnapshotSet,
    partial: boolean,
    opts: BuildOptions = {},
  ): Promise<RollbackPlan> {
    const plan = planRollback(inventory, start, {force: opts.force})
    // --discard: what the head holds after the start is destroyed instead (manual snapshots only with --force).
    if (opts.discard) return keepOrDiscard(this.session, inventory, plan, {discard: true, force: opts.force})
    const newest = start.line === HEAD_LINE && inventory.snapshots.at(-1) === start
    if (newest) {
      // At its newest snapshot the head holds nothing after it but changes: a failed step's output (rolled back), or
      // changes by hand after a completed build, kept on a line. A dataset's \`written\` lags until its transaction
      // group syncs, so it cannot say there are none: the move snapshots them, and drops the snapshot where its own
      // \`written\` (exact) is 0; ZFS without \`written\` keeps it.
      return partial ? plan : keepOrDiscard(this.session, inventory, plan, {keepChanges: true, forceMove: true})
    }
    return keepOrDiscard(this.session, inventory, plan, {keepChanges: !partial})
  }

  /** A new build while the latest one stopped in a step says so, and how to go on with that one instead. */
  private async warnIfLatestFailed(inventory: Inventory): Promise<void> {
    const latest = inventory.latestBuild()
    if (!latest) return
    const rec = (await this.recordedSteps(latest.id, inventory).catch(() => undefined))?.record.steps.find(s =>
      stoppedIn(s.status),
    )
    if (rec)
      this.session.logger.warn(
        `build ${latest.id} stopped in step ${rec.name} (${rec.status}); this new build leaves it as it is (to go on with it instead: ${this.resumeCommand(latest.id)})`,
      )
  }

  /** The head's latest build stopped in a step (failed, timed out, interrupted): what the head holds past its last checkpoint is that step's partial output, not hand changes. */
  private async headHasPartialOutput(inventory: Inventory): Promise<boolean> {
    const latest = inventory.latestBuild()
    if (!latest) return false
    const recorded = await this.recordedSteps(latest.id, inventory).catch(() => undefined)
    return recorded?.record.steps.some(s => stoppedIn(s.status) || s.status === 'running') ?? false
  }

  /** The base on the head's line: the manifest's `base:` (which must exist on every build dataset), or the oldest baseline. */
  base(inventory: Inventory): SnapshotSet | undefined {
    const named = this.manifest.base
    if (named === undefined) return inventory.snapshots.find(s => s.kind === 'baseline' && s.complete)
    const set = inventory.find(named)
    if (!set || !set.complete) {
      throw this.manifest.errorAt(
        'base',
        'NO_BASE',
        `the base ${named} is not on ${set ? set.missing.join(', ') : this.session.datasets.join(', ')}`,
        `Snapshot the datasets as they should be before every build (\`dcsnap snapshot ${named}\`), or remove \`base:\`.`,
      )
    }
    return set
  }

  /** Reads the manifest file again (an interactive retry runs what it says now); its datasets must not have changed. */
  private async reloadManifest(): Promise<void> {
    const fresh = await loadManifest(this.manifest.path)
    if (
      fresh.datasets.proto !== this.manifest.datasets.proto ||
      fresh.datasets.cache !== this.manifest.datasets.cache
    ) {
      throw new UsageError(
        'DATASETS_CHANGED',
        `${this.manifest.path} now names other datasets than the build ran on`,
        'Put datasets: back as it was to retry, or start a new build with `dcsnap build`.',
      )
    }
    this.manifest = fresh
  }

  /** Plans a resume by the SPEC's rules without changing anything (`--dry-run`). */
  async planResume(opts: ResumeOptions = {}): Promise<ResumePlan> {
    const inventory = await this.loadInventory()
    return this.plan(inventory, opts)
  }

  /** Resumes a build: roll back to the checkpoint before the step, then run from there. */
  async resume(opts: ResumeOptions = {}): Promise<RunResult> {
    if (opts.retry) await this.reloadManifest()
    this.checkPauses(this.manifest.steps, opts)
    return this.locked(opts.build, async locks => {
      const inventory = await this.loadInventory()
      this.checkLogsOutsideDatasets(inventory)
      const plan = await this.plan(inventory, opts)
      // Read before the rollback: the data cache then holds the record of whichever build made the target.
      const previous = (await this.recordedSteps(plan.build, inventory))?.record
      await this.prepareLogs(plan.build)
      refuseBlockers(`resuming at ${plan.from.name}`, plan.rollback.blockers)
      if (!plan.continueAsIs)
        refuseForeignMounts(`resuming at ${plan.from.name} would roll back under them`, this.mountpoints)
      if (plan.rollback.destroy.length > 0 && opts.confirm) await opts.confirm(plan)
      const cache = await this.dataCacheFor(inventory, plan.build, false)
      if (!plan.continueAsIs) {
        await executeRollback(this.session, plan.rollback)
        await cache.restore(plan.target.name)
      }
      this.manifestSavedIn.clear()
      // Steps before the resume point keep what the record says of them; the others start afresh.
      const record = this.newRecord(plan.build, cache, s =>
        s.index < plan.from.index
          ? (previous?.steps.find(p => p.name === s.name && p.index === s.index) ?? {...fresh(s), status: 'done'})
          : undefined,
      )
      const handChanged = [
        ...(previous?.handChangedAfter ?? []).filter(n => n !== plan.target.name || plan.continueAsIs),
        ...(plan.continueAsIs ? [plan.target.name] : []),
      ]
      if (handChanged.length > 0) record.handChangedAfter = [...new Set(handChanged)]
      this.session.logger.info(
        plan.continueAsIs
          ? `build ${plan.build}: resuming at ${plan.from.name} on the head as it is (changes made since ${plan.target.name} are part of this build; --discard-changes keeps them on a line instead)`
          : plan.rollback.move
            ? `build ${plan.build}: resuming at ${plan.from.name} (moved back to ${plan.target.line === HEAD_LINE ? '' : `${plan.target.line}:`}${plan.target.name}; what followed is kept on line ${plan.rollback.move.keptLine})`
            : `build ${plan.build}: resuming at ${plan.from.name} (rolled back to ${plan.target.name})`,
      )
      record.baseIdentity = previous?.baseIdentity
      const parent =
        plan.from.index === 1 ? (previous?.baseIdentity ?? 'unknown') : (plan.target.user['dcsnap:key'] ?? 'unknown')
      const tainted = opts.retry
        ? 'an interactive retry'
        : plan.continueAsIs
          ? `went on from a hand-changed tree after ${plan.target.name}`
          : opts.keepChanges
            ? 'resumed with --keep-changes'
            : opts.allowChanged && plan.changes.some(c => c.index < plan.from.index)
              ? 'resumed with --allow-changed over changed earlier steps'
              : plan.target.user['dcsnap:tainted']
      return this.runSteps(inventory, cache, record, plan.run, opts, locks, {parent, tainted, start: plan.target.name})
    })
  }

  /**
   * The identity of the base a new build starts from, the first step's parent key (SPEC 6): the guid of the base
   * snapshot on the proto area, which line moves keep; for the first build, its own baseline's.
   */
  private async baseIdentity(inventory: Inventory, build: string): Promise<string> {
    const known = this.baseGuid(inventory)
    if (known) return known
    const name = `${this.manifest.datasets.proto}@${checkpointName(build)}`
    const state = (await this.session.zfs.states([name])).get(name)
    return state ? `guid:${state.guid}` : 'unknown'
  }

  /** The base's identity from the listing (`guid:N` of the base on the proto area), or undefined before a first build. */
  private baseGuid(inventory: Inventory): string | undefined {
    const base = this.base(inventory)
    const guid = base && this.protoMember(base)?.guid
    return guid ? `guid:${guid}` : undefined
  }

  /**
   * A complete set's snapshot of the proto area, by position: on the head, a kept line, or in the replica the head was
   * cloned from (`resume --from`), whose received snapshots keep the sender's guids, so keys match on both machines.
   */
  private protoMember(set: SnapshotSet): ZfsSnapshot | undefined {
    const at = this.session.datasets.indexOf(this.manifest.datasets.proto)
    return set.complete && at >= 0 ? set.members[at] : undefined
  }

  /** Frees the temp-dir data cache (kept copies stay when DCSNAP_UNSUPPORTED_TMP_RESUME=1). */
  async dispose(): Promise<void> {
    await this.tmpCache?.dispose()
    this.tmpCache = undefined
  }

  /** The recorded step definitions of the build whose record is in the data cache (or beside the logs). */
  async recordedSteps(
    build: string,
    inventory?: Inventory,
  ): Promise<{record: BuildRecord; steps: StepDefinition[]} | undefined> {
    const dirs = [join(this.manifest.logs, build)]
    const cacheDs = this.manifest.datasets.cache
    if (cacheDs) {
      const mp = (inventory ?? (await this.loadInventory())).datasetInfo.find(d => d.name === cacheDs)?.mountpoint
      if (mp) dirs.unshift(mp)
    }
    for (const dir of dirs) {
      const found = await readRecord(dir)
      if (found && found.record.build === build) {
        const m = manifestFromSource(
          parseManifestSource(found.manifestText, found.record.manifestPath),
          found.record.manifestPath,
        )
        return {record: found.record, steps: m.steps}
      }
    }
    return undefined
  }

  /** The exact command that resumes a build. */
  resumeCommand(build: string): string {
    const m = this.opts.manifestArg ?? relativeOrAbsolute(this.manifest.path)
    return `dcsnap resume -m ${m} --build ${build}`
  }

  private async plan(inventory: Inventory, opts: ResumeOptions): Promise<ResumePlan> {
    const build = selectBuild(inventory, opts.build)
    const recorded = await this.recordedSteps(build.id, inventory)
    const record = recorded?.record
    let plan = planResume({
      inventory,
      build,
      steps: this.manifest.steps,
      recorded: recorded?.steps,
      step: opts.step,
      allowChanged: opts.allowChanged,
      force: opts.force,
      ...(await this.resumeContext(inventory, build, record)),
    })
    // What follows the target is kept on a line unless --discard (rule 4): a failed step's partial output is not kept,
    // the head's changes after a completed build (or on another build) are. The dry run and the real run both plan
    // here, so they cannot disagree.
    const partial = await this.headHasPartialOutput(inventory)
    const atHead =
      build.line === HEAD_LINE && plan.target.line === HEAD_LINE && inventory.snapshots.at(-1) === plan.target
    // Only a pause the record names makes the head the user's: a dcsnap killed between a step and its checkpoint
    // leaves the step's whole output past the last checkpoint, which resuming must discard.
    const paused = recorded?.record.pausedAt === plan.target.name
    if (opts.keepChanges && opts.discardChanges) {
      throw new UsageError(
        'CONFLICTING_FLAGS',
        '--keep-changes and --discard-changes cannot be given together',
        'Pass one of them.',
      )
    }
    if (opts.keepChanges && !atHead) {
      throw new UsageError(
        'KEEP_CHANGES_NOT_AT_HEAD',
        `--keep-changes goes on from the head as it is, but resuming at ${plan.from.name} goes back to ${plan.target.name}, which is not the head's latest snapshot`,
        `Resume at the first step without a checkpoint (\`dcsnap resume\`), or leave out --keep-changes.`,
      )
    }
    if (atHead && (opts.keepChanges || (paused && !opts.discardChanges))) {
      // Rule 6: after a pause the head is the user's to change; the build goes on from it as it is.
      return {...plan, continueAsIs: true, rollback: {target: plan.target, destroy: [], steps: [], blockers: []}}
    }
    const forceMove = atHead && opts.discardChanges === true && paused
    plan = {
      ...plan,
      rollback: await keepOrDiscard(this.session, inventory, plan.rollback, {
        force: opts.force,
        discard: opts.discard,
        keepChanges: !partial,
        forceMove,
      }),
    }
    if (plan.target.user['dcsnap:cache'] === 'tmp') {
      const cache = await this.dataCacheFor(inventory, build.id, false)
      if (!(await cache.canRestore(plan.target.name))) {
        throw new RefusedError(
          'TMP_CACHE_GONE',
          `${plan.target.name} was taken with a data cache in a temporary directory, which ended with the process that made it`,
          'Start a new build (`dcsnap build`), or give the manifest a datasets.cache so checkpoints survive a restart (DCSNAP_UNSUPPORTED_TMP_RESUME=1 keeps copies: unsupported).',
        )
      }
    }
    return plan
  }

  /** What a resume plan needs beyond the inventory: the checkpoints of reused steps, the build's start, and the steps whose keys changed. */
  async resumeContext(
    inventory: Inventory,
    build: Build,
    record: BuildRecord | undefined,
  ): Promise<Pick<ResumeInputs, 'cached' | 'start' | 'keyChanges'>> {
    const reused = record?.steps.some(s => s.status === 'cached') ?? false
    return {
      cached: cachedCheckpoints(inventory, build, record),
      start: reused ? startOf(inventory, record) : undefined,
      keyChanges: record ? await this.keyChanges(record) : [],
    }
  }

  /**
   * Resume rule 3 by keys: each recorded step whose key, computed now from its recorded parent, differs (an edited
   * script, input or env var), with the first of its own inputs that differs.
   */
  private async keyChanges(record: BuildRecord): Promise<StepChange[]> {
    const changes: StepChange[] = []
    for (const step of this.manifest.steps) {
      const rec = record.steps.find(r => r.name === step.name && r.index === step.index)
      const parent = rec?.keyInputs?.find(i => i.kind === 'parent')?.digest
      if (!rec?.key || !rec.keyInputs || parent === undefined || (rec.status !== 'done' && rec.status !== 'cached'))
        continue
      const now = await stepKey({step, manifestDir: this.manifest.dir, inputs: step.inputs, parent})
      if (now.key === rec.key) continue
      const own = diffKeyInputs(rec.keyInputs, now.inputs).filter(d => d.kind !== 'parent')
      changes.push({index: step.index, step: step.name, change: 'modified', ...(own[0] ? {input: own[0]} : {})})
    }
    return changes
  }

  private async runSteps(
    inventory: Inventory,
    cache: DataCache,
    record: BuildRecord,
    steps: StepDefinition[],
    opts: RunOptions,
    locks: DatasetLocks,
    keys: {parent: string; tainted?: string; start: string},
  ): Promise<RunResult> {
    const id = record.build
    const ran: string[] = []
    const {tainted} = keys
    let parent = keys.parent
    const proto = inventory.datasetInfo.find(d => d.name === this.manifest.datasets.proto)?.mountpoint
    if (!proto)
      throw new UsageError(
        'NOT_MOUNTED',
        `${this.manifest.datasets.proto} has no mountpoint`,
        'Mount the proto dataset (zfs mount) so steps can write into it.',
      )
    for (const step of steps) {
      // A pause before the first step to run stops at the checkpoint the run starts from (the baseline, or the resume's target).
      if (opts.pauseBefore === step.name)
        return this.paused(cache, record, step.name, ran, ran.length > 0 ? checkpointName(id, ran.at(-1)) : keys.start)
      const rec = record.steps.find(s => s.name === step.name)!
      if (this.opts.signal?.aborted) {
        // A signal came while zfs ran (a checkpoint is never cut short): stop here, before the next step.
        Object.assign(rec, {
          status: 'interrupted',
          startedAt: undefined,
          finishedAt: new Date().toISOString(),
        } satisfies Partial<StepRecord>)
        await this.saveRecord(cache, record)
        return {
          build: id,
          status: 'interrupted',
          step: step.name,
          exitCode: null,
          resumeCommand: this.resumeCommand(id),
          ran,
          pruned: [],
        }
      }
      // The key is read before the step runs: what it ran from, not what it may change in the manifest's tree.
      const key = await stepKey({step, manifestDir: this.manifest.dir, inputs: step.inputs, parent})
      Object.assign(rec, {
        status: 'running',
        startedAt: new Date().toISOString(),
        finishedAt: undefined,
        exitCode: undefined,
        key: key.key,
        keyInputs: key.inputs,
        tainted,
      } satisfies Partial<StepRecord>)
      // Every attempt has its own log: a resume never overwrites the failed attempt's.
      const {path: log, attempt} = await nextStepLog(this.manifest.logs, id, step)
      rec.log = log
      rec.attempt = attempt
      await this.saveRecord(cache, record)
      this.session.logger.info(
        `[${step.index}/${this.manifest.steps.length}] ${step.name}${step.description ? `: ${step.description}` : ''}`,
      )
      const outcome = await runStep({
        step,
        mounts: resolveMounts(step, proto, this.manifest.dir),
        cwd: this.manifest.dir,
        log,
        signal: this.opts.signal,
        onOutput: this.opts.onOutput,
        onSpawn: (pid, cgroup) =>
          locks.setStep({name: step.name, pid, sid: pid, cgroup, since: new Date().toISOString()}, id),
        env: {
          ...this.env,
          ...step.env,
          DCSNAP_BUILD: id,
          DCSNAP_STEP: step.name,
          DCSNAP_STEP_INDEX: String(step.index),
          DCSNAP_PROTO: proto,
          DCSNAP_DATA_CACHE: cache.dir,
          DCSNAP_MANIFEST: this.manifest.path,
          DCSNAP_PERSIST: this.manifest.persist,
        },
      })
      locks.setStep(undefined)
      rec.finishedAt = new Date().toISOString()
      rec.exitCode = outcome.exitCode
      // A copy in the data cache: the checkpoint (and a replica of it, SPEC 8) carries the step's log.
      if (cache.kind === 'zfs') {
        await keepLogInCache(cache.dir, id, log).catch((error: unknown) =>
          this.session.logger.warn(`could not copy ${log} into the data cache: ${(error as Error).message}`),
        )
      }
      if (outcome.status !== 'succeeded') {
        rec.status = outcome.status
        await this.saveRecord(cache, record)
        return {
          build: id,
          status: outcome.status,
          step: step.name,
          exitCode: outcome.exitCode,
          log,
          resumeCommand: this.resumeCommand(id),
          ran,
          pruned: [],
        }
      }
      rec.status = 'done'
      await this.saveRecord(cache, record)
      try {
        await this.checkpoint(cache, id, step, this.manifest.steps, {
          'dcsnap:key': key.key,
          ...(tainted ? {'dcsnap:tainted': tainted} : {}),
        })
      } catch (error) {
        // The step did its work but nothing keeps it: resuming runs it again.
        rec.status = 'failed'
        await this.saveRecord(cache, record).catch(() => undefined)
        throw checkpointFailed(
          error,
          `build ${id}: step ${step.name} succeeded but its checkpoint ${checkpointName(id, step.name)} could not be taken`,
          `Fix what zfs reports, then run: ${this.resumeCommand(id)} (${step.name} runs again)`,
        )
      }
      this.session.logger.info(`      checkpoint ${checkpointName(id, step.name)}`)
      parent = key.key
      ran.push(step.name)
      if (opts.pauseAfter === step.name && step !== steps.at(-1))
        return this.paused(cache, record, step.name, ran, checkpointName(id, step.name))
    }
    return {build: id, status: 'completed', ran, pruned: await this.retain()}
  }

  /** Stops cleanly at a pause; the record says at which checkpoint, so that the resume goes on from the head as it is (rule 6). */
  private async paused(
    cache: DataCache,
    record: BuildRecord,
    step: string,
    ran: string[],
    at: string,
  ): Promise<RunResult> {
    const build = record.build
    record.pausedAt = at
    await this.saveRecord(cache, record)
    return {build, status: 'paused', step, ran, resumeCommand: this.resumeCommand(build), pruned: []}
  }

  private async checkpoint(
    cache: DataCache,
    build: string,
    step: StepDefinition | undefined,
    steps: StepDefinition[],
    extra: Record<string, string> = {},
  ): Promise<void> {
    const name = checkpointName(build, step?.name)
    refuseForeignMounts('', this.mountpoints, ExitCode.failed)
    await takeSnapshots(this.session, name, {
      'dcsnap:build': build,
      ...(step ? {'dcsnap:step': step.name} : {}),
      'dcsnap:index': String(step?.index ?? 0),
      'dcsnap:manifest': this.manifest.hash,
      'dcsnap:steps': stepsHash(steps, step?.index ?? 0),
      'dcsnap:cache': cache.kind,
      ...extra,
    })
    await cache.checkpoint(name)
  }

  private async retain(): Promise<string[]> {
    const keep = this.manifest.retain?.builds
    if (keep === undefined) return []
    const plan = await planPrune(this.session, keep)
    await executeDestroy(this.session, plan)
    return plan.destroy.map(s => s.name)
  }

  /** A record of this manifest's steps: `kept` gives a step's existing entry, or undefined for a pending one. */
  private newRecord(build: string, cache: DataCache, kept: (s: StepDefinition) => StepRecord | undefined): BuildRecord {
    return {
      build,
      name: this.manifest.name,
      manifestPath: this.manifest.path,
      manifestHash: this.manifest.hash,
      cache: cache.kind,
      steps: this.manifest.steps.map(s => kept(s) ?? fresh(s)),
    }
  }

  private async saveRecord(cache: DataCache, record: BuildRecord): Promise<void> {
    // The manifest is written once per directory and run (a checkpoint costs fewer writes), again after a rollback.
    // A copy beside the logs too: a build whose data cache went to a kept line keeps its record readable.
    for (const dir of [cache.dir, join(this.manifest.logs, record.build)]) {
      await writeRecord(dir, record, this.manifestSavedIn.has(dir) ? undefined : this.manifest.text)
      this.manifestSavedIn.add(dir)
    }
  }

  private async dataCacheFor(inventory: Inventory, build: string, fresh: boolean): Promise<DataCache> {
    const ds = this.manifest.datasets.cache
    if (ds) {
      const mp = inventory.datasetInfo.find(d => d.name === ds)?.mountpoint
      if (!mp)
        throw new UsageError(
          'NOT_MOUNTED',
          `the data cache ${ds} has no mountpoint`,
          'Mount it (zfs mount) or set a mountpoint.',
        )
      return zfsDataCache(mp)
    }
    if (this.tmpCache && !fresh) return this.tmpCache
    await this.tmpCache?.dispose()
    const keep =
      this.env.DCSNAP_UNSUPPORTED_TMP_RESUME === '1' ? join(this.manifest.logs, build, 'cache-copies') : undefined
    this.tmpCache = await tmpDataCache({keepCopiesIn: keep})
    return this.tmpCache
  }

  private checkLogsOutsideDatasets(inventory: Inventory): void {
    for (const d of inventory.datasetInfo) {
      if (d.mountpoint && isInside(this.manifest.logs, d.mountpoint)) {
        throw this.manifest.errorAt(
          'logs',
          'LOGS_IN_DATASET',
          `logs directory ${this.manifest.logs} is inside ${d.name}, which is snapshotted`,
          'Set `logs:` in the manifest to a directory outside the build datasets.',
        )
      }
      // What persists across builds must not be rolled back with them.
      if (d.mountpoint && isInside(this.manifest.persist, d.mountpoint)) {
        throw this.manifest.errorAt(
          'persist',
          'PERSIST_IN_DATASET',
          `persist directory ${this.manifest.persist} is inside ${d.name}, which is snapshotted and rolled back`,
          'Set `persist:` in the manifest to a directory outside the build datasets.',
        )
      }
    }
  }

  /** The build datasets' inventory; a dataset that does not exist is reported at its key in the manifest (exit 2). */
  async loadInventory(): Promise<Inventory> {
    try {
      const inventory = await loadInventory(this.session)
      this.mountpoints = inventory.mountpoints()
      return inventory
    } catch (error) {
      if (error instanceof DcsnapError && error.code === 'NO_SUCH_DATASET') {
        const {proto, cache} = this.manifest.datasets
        const missing = [proto, cache].find(d => d !== undefined && error.message.includes(d))
        const key = missing === cache && cache !== undefined ? 'datasets.cache' : 'datasets.proto'
        throw this.manifest.errorAt(
          key,
          'NO_SUCH_DATASET',
          `dataset ${missing ?? proto} does not exist`,
          'Create it (`zfs create`), or name an existing dataset in the manifest (`zfs list` shows them).',
        )
      }
      throw error
    }
  }

  private checkPauses(steps: StepDefinition[], opts: RunOptions): void {
    for (const s of [opts.pauseBefore, opts.pauseAfter]) {
      if (s !== undefined && !steps.some(x => x.name === s))
        throw new UsageError(
          'NO_SUCH_STEP',
          `no step "${s}" to pause at`,
          `Steps: ${steps.map(x => x.name).join(', ')}.`,
        )
    }
    // Never ignored: after the last step the build ends anyway, which is no pause.
    if (opts.pauseAfter !== undefined && opts.pauseAfter === steps.at(-1)?.name) {
      throw new UsageError(
        'PAUSE_AFTER_LAST',
        `--pause-after ${opts.pauseAfter}: it is the last step, after which the build ends`,
        `Pause after an earlier step, or leave out --pause-after (\`dcsnap list\` shows the last checkpoint when it is done).`,
      )
    }
  }

  private locked<T>(build: string | undefined, body: (locks: DatasetLocks) => Promise<T>): Promise<T> {
    return withLock(this.session, body, {build})
  }

  /** Makes the build's log directory (private, verified) before anything changes on the datasets: a bad `logs:` changes nothing. */
  private async prepareLogs(build: string): Promise<void> {
    await ensurePrivateDir(
      join(this.manifest.logs, build),
      'Set `logs:` in the manifest to a directory of your own, outside the build datasets.',
    )
    await ensurePrivateDir(
      this.manifest.persist,
      'Set `persist:` in the manifest to a directory of your own, outside the build datasets.',
    )
  }

  /**
   * Destroys the baseline parts of builds that never got further (a dcsnap killed between the proto's and the
   * cache's baseline snapshots on ZFS without atomic multi-dataset snapshots): nothing can resume from them.
   */
  private async discardHalfBaselines(inventory: Inventory): Promise<void> {
    const half = inventory
      .builds()
      .flatMap(b =>
        b.checkpoints.length === 0 && b.baseline && !b.baseline.complete && !b.baseline.held ? [b.baseline] : [],
      )
    if (half.length === 0) return
    const names = half.flatMap(s => s.members.map(m => m.name))
    this.session.logger.warn(
      `destroying ${names.join(', ')}: an incomplete baseline, left by a dcsnap that died while taking it`,
    )
    await executeDestroy(this.session, {destroy: half, kept: []})
  }
}

/** A step's \`mounts:\` as absolute directories under the proto area's mountpoint. */
function resolveMounts(step: StepDefinition, proto: string, manifestDir: string): ResolvedMount[] | undefined {
  const at: Record<string, string> = {proc: '/proc', sysfs: '/sys', devpts: '/dev/pts', tmpfs: '/tmp'}
  return step.mounts?.map((m): ResolvedMount => {
    if (typeof m === 'string') return {type: m, source: m, target: join(proto, at[m])}
    const source = resolvePath(manifestDir, m.bind)
    const target = join(proto, m.at ?? source)
    if (!isInside(target, proto)) {
      throw new UsageError(
        'MOUNT_OUTSIDE_PROTO',
        `step ${step.name}: a mount at ${m.at ?? source} would be outside the proto area (${target})`,
        'Name a directory inside the proto area in `at:` (a path such as /var/cache/apt, without ..).',
      )
    }
    return {type: 'bind', source, target}
  })
}

/** Names for a message: all of a few, or how many and the first and last of many. */
function summarise(names: string[]): string {
  return names.length <= 6 ? names.join(', ') : `${names.length} snapshots (${names[0]} ... ${names.at(-1)})`
}

/** `--cache-only`: refuses (exit 3) naming the first step that would run and why, before anything changes. */
function refuseMisses(plan: CachePlan): void {
  const miss = plan.steps.find(p => p.miss)
  if (!miss) return
  throw new RefusedError(
    'CACHE_MISS',
    `--cache-only: step ${miss.step} is not cached (${describeMiss(miss.miss!)})${plan.steps.length - plan.cached > 1 ? `; ${plan.steps.length - plan.cached} steps would run` : ''}`,
    '`dcsnap why` names what differs for each step; build without --cache-only to run them.',
    {step: miss.step, reason: miss.miss},
  )
}

/** A checkpoint that zfs refused, as exit 1 with the resume command; other errors (a bug, a signal) pass through. */
function checkpointFailed(error: unknown, message: string, hint: string): unknown {
  if (!(error instanceof DcsnapError)) return error
  // Mounts left under the datasets: their own hint says how to clear them.
  const fix =
    error.code === 'MOUNTS_UNDER_DATASETS'
      ? `${error.hint} ${hint.replace(/^Fix what zfs reports, then/, 'Then')}`
      : hint
  return new DcsnapError('CHECKPOINT_FAILED', `${message}: ${error.message}`, fix, ExitCode.failed, {
    cause: error.code,
    details: error.details,
  })
}

/**
 * For a build that reused steps from the cache: the checkpoint holding the state after each reused step, found by its
 * key (the head's line first), and the build's baseline for the last one.
 */
function cachedCheckpoints(
  inventory: Inventory,
  build: Build,
  record: BuildRecord | undefined,
): Map<string, SnapshotSet> {
  const map = new Map<string, SnapshotSet>()
  const count = Number(build.baseline?.user['dcsnap:cached'] ?? 0)
  for (const r of record?.steps ?? []) {
    if (r.status !== 'cached' || !r.key) continue
    if (r.index === count && build.baseline?.complete) {
      map.set(r.name, build.baseline)
      continue
    }
    const found = inventory
      .everywhere()
      .map(v =>
        [...v.snapshots]
          .reverse()
          .find(s => s.complete && s.user['dcsnap:key'] === r.key && s.user['dcsnap:tainted'] === undefined),
      )
      .find(s => s !== undefined)
    if (found) map.set(r.name, found)
  }
  return map
}

/** The state a build started from (its base), found by the recorded identity: the base snapshot's guid on the proto area. */
function startOf(inventory: Inventory, record: BuildRecord | undefined): SnapshotSet | undefined {
  const guid = /^guid:(\d+)$/.exec(record?.baseIdentity ?? '')?.[1]
  if (!guid) return undefined
  for (const v of inventory.everywhere()) {
    const found = v.snapshots.find(s => s.complete && s.members.some(m => m.guid === guid))
    if (found) return found
  }
  return undefined
}

/** One more than the highest numeric build id on any line (first build: 1). */
export function nextBuildId(inventory: Inventory): string {
  const numeric = inventory
    .allBuildIds()
    .filter(id => /^\d+$/.test(id))
    .map(Number)
  return String(numeric.length === 0 ? 1 : Math.max(...numeric) + 1)
}

/** A pending entry for a step. */
function fresh(s: StepDefinition): StepRecord {
  return {name: s.name, index: s.index, hash: stepHash(s), status: 'pending'}
}

function relativeOrAbsolute(p: string): string {
  const r = relative(process.cwd(), p)
  return r.startsWith('..') ? resolvePath(p) : r || '.'
}
