import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {dcsnap, dcsnapJson} from '../support/cli.js'
import {createTestPool} from '../support/pool.js'
import {host} from '../support/zfs-host.js'

// The sandbox's pool file lives on this machine, so it runs where zpool does: the zfs-fuse tier.
const local = host.tier === 'zfs-fuse' ? test : test.skip

local('sandbox create makes a pool with proto and cache; sandbox destroy removes it and its file', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'dcsnap-sandbox-')), 'new')
  const pool = `dcsbx${process.pid}`
  const created = await dcsnapJson(['sandbox', 'create', '--pool', pool, '--dir', dir, '--size', '128M'])
  expect(created.exitCode).toBe(0)
  expect(created.json).toMatchObject({pool, proto: `${pool}/proto`, cache: `${pool}/cache`})
  try {
    // Nobody else can write in the directory; the image and the state file are ours alone.
    expect(statSync(dir).mode & 0o7777).toBe(0o755)
    expect(statSync(join(dir, 'vdev.img')).mode & 0o7777).toBe(0o600)
    expect(statSync(join(dir, 'vdev.img')).size).toBe(128 * 1024 * 1024)
    expect(statSync(join(dir, 'sandbox.json')).mode & 0o7777).toBe(0o600)
    expect((await dcsnap(['snapshot', 'first', '-d', `${pool}/proto`, '-d', `${pool}/cache`])).exitCode).toBe(0)
    const again = await dcsnap(['sandbox', 'create', '--pool', pool, '--dir', dir])
    expect(again.exitCode).toBe(2)
    expect(again.stderr).toMatch(/already exists/)
  } finally {
    const destroyed = await dcsnap(['sandbox', 'destroy', '--pool', pool, '--dir', dir])
    expect(destroyed.exitCode).toBe(0)
  }
  expect(existsSync(join(dir, 'vdev.img'))).toBe(false)
  expect((await host.zpool(['list', pool])).exitCode).not.toBe(0)
})

test('sandbox destroy refuses a pool that sandbox create did not make', async () => {
  const pool = await createTestPool()
  try {
    const r = await dcsnap([
      'sandbox',
      'destroy',
      '--pool',
      pool.name,
      '--dir',
      mkdtempSync(join(tmpdir(), 'dcsnap-nosbx-')),
    ])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/no dcsnap sandbox/)
    expect((await host.zpool(['list', pool.name])).exitCode).toBe(0)
  } finally {
    await pool.destroy()
  }
})

test('sandbox create refuses a vdev.img planted as a symlink, and a directory others can write, touching neither', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dcsnap-sbxplant-'))
  const victim = join(dir, 'victim')
  writeFileSync(victim, 'precious\n')
  mkdirSync(join(dir, 'sbx'))
  symlinkSync(victim, join(dir, 'sbx', 'vdev.img'))
  const planted = await dcsnap([
    'sandbox',
    'create',
    '--pool',
    `dcsbp${process.pid}`,
    '--dir',
    join(dir, 'sbx'),
    '--size',
    '64M',
  ])
  expect(planted.exitCode).toBe(2)
  expect(planted.stderr).toMatch(/vdev\.img: it already exists/)
  expect(readFileSync(victim, 'utf8')).toBe('precious\n')
  mkdirSync(join(dir, 'open'))
  chmodSync(join(dir, 'open'), 0o777)
  const open = await dcsnap([
    'sandbox',
    'create',
    '--pool',
    `dcsbp${process.pid}`,
    '--dir',
    join(dir, 'open', 'sbx'),
    '--size',
    '64M',
  ])
  expect(open.exitCode).toBe(2)
  expect(open.stderr).toMatch(/writable by .* without the sticky bit/)
  expect(readdirSync(join(dir, 'open'))).toEqual([])
})
