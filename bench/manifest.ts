// Manifests for the runner benchmarks, written into a fresh directory on this machine (steps run there).
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {stringify} from 'yaml'
import type {BenchPool} from './pool.js'

/** A step as written in a manifest (an array runs without a shell). */
export interface BenchStep {
  name: string
  run: string[]
}

/** Writes dcsnap.yaml for a pool's proto and cache datasets; returns its directory and path. */
export function writeManifest(pool: BenchPool, steps: BenchStep[]): {dir: string; file: string} {
  const dir = mkdtempSync(join(tmpdir(), 'dcsnap-bench-manifest-'))
  const file = join(dir, 'dcsnap.yaml')
  writeFileSync(
    file,
    stringify({
      version: 1,
      name: 'bench',
      datasets: {proto: pool.proto, cache: pool.cache},
      logs: join(dir, 'logs'),
      steps,
    }),
  )
  return {dir, file}
}
