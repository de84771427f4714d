// Typed errors shared by the library and the CLI: each carries a stable code, an exit code and a hint.

/** Exit codes of the SPEC (section 4). */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  refused: 3,
  busy: 4,
  zfsNotFound: 127,
} as const

/** The base of every error dcsnap raises on purpose: message says what went wrong, hint what to do. */
export class DcsnapError extends Error {
  readonly code: string
  readonly exitCode: number
  readonly hint: string
  readonly details?: unknown

  constructor(code: string, message: string, hint: string, exitCode: number, details?: unknown) {
    super(message)
    this.name = new.target.name
    this.code = code
    this.hint = hint
    this.exitCode = exitCode
    this.details = details
  }
}

/** Invalid usage or input (exit 2). */
export class UsageError extends DcsnapError {
  constructor(code: string, message: string, hint: string, details?: unknown) {
    super(code, message, hint, ExitCode.usage, details)
  }
}

/** Refused by a safety rule (exit 3); the hint names the flag or step that would proceed. */
export class RefusedError extends DcsnapError {
  constructor(code: string, message: string, hint: string, details?: unknown) {
    super(code, message, hint, ExitCode.refused, details)
  }
}

/** Another dcsnap holds the build's lock (exit 4). */
export class BusyError extends DcsnapError {
  constructor(message: string, hint: string, details?: unknown) {
    super('BUSY', message, hint, ExitCode.busy, details)
  }
}

/** A signal (Ctrl-C, SIGTERM, SIGHUP) stopped the work; what was under way on the datasets was finished first (exit 1). */
export class InterruptedError extends DcsnapError {
  constructor(message: string, hint: string, details?: unknown) {
    super('INTERRUPTED', message, hint, ExitCode.failed, details)
  }
}
