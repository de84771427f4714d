import {expect} from '@jest/globals'
import {execFileSync} from 'node:child_process'
import {
  chmodSync,
  chownSync,
  linkSync,
  lstatSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {join} from 'node:path'
import {openForWrite, openNewFile, writeFileAtomic} from '../../../src/fs/safe-open.js'
import {tempDirPerTest} from '../../support/temp-dir.js'

const asRoot = process.geteuid?.() === 0 ? test : test.skip
const unsafe = (what: string) =>
  expect.objectContaining({code: 'UNSAFE_PATH', exitCode: 2, message: expect.stringContaining(what)})

const tmp = tempDirPerTest('dcsnap-safeopen-')
let dir: string
let victim: string
beforeEach(() => {
  dir = tmp()
  victim = join(dir, 'victim')
  writeFileSync(victim, 'precious\n')
  chmodSync(victim, 0o644)
})

const untouched = () => {
  expect(readFileSync(victim, 'utf8')).toBe('precious\n')
  expect(statSync(victim).mode & 0o7777).toBe(0o644)
}

describe('openNewFile', () => {
  test('creates a file with exactly the mode asked for', async () => {
    const fh = await openNewFile(join(dir, 'new'), 0o640)
    await fh.writeFile('x')
    await fh.close()
    expect(statSync(join(dir, 'new')).mode & 0o7777).toBe(0o640)
    expect(readFileSync(join(dir, 'new'), 'utf8')).toBe('x')
  })
  test('refuses an existing file and a planted symlink, leaving the target untouched', async () => {
    symlinkSync(victim, join(dir, 'planted'))
    await expect(openNewFile(join(dir, 'planted'))).rejects.toEqual(unsafe('already exists'))
    await expect(openNewFile(victim)).rejects.toEqual(unsafe('already exists'))
    symlinkSync(join(dir, 'nothing-yet'), join(dir, 'dangling'))
    await expect(openNewFile(join(dir, 'dangling'))).rejects.toEqual(unsafe('already exists'))
    expect(readdirSync(dir).sort()).toEqual(['dangling', 'planted', 'victim'])
    untouched()
  })
})

describe('openForWrite', () => {
  test('creates a missing file 0600', async () => {
    await (await openForWrite(join(dir, 'log'))).close()
    expect(statSync(join(dir, 'log')).mode & 0o7777).toBe(0o600)
  })
  test('truncates an existing file of ours and makes it 0600', async () => {
    writeFileSync(join(dir, 'log'), 'old attempt\n')
    chmodSync(join(dir, 'log'), 0o644)
    const fh = await openForWrite(join(dir, 'log'))
    await fh.writeFile('new\n')
    await fh.close()
    expect(readFileSync(join(dir, 'log'), 'utf8')).toBe('new\n')
    expect(statSync(join(dir, 'log')).mode & 0o7777).toBe(0o600)
  })
  test('refuses a symlink planted at the path (the victim untouched)', async () => {
    symlinkSync(victim, join(dir, 'log'))
    await expect(openForWrite(join(dir, 'log'))).rejects.toEqual(unsafe('is a symbolic link'))
    untouched()
  })
  test('refuses a hard link to another file before truncating it', async () => {
    linkSync(victim, join(dir, 'log'))
    await expect(openForWrite(join(dir, 'log'))).rejects.toEqual(unsafe('2 hard links'))
    untouched()
  })
  test('refuses a FIFO and a directory without blocking', async () => {
    execFileSync('mkfifo', [join(dir, 'fifo')])
    await expect(openForWrite(join(dir, 'fifo'))).rejects.toEqual(unsafe('not a regular file'))
    await expect(openForWrite(dir)).rejects.toEqual(unsafe('not a regular file'))
  })
  asRoot("refuses another user's file (left as it was)", async () => {
    chownSync(victim, 65534, 65534)
    await expect(openForWrite(victim)).rejects.toEqual(unsafe('owned by uid 65534'))
    untouched()
  })
})

describe('writeFileAtomic', () => {
  test('writes the file 0600 and leaves no temp file', async () => {
    await writeFileAtomic(join(dir, 'record.json'), '{}\n')
    await writeFileAtomic(join(dir, 'record.json'), '{"a":1}\n')
    expect(readFileSync(join(dir, 'record.json'), 'utf8')).toBe('{"a":1}\n')
    expect(statSync(join(dir, 'record.json')).mode & 0o7777).toBe(0o600)
    expect(readdirSync(dir).sort()).toEqual(['record.json', 'victim'])
  })
  test('replaces a symlink planted at the path instead of writing through it', async () => {
    symlinkSync(victim, join(dir, 'record.json'))
    await writeFileAtomic(join(dir, 'record.json'), 'mine\n')
    expect(lstatSync(join(dir, 'record.json')).isFile()).toBe(true)
    expect(readFileSync(join(dir, 'record.json'), 'utf8')).toBe('mine\n')
    untouched()
  })
})
