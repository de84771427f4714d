// The errors of the safe file layer: a path dcsnap will not write through, or a directory it cannot make.
import {UsageError} from '../errors.js'

/** A path another user could redirect or control (exit 2): says what is wrong with it. */
export function unsafePath(path: string, problem: string, hint: string): UsageError {
  return new UsageError('UNSAFE_PATH', `refusing to write in ${path}: it ${problem}`, hint, {path})
}

/** A directory that could not be created or inspected (exit 2), with the system's reason. */
export function cannotCreateDir(path: string, error: unknown, hint: string): UsageError {
  const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message
  return new UsageError('CANNOT_CREATE_DIR', `cannot create or inspect directory ${path}: ${reason}`, hint, {path})
}
