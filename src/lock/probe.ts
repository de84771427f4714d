// Reading a lock without taking it (so that looking never turns a starting build away): on Linux /proc/locks says
// whether the file is flocked, and the holder it records says by whom; a dead holder means an orphan.
import {closeSync, constants, fstatSync, openSync, readFileSync} from 'node:fs'
import {lockDir} from './lock-dir.js'
import {lockFilePath, readHolder, type LockHolder} from './lock-file.js'
import {findOrphan, isAlive, type Orphan} from './orphans.js'

/** Who holds the locks of a set of datasets: a live dcsnap, or the orphaned work of a dead one. */
export interface LockReport {
  holder?: LockHolder
  orphan?: Orphan
}

/** Reads the locks of `datasets`: the first live holder or orphan found (an empty report when all are free). */
export function probeLocks(datasets: readonly string[], env?: NodeJS.ProcessEnv): LockReport {
  let table: string | undefined
  try {
    table = readFileSync('/proc/locks', 'utf8')
  } catch {
    // No /proc/locks: table stays undefined, and whether a file is flocked is not known (handled below).
  }
  for (const dataset of [...new Set(datasets)].sort()) {
    const path = lockFilePath(lockDir(env), dataset)
    let fd: number
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW)
    } catch {
      continue
    }
    try {
      const holder = readHolder(fd)
      const st = fstatSync(fd)
      const hex = (n: number) => n.toString(16).padStart(2, '0')
      // /proc/locks names a file major:minor:inode, in hex; Linux's dev_t keeps the minor's low 8 bits at 0-7 and
      // its high bits from bit 20.
      const major = (st.dev >> 8) & 0xfff
      const minor = (st.dev & 0xff) | ((st.dev >> 12) & 0xfff00)
      const id = `${hex(major)}:${hex(minor)}:${st.ino}`
      const locked =
        table === undefined
          ? undefined
          : table.split('\n').some(l => /\bFLOCK\b/.test(l) && l.split(/\s+/).includes(id))
      if (holder && isAlive(holder.pid, holder.start) && locked !== false) return {holder}
      const orphan = findOrphan(holder, path, locked !== false)
      if (orphan) return {holder, orphan}
      if (locked) return {holder: holder ?? {pid: 0, command: 'unknown', since: ''}}
    } finally {
      closeSync(fd)
    }
  }
  return {}
}
