// The only way the library speaks: a logger the caller passes (the CLI's writes progress to stderr).

/** Receives progress and warnings; every method is optional to implement. */
export interface Logger {
  info(message: string): void
  warn(message: string): void
  debug(message: string): void
}

/** A logger that drops everything: the library's default, so it never prints on its own. */
export const silentLogger: Logger = {info() {}, warn() {}, debug() {}}
