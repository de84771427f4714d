import {execa} from 'execa'
import {chmodSync, mkdtempSync, symlinkSync, writeFileSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {acquireLocks, holdsLocks} from '../../../src/lock/dataset-locks.js'
import {lockFilePath} from '../../../src/lock/lock-file.js'
import {repoRoot} from '../../support/paths.js'

/** A shared lock directory as /run/lock is: sticky and world-writable. */
function sharedDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dcsnap-lockdir-'))
  chmodSync(dir, 0o1777)
  return dir
}

/** Tries the locks of `datasets` in another process (as `user` when given); resolves to its exit code (4: busy). */
async function tryInChild(dir: string, datasets: string[], user?: string): Promise<number> {
  const script = `const m = await import(${JSON.stringify(join(repoRoot, 'dist', 'src', 'lock', 'dataset-locks.js'))});
try { (await m.acquireLocks(${JSON.stringify(datasets)})).release(); process.exitCode = 0 } catch (e) { console.error(e.message); process.exitCode = e.exitCode ?? 1 }`
  const argv = ['node', '--input-type=module', '-e', script]
  const cmd = user
    ? ['su', user, '-s', '/bin/sh', '-c', argv.map(a => `'${a.replaceAll("'", `'\\''`)}'`).join(' ')]
    : argv
  const r = await execa(cmd[0], cmd.slice(1), {reject: false, env: {DCSNAP_LOCK_DIR: dir}})
  return r.exitCode ?? 1
}

const asRoot = process.geteuid?.() === 0

test('one lock per dataset: a set sharing a dataset is busy (exit 4), a disjoint set is not', async () => {
  const dir = sharedDir()
  const locks = await acquireLocks(['tank/proto', 'tank/cache'], {env: {DCSNAP_LOCK_DIR: dir}})
  try {
    expect(await tryInChild(dir, ['tank/cache'])).toBe(4)
    expect(await tryInChild(dir, ['tank/other', 'tank/proto'])).toBe(4)
    expect(await tryInChild(dir, ['tank/other'])).toBe(0)
  } finally {
    locks.release()
  }
  expect(await tryInChild(dir, ['tank/cache', 'tank/proto'])).toBe(0)
})

;(asRoot ? test : test.skip)('root and another user exclude each other through the shared directory', async () => {
  const dir = sharedDir()
  const locks = await acquireLocks(['tank/proto'], {env: {DCSNAP_LOCK_DIR: dir}})
  try {
    expect(await tryInChild(dir, ['tank/proto'], 'nobody')).toBe(4)
  } finally {
    locks.release()
  }
  expect(await tryInChild(dir, ['tank/proto'], 'nobody')).toBe(0)
})

test('re-entrant within a process: nested locks cost nothing and the outer release frees them', async () => {
  const env = {DCSNAP_LOCK_DIR: sharedDir()}
  const outer = await acquireLocks(['a/b', 'a/c'], {env})
  const inner = await acquireLocks(['a/c'], {env})
  inner.release()
  expect(holdsLocks(['a/b', 'a/c'])).toBe(true)
  outer.release()
  expect(holdsLocks(['a/b'])).toBe(false)
})

test('a symlink planted as a lock file is refused, and its target is left alone', async () => {
  const dir = sharedDir()
  const victim = join(mkdtempSync(join(tmpdir(), 'dcsnap-victim-')), 'victim')
  writeFileSync(victim, 'precious\n')
  symlinkSync(victim, lockFilePath(dir, 'tank/proto'))
  await expect(acquireLocks(['tank/proto'], {env: {DCSNAP_LOCK_DIR: dir}})).rejects.toMatchObject({
    code: 'UNSAFE_LOCK_FILE',
    exitCode: 2,
  })
  expect(readFileSync(victim, 'utf8')).toBe('precious\n')
})

test('a lock directory writable by others without the sticky bit is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dcsnap-lockdir-'))
  chmodSync(dir, 0o777)
  await expect(acquireLocks(['tank/proto'], {env: {DCSNAP_LOCK_DIR: dir}})).rejects.toMatchObject({
    code: 'UNSAFE_LOCK_DIR',
    exitCode: 2,
  })
})
