// The file descriptors of the dataset locks this process holds: every child that must keep the datasets locked
// while it lives (a step, a zfs call) inherits them, so the kernel keeps the flock held until the last one exits.

const held = new Set<number>()

/** Registers the fd of a lock this process now holds. */
export function addHeldLockFd(fd: number): void {
  held.add(fd)
}

/** Forgets the fd of a lock this process released. */
export function removeHeldLockFd(fd: number): void {
  held.delete(fd)
}

/** The fds of the locks held now, in ascending order (children get them as fds 3, 4, ...). */
export function heldLockFds(): number[] {
  return [...held].sort((a, b) => a - b)
}
