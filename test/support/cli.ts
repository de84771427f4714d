// Runs the built dcsnap CLI as a user does: node bin/run.js with real arguments, reading exit code, stdout, stderr.
import {execa} from 'execa'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {ErrorReport} from '../../src/cli/base-command.js'
import {repoRoot} from './paths.js'
import {host, type Result} from './zfs-host.js'

// A cache dir of this test file's own, so remembered zfs capabilities never come from the machine.
const cacheHome = mkdtempSync(join(tmpdir(), 'dcsnap-cache-'))

/** Runs `dcsnap ...args`; env adds to (and overrides) the tier's environment. */
export async function dcsnap(
  args: string[],
  opts: {env?: Record<string, string>; cwd?: string; input?: string} = {},
): Promise<Result> {
  const r = await execa('node', [join(repoRoot, 'bin', 'run.js'), ...args], {
    reject: false,
    cwd: opts.cwd ?? repoRoot,
    input: opts.input,
    stdin: opts.input === undefined ? 'ignore' : undefined,
    env: {XDG_CACHE_HOME: cacheHome, NO_COLOR: '1', ...host.env, ...opts.env},
  })
  return {stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? 1}
}

/** What a command that failed prints with --json (DcsnapCommand.catch). */
export interface ErrorJson {
  error: ErrorReport
}

/** Runs dcsnap with --json and parses stdout, as the shape T the caller names (unknown unless it names one). */
export async function dcsnapJson<T = unknown>(
  args: string[],
  opts: Parameters<typeof dcsnap>[1] = {},
): Promise<{exitCode: number; json: T; stderr: string}> {
  return jsonOf<T>(await dcsnap([...args, '--json'], opts))
}

/** Parses what a dcsnap --json run printed, as the shape T. */
export function jsonOf<T = unknown>(r: Result): {exitCode: number; json: T; stderr: string} {
  let json: T
  try {
    json = JSON.parse(r.stdout) as T
  } catch {
    throw new Error(`not JSON (exit ${r.exitCode}): ${r.stdout}\nstderr: ${r.stderr}`)
  }
  return {exitCode: r.exitCode, json, stderr: r.stderr}
}
