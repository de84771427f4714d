// Human output: aligned tables, sizes, times, and colour that respects NO_COLOR and non-terminals.

const useColor = (stream: NodeJS.WriteStream = process.stderr) =>
  !('NO_COLOR' in process.env && process.env.NO_COLOR !== '') && stream.isTTY === true && process.env.TERM !== 'dumb'

const wrap = (open: number, close: number) => (s: string) => (useColor() ? `\u001B[${open}m${s}\u001B[${close}m` : s)

/** ANSI colours for stderr messages; plain text when NO_COLOR is set or stderr is not a terminal. */
export const paint = {red: wrap(31, 39), yellow: wrap(33, 39), green: wrap(32, 39), dim: wrap(2, 22), bold: wrap(1, 22)}

/** Formats bytes like zfs does: 0, 512, 1.5K, 20M, 3.2G. */
export function formatBytes(n: number | undefined): string {
  if (n === undefined) return '-'
  const units = ['', 'K', 'M', 'G', 'T', 'P']
  let v = n
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return u === 0 ? String(v) : `${v < 10 ? v.toFixed(1) : Math.round(v)}${units[u]}`
}

/** Formats epoch seconds as local `YYYY-MM-DD HH:MM:SS`. */
export function formatTime(seconds: number): string {
  const d = new Date(seconds * 1000)
  const p = (x: number) => String(x).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

/** Renders rows as a table with a header, columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}

/** A duration in seconds as people read it: 500ms, 42s, 3m05s, 1h02m. */
export function formatDuration(seconds: number): string {
  if (seconds > 0 && seconds < 1) return `${Math.round(seconds * 1000)}ms`
  const s = Math.round(seconds)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}
