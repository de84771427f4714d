// The results of a run: one row per measured thing, with its target and whether it was met.
import type {Machine} from './machine.js'
import type {Timing} from './measure.js'

/** One measured thing. */
export interface Row {
  id: string
  /** What dcsnap ran, as the docs show it. */
  benchmark: string
  /** What it is compared with ('' when there is no baseline). */
  baseline: string
  /** Timed runs of each side. */
  runs: number
  unit: 's' | 'MB'
  dcsnap: Timing
  base?: Timing
  /** dcsnap's median / the baseline's. */
  ratio?: number
  /** The target as the issue states it, e.g. `<= 1.3x, 1 zfs process`. */
  target: string
  /** The largest ratio (or, without a baseline, value) that meets the target. */
  max?: number
  /** zfs processes dcsnap ran (per command, or per checkpoint), counted through fixtures/bin/count-zfs. */
  zfsProcesses?: number
  /** The number of zfs processes the target allows. */
  zfsProcessesMax?: number
  /** true/false against the target; null when the target is only "report". */
  pass: boolean | null
  notes: string[]
  /** When the row was measured, and the load average then: set when a later run of the same day kept this row. */
  measured?: {date: string; loadAverage: number}
}

/** A run on one ZFS. */
export interface RunResults {
  date: string
  zfs: {kind: string; version: string; detail: string}
  machine: Machine
  /** 1-minute load average when the run started (other load skews medians). */
  loadAverage: number
  rows: Row[]
}

/** A row comparing dcsnap with a baseline by the ratio of medians. */
export function ratioRow(
  r: Omit<Row, 'ratio' | 'pass' | 'unit' | 'notes'> & {unit?: Row['unit']; notes?: string[]},
): Row {
  const ratio = r.base ? Math.round((r.dcsnap.median / r.base.median) * 100) / 100 : undefined
  const within = r.max === undefined || ratio === undefined ? null : ratio <= r.max
  const processes =
    r.zfsProcessesMax === undefined || r.zfsProcesses === undefined ? null : r.zfsProcesses <= r.zfsProcessesMax
  const pass = within === null && processes === null ? null : within !== false && processes !== false
  return {unit: 's', notes: [], ...r, ratio, pass}
}
