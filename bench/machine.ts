// The machine a run was measured on: CPU model, cores, memory, kernel, node.
import {readFileSync} from 'node:fs'
import {cpus, release, totalmem} from 'node:os'

/** What the results say about the machine. */
export interface Machine {
  cpu: string
  cores: number
  memoryGiB: number
  kernel: string
  node: string
  os: string
}

/** Describes this machine. */
export function describeMachine(): Machine {
  let os = 'unknown'
  try {
    os = /^PRETTY_NAME="?([^"\n]*)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os
  } catch {
    // No /etc/os-release: the OS is 'unknown'.
  }
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    os,
  }
}
