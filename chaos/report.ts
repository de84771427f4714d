// What an experiment reports: how many trials ran, and each violation with what reproduces it.

/** One broken promise, found in one trial. */
export interface Violation {
  /** The trial (its number, or a name such as `rename#3:fail`). */
  trial: string
  /** What went wrong, in one line, with details after it. */
  what: string
  /** The command that replays this trial alone. */
  repro: string
}

/** The outcome of one experiment. */
export interface ExperimentResult {
  name: string
  trials: number
  violations: Violation[]
  /** Facts worth a line beside the counts (kill points hit, racers that ran at once ...). */
  notes: string[]
  ms: number
}

/** The one-line summary of an experiment, as `npm run chaos` prints it. */
export function summaryLine(r: ExperimentResult): string {
  const notes = r.notes.length > 0 ? ` (${r.notes.join('; ')})` : ''
  return `${r.name}: ${r.trials} trials, ${r.violations.length} violations${notes} [${(r.ms / 1000).toFixed(0)} s]`
}

/** The details of every violation of an experiment, indented under its summary. */
export function violationLines(r: ExperimentResult): string[] {
  return r.violations.flatMap(v => [
    `  ${r.name} trial ${v.trial}: ${v.what.split('\n')[0]}`,
    ...v.what
      .split('\n')
      .slice(1)
      .map(l => `      ${l}`),
    `      reproduce: ${v.repro}`,
  ])
}
