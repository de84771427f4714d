// The shared body of `dcsnap push` and `dcsnap pull`: plan or transfer, progress on stderr, the result for --json.
import type {DcsnapCommand} from './base-command.js'
import {formatBytes, formatDuration} from './format.js'
import {
  planTransfer,
  transfer,
  type PlannedStream,
  type TransferEnds,
  type TransferPlan,
  type TransferResult,
} from '../replication/replicate.js'
import type {PipeProgress} from '../replication/pipe.js'

/** Runs a transfer (or, with --dry-run, prints its plan) and reports it. */
export async function transferCommand(
  cmd: DcsnapCommand,
  ends: TransferEnds,
  flags: {build?: string; all?: boolean; 'dry-run'?: boolean},
): Promise<TransferPlan | TransferResult> {
  const opts = {build: flags.build, all: flags.all, logger: cmd.logger}
  if (flags['dry-run']) {
    const plan = await planTransfer(ends, opts)
    if (!cmd.jsonEnabled()) cmd.log(describePlan(plan))
    return {...plan, dryRun: true} as TransferPlan
  }
  const progress = cmd.jsonEnabled() ? undefined : progressPrinter()
  // On a terminal dcsnap counts what a silent sender (zfs-fuse) sends, for the progress line; elsewhere the stream
  // goes straight from zfs send to zfs receive.
  const countBytes = progress !== undefined && process.stderr.isTTY === true
  const stop = stopOnSignals(cmd)
  let r: TransferResult
  try {
    r = await transfer(ends, {...opts, signal: stop.signal, onProgress: progress, countBytes})
  } finally {
    stop.dispose()
  }
  if (!cmd.jsonEnabled()) {
    for (const n of r.notes) cmd.logger.info(`note: ${n}`)
    if (r.keptLine)
      cmd.log(`the replica's head moved back to ${r.moveTo}; what followed it is kept on its line ${r.keptLine}`)
    cmd.log(
      r.streams.length === 0
        ? `${r.destination} is up to date (${r.upTo})`
        : `sent ${r.streams.length} stream(s)${r.bytes === undefined ? '' : `, ${formatBytes(r.bytes)}`} in ${formatDuration(r.seconds)}: ${r.destination} has ${r.upTo}`,
    )
  }
  return r
}

/** The plan in words: the replica's root, a move, and each stream with its estimated size. */
export function describePlan(plan: TransferPlan): string {
  const lines = [
    `${plan.source} -> ${plan.destination}${plan.build ? ` (build ${plan.build}` : " (the head's line"}, up to ${plan.upTo})`,
  ]
  if (plan.createRoot) lines.push(`creates ${plan.destination} (readonly, not mounted)`)
  if (plan.moveTo)
    lines.push(
      `moves the replica's head back to ${plan.moveTo}, keeping what follows on a kept line (the source's head moved)`,
    )
  for (const s of plan.streams)
    lines.push(`sends ${s.label} into ${s.dataset}${s.estimate === undefined ? '' : ` (~${formatBytes(s.estimate)})`}`)
  if (plan.streams.length === 0) lines.push('sends nothing: the replica is up to date')
  for (const n of plan.notes) lines.push(`note: ${n}`)
  return lines.join('\n')
}

/**
 * Progress on stderr: rewritten in place on a terminal, a line every 10 s otherwise; bytes, rate and ETA where known.
 * The datasets' streams run side by side: the line shows each stream under way.
 */
function progressPrinter(): (s: PlannedStream, p: PipeProgress) => void {
  const tty = process.stderr.isTTY === true
  const running = new Map<PlannedStream, PipeProgress>()
  let lastLine = 0
  let shown = false
  const describe = (s: PlannedStream, p: PipeProgress, now: number): string => {
    const seconds = Math.max((now - p.startedAt) / 1000, 0.001)
    const rate = p.bytes / seconds
    const estimate = p.estimate ?? s.estimate
    const eta =
      !p.done && estimate !== undefined && rate > 0 && estimate > p.bytes
        ? `, ETA ${formatDuration((estimate - p.bytes) / rate)}`
        : ''
    const total = estimate === undefined || p.done ? '' : ` of ~${formatBytes(estimate)}`
    const where = s.dataset.slice(s.dataset.lastIndexOf('/') + 1)
    return `${where} ${s.label}: ${formatBytes(p.bytes)}${total}, ${formatBytes(rate)}/s${eta}${p.done ? `, ${formatDuration(seconds)}` : ''}`
  }
  return (s, p) => {
    const now = Date.now()
    if (p.done) {
      running.delete(s)
      // A stream that ends within its first report's time says nothing more than the line that announced it.
      if (shown) process.stderr.write(tty ? `\r\u001B[K  ${describe(s, p, now)}\n` : `  ${describe(s, p, now)}\n`)
      if (running.size === 0) {
        shown = false
        lastLine = 0
      }
      return
    }
    running.set(s, p)
    const text = `  ${[...running].map(([r, q]) => describe(r, q, now)).join('; ')}`
    if (tty) {
      process.stderr.write(`\r\u001B[K${text}`)
      shown = true
    } else if (now - p.startedAt >= 10_000 && now - lastLine >= 10_000) {
      lastLine = now
      shown = true
      process.stderr.write(`${text}\n`)
    }
  }
}

/**
 * The first SIGINT, SIGTERM or SIGHUP stops the stream under way (the transfer then releases its holds and fails,
 * exit 1); a second one ends dcsnap at once. A transfer holds no lock, so the CLI's usual handler would end it at once.
 */
function stopOnSignals(cmd: DcsnapCommand): {signal: AbortSignal; dispose(): void} {
  const controller = new AbortController()
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
  const on = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      dispose()
      process.kill(process.pid, sig)
      return
    }
    cmd.logger.warn(`${sig}: stopping the transfer (its holds are released; again to quit at once)`)
    controller.abort(sig)
  }
  const dispose = () => {
    for (const s of signals) process.off(s, on)
  }
  for (const s of signals) process.on(s, on)
  return {signal: controller.signal, dispose}
}
