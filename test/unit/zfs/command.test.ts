import {closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {addHeldLockFd, removeHeldLockFd} from '../../../src/lock/held-fds.js'
import type {ZfsCapabilities} from '../../../src/zfs/capabilities.js'
import {execZfsRunner} from '../../../src/zfs/command.js'
import {ZfsError} from '../../../src/zfs/errors.js'
import {Zfs} from '../../../src/zfs/zfs.js'
import {repoRoot} from '../../support/paths.js'

const caps: ZfsCapabilities = {
  flavour: 'legacy',
  json: false,
  parsableList: false,
  multiSnapshot: false,
  diff: false,
  written: false,
  clones: false,
  holds: false,
}
const showFds = join(repoRoot, 'fixtures/bin/show-fds')

/** What fixtures/bin/show-fds printed: its pid, pgid, LC_ALL and fds (number -> target). */
function parseShown(out: string): {pid: number; pgid: number; lcAll: string; fds: Map<number, string>} {
  const lines = out.split('\n')
  const value = (key: string) => lines.find(l => l.startsWith(`${key} `))!.slice(key.length + 1)
  const fds = new Map(
    lines
      .filter(l => l.startsWith('fd '))
      .map(l => {
        const [, fd, ...target] = l.split(' ')
        return [Number(fd), target.join(' ')] as const
      }),
  )
  return {pid: Number(value('pid')), pgid: Number(value('pgid')), lcAll: value('LC_ALL'), fds}
}

describe('zfs children', () => {
  test('inherit the held lock fds, run in a process group of their own, with LC_ALL=C', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dcsnap-fds-'))
    const lockFile = join(dir, 'lock')
    writeFileSync(lockFile, '')
    const fd = openSync(lockFile, 'r')
    addHeldLockFd(fd)
    try {
      const zfs = new Zfs({
        env: {...process.env, DCSNAP_ZFS: showFds, LC_ALL: 'de_DE.UTF-8'},
        capabilities: caps,
        capabilitiesCache: false,
      })
      const shown = parseShown(await zfs.exec(['snapshot', 'p/ds@x']))
      expect(shown.fds.get(3)).toBe(lockFile)
      expect(shown.lcAll).toBe('C')
      expect(shown.pgid).toBe(shown.pid)
      const ownPgid = Number(
        readFileSync('/proc/self/stat', 'utf8')
          .replace(/^.*\) /s, '')
          .split(' ')[2],
      )
      expect(shown.pgid).not.toBe(ownPgid)
      removeHeldLockFd(fd)
      expect([...parseShown(await zfs.exec(['list'])).fds.values()]).not.toContain(lockFile)
    } finally {
      removeHeldLockFd(fd)
      closeSync(fd)
      rmSync(dir, {recursive: true, force: true})
    }
  })

  test('zfs killed by a signal is exit 1 naming the signal and the call, never "zfs not found"', async () => {
    const run = execZfsRunner(['sh', '-c', 'kill -KILL $$', 'zfs'])
    const error = await run(['snapshot', 'p/ds@x']).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ZfsError)
    expect(error).toMatchObject({
      kind: 'killed',
      exitCode: 1,
      message: 'zfs was killed by SIGKILL while running `zfs snapshot p/ds@x`',
    })
  })

  test('only a program that cannot be run is exit 127', async () => {
    const error = await execZfsRunner(['/nonexistent/zfs'])(['list']).catch((e: unknown) => e)
    expect(error).toMatchObject({kind: 'not-found', exitCode: 127})
  })

  test('a zfs that fails is a result, classified by the caller', async () => {
    expect(
      await execZfsRunner(['sh', '-c', 'echo "cannot open: dataset does not exist" >&2; exit 1', 'zfs'])(['list']),
    ).toEqual({
      stdout: '',
      stderr: 'cannot open: dataset does not exist\n',
      exitCode: 1,
    })
  })
})
