// How `dcsnap why` and `dcsnap build --dry-run` show a cache plan: a table for people, plain data for --json.
import {describeMiss, type CachePlan, type MissReason} from '../cache/plan.js'
import {table} from './format.js'

/** One step of a cache plan as --json shows it. */
export interface CachePlanRow {
  index: number
  step: string
  key: string
  /** `hit` (reused from `from`) or `miss` (runs, `why` says why). */
  cache: 'hit' | 'miss'
  from: string | null
  why: string | null
  reason: MissReason | null
}

/** The plan's steps as plain rows, optionally only one step. */
export function cachePlanRows(plan: CachePlan, step?: string): CachePlanRow[] {
  return plan.steps
    .filter(p => step === undefined || p.step === step)
    .map(p => ({
      index: p.index,
      step: p.step,
      key: p.key.key,
      cache: p.hit ? 'hit' : 'miss',
      from: p.hit ?? null,
      why: p.miss ? describeMiss(p.miss) : null,
      reason: p.miss ?? null,
    }))
}

/** The rows as a table: #, STEP, CACHE, FROM / WHY. */
export function cachePlanTable(rows: CachePlanRow[]): string {
  return table(
    ['#', 'STEP', 'CACHE', 'FROM / WHY'],
    rows.map(r => [String(r.index), r.step, r.cache, r.from ?? r.why ?? '']),
  )
}
