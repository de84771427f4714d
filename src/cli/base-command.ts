// The base of every dcsnap command: --json, --verbose, SPEC error output and exit codes, a stderr logger.
import {Command, Flags, Interfaces} from '@oclif/core'
import type {Logger} from '../logger.js'
import {isAbortError, notConfirmed} from './confirm.js'
import {paint} from './format.js'

/** Flags shared by commands that work on build datasets. */
export const targetFlags = {
  manifest: Flags.string({
    char: 'm',
    description: 'Manifest whose datasets to use [default: ./dcsnap.yaml].',
    helpValue: 'FILE',
    exclusive: ['dataset'],
  }),
  dataset: Flags.string({
    char: 'd',
    description: 'A build dataset (repeatable; the first is the proto area).',
    helpValue: 'DS',
    multiple: true,
  }),
}

/** The `--build` flag. */
export const buildFlag = {
  build: Flags.string({description: 'Build id to work on [default: the latest build].', helpValue: 'ID'}),
}

/** What an error becomes on the way out: the SPEC's code, two lines, and an exit code. */
export interface ErrorReport {
  code: string
  message: string
  hint: string
  exitCode: number
  /** Structured facts for scripts (a failed step's log and resume command, zfs's stderr ...). */
  details?: unknown
}

/** Turns any thrown value into an ErrorReport (DcsnapErrors keep theirs; oclif parse errors are usage, exit 2; Ctrl-C at a prompt is a refusal, exit 3). */
export function reportOf(err: unknown, commandId: string): ErrorReport {
  const e = err as {
    code?: string
    exitCode?: number
    hint?: string
    message?: string
    details?: unknown
    oclif?: {exit?: number}
  }
  if (typeof e?.exitCode === 'number' && typeof e.hint === 'string') {
    return {
      code: e.code ?? 'ERROR',
      message: e.message ?? String(err),
      hint: e.hint,
      exitCode: e.exitCode,
      details: e.details,
    }
  }
  if (isAbortError(err)) return reportOf(notConfirmed(), commandId)
  if (e?.oclif?.exit !== undefined) {
    return {
      code: 'USAGE',
      message: firstLine(e.message ?? String(err)),
      hint: `See \`dcsnap ${commandId.replaceAll(':', ' ')} --help\`.`,
      exitCode: 2,
    }
  }
  return {
    code: 'INTERNAL',
    message: e?.message ?? String(err),
    hint: 'This is a dcsnap bug: run again with --verbose and report the output.',
    exitCode: 1,
  }
}

/** A command with dcsnap's error handling; subclasses implement run(). */
export abstract class DcsnapCommand extends Command {
  static override enableJsonFlag = true
  static override baseFlags = {
    verbose: Flags.boolean({description: 'Show every zfs call and stack traces on errors.', helpGroup: 'GLOBAL'}),
  }

  /** Whether --verbose or DEBUG asks for detail. */
  protected get verbose(): boolean {
    return this.argv.includes('--verbose') || /dcsnap|\*/.test(process.env.DEBUG ?? '')
  }

  /** A logger writing progress to stderr (quiet in --json mode except warnings). */
  get logger(): Logger {
    const json = this.jsonEnabled()
    return {
      info: m => {
        if (!json) process.stderr.write(`${m}\n`)
      },
      warn: m => process.stderr.write(`${paint.yellow('warning:')} ${m}\n`),
      debug: m => {
        if (this.verbose) process.stderr.write(`${paint.dim(m)}\n`)
      },
    }
  }

  /** Writes --json output as plain indented JSON in one write (oclif's colorizer tokenizes it all: ~70 MB at 10k snapshots). */
  override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`)
  }

  // Not async: it always throws (oclif awaits catch, so a throw and a rejection are the same).
  protected override catch(err: Interfaces.CommandError): Promise<never> {
    if ((err as {code?: string}).code === 'EEXIT') throw err
    const r = reportOf(err, this.id ?? '')
    if (this.jsonEnabled()) {
      this.logJson({
        error: {
          code: r.code,
          message: r.message,
          exitCode: r.exitCode,
          hint: r.hint,
          ...(r.details === undefined ? {} : {details: r.details}),
        },
      })
    } else {
      // Always two lines, whatever zfs said: what went wrong, then what to do (--json keeps the text whole).
      process.stderr.write(`${paint.red('error:')} ${oneLine(r.message)}\n${oneLine(r.hint)}\n`)
    }
    if (this.verbose && err.stack) process.stderr.write(`${err.stack}\n`)
    this.exit(r.exitCode)
  }
}

/** Text of several lines as one: its lines joined with "; ". */
function oneLine(s: string): string {
  return s
    .split('\n')
    .map(l => l.trim())
    .filter(Boolean)
    .join('; ')
}

function firstLine(s: string): string {
  return (
    s
      .split('\n')
      .find(l => l.trim() !== '')
      ?.trim() ?? s
  )
}
