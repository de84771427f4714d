// What every benchmark gets: the tier, its ZFS version, the number of runs asked for, and a progress logger.
import type {Tier} from './tier.js'

/** A benchmark's inputs. */
export interface BenchContext {
  tier: Tier
  /** The ZFS version (keys the cached pool images). */
  version: string
  /** Timed runs per side, when the user chose (`--runs`); else the benchmark's default. */
  runs?: number
  /** Skip the slow cases (`--quick`): their earlier results stay. */
  quick?: boolean
  log: (line: string) => void
}
