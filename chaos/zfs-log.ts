// Reads the log the chaos zfs wrapper (fixtures/bin/chaos-zfs) writes: one line per call's begin and end, kills, hangs.
import {existsSync, readFileSync} from 'node:fs'

/** One zfs call as the wrapper saw it; times in wall-clock milliseconds. */
export interface ZfsCall {
  /** CHAOS_RUN of the dcsnap that made it. */
  run: string
  pid: number
  ppid: number
  start: number
  /** Undefined when the call never ended (killed, or hung). */
  end?: number
  exitCode?: number
  /** Whether it changes datasets (snapshot, destroy, rollback, rename, clone, promote, hold, set ...). */
  changing: boolean
  args: string[]
}

/** What the wrapper logged. */
export interface ZfsLog {
  calls: ZfsCall[]
  kills: Array<{run: string; at: number; how: string; args: string}>
  hangs: Array<{run: string; pid: number; at: number}>
  fails: Array<{run: string; at: number; args: string}>
}

const ms = (ns: string) => Number(ns) / 1e6

/** Parses a wrapper log (an absent file is an empty log). */
export function readZfsLog(file: string): ZfsLog {
  const log: ZfsLog = {calls: [], kills: [], hangs: [], fails: []}
  if (!existsSync(file)) return log
  const open = new Map<number, ZfsCall>()
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const f = line.split(' ')
    switch (f[0]) {
      case 'B': {
        const call: ZfsCall = {
          run: f[1],
          pid: Number(f[2]),
          ppid: Number(f[3]),
          start: ms(f[4]),
          changing: f[5] === '1',
          args: f.slice(6),
        }
        log.calls.push(call)
        open.set(call.pid, call)
        break
      }
      case 'E': {
        const call = open.get(Number(f[2]))
        if (call) {
          call.start = ms(f[4])
          call.end = ms(f[5])
          call.exitCode = Number(f[6])
          open.delete(call.pid)
        }
        break
      }
      case 'K':
        log.kills.push({run: f[1], at: ms(f[3]), how: `${f[4]} ${f[5]}`, args: f.slice(6).join(' ')})
        break
      case 'H':
        log.hangs.push({run: f[1], pid: Number(f[2]), at: ms(f[3])})
        break
      case 'F':
        log.fails.push({run: f[1], at: ms(f[3]), args: f.slice(4).join(' ')})
        break
    }
  }
  return log
}

/** The datasets a call names (snapshot names are reduced to their dataset). */
export function datasetsOf(call: ZfsCall): string[] {
  return [
    ...new Set(
      call.args.filter(a => !a.startsWith('-') && /[/@]/.test(a) && !a.includes('=')).map(a => a.split('@')[0]),
    ),
  ]
}
