// A small seeded random number generator, so every chaos trial can be replayed from its seed.

/** A deterministic source of random numbers. */
export interface Rng {
  /** A float in [0, 1). */
  next(): number
  /** An integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T
  /** True with probability p. */
  chance(p: number): boolean
}

/** mulberry32 seeded from `seed` and any number of labels (experiment name, trial number). */
export function rng(seed: number, ...labels: Array<string | number>): Rng {
  let h = (seed >>> 0) ^ 0x9e3779b9
  for (const label of labels) {
    for (const ch of String(label)) h = Math.imul(h ^ ch.charCodeAt(0), 0x85ebca6b) >>> 0
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0
  }
  let a = h
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: items => items[Math.floor(next() * items.length)],
    chance: p => next() < p,
  }
}
