import {expect} from '@jest/globals'
import {chmodSync, chownSync, lchownSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {checkTrustedDir, ensurePrivateDir} from '../../../src/fs/private-dir.js'
import {tempDirPerTest} from '../../support/temp-dir.js'

// Ownership by another user needs root to set up (tests run as root); elsewhere those tests are skipped.
const asRoot = process.geteuid?.() === 0 ? test : test.skip
const NOBODY = 65534
const unsafe = (path: string, what: string) =>
  expect.objectContaining({
    code: 'UNSAFE_PATH',
    exitCode: 2,
    message: expect.stringMatching(new RegExp(`${path}.*${what}`)),
  })

const base = tempDirPerTest('dcsnap-privdir-')

describe('ensurePrivateDir', () => {
  test('creates every missing component 0700 and returns the absolute path', async () => {
    const dir = join(base(), 'a', 'b', 'c')
    expect(await ensurePrivateDir(dir)).toBe(dir)
    for (const d of [join(base(), 'a'), join(base(), 'a', 'b'), dir]) expect(statSync(d).mode & 0o7777).toBe(0o700)
  })
  test('created directories get the given mode, never writable by group or others', async () => {
    const dir = join(base(), 'x')
    await ensurePrivateDir(dir, {mode: 0o777})
    expect(statSync(dir).mode & 0o7777).toBe(0o755)
  })
  test('accepts an existing directory of ours that others may read but not write', async () => {
    const dir = join(base(), 'mine')
    mkdirSync(dir, {mode: 0o755})
    chmodSync(dir, 0o755)
    await expect(ensurePrivateDir(dir)).resolves.toBe(dir)
  })
  test('refuses a symlink planted at the path, and creates nothing in its target', async () => {
    const victim = join(base(), 'victim')
    mkdirSync(victim)
    symlinkSync(victim, join(base(), 'logs'))
    await expect(ensurePrivateDir(join(base(), 'logs'))).rejects.toEqual(unsafe(join(base(), 'logs'), 'symbolic link'))
    expect(readdirSync(victim)).toEqual([])
  })
  test('a symlink of ours on the way is followed (only the directory itself must not be one)', async () => {
    mkdirSync(join(base(), 'real'))
    symlinkSync(join(base(), 'real'), join(base(), 'logs'))
    await expect(ensurePrivateDir(join(base(), 'logs', 'sub'))).resolves.toBe(join(base(), 'logs', 'sub'))
    expect(readdirSync(join(base(), 'real'))).toEqual(['sub'])
  })
  test('refuses a group- or world-writable directory, with a chmod hint', async () => {
    for (const mode of [0o775, 0o777, 0o1777]) {
      const dir = join(base(), `m${mode.toString(8)}`)
      mkdirSync(dir)
      chmodSync(dir, mode)
      await expect(ensurePrivateDir(dir)).rejects.toEqual(
        expect.objectContaining({
          code: 'UNSAFE_PATH',
          message: expect.stringContaining('writable by'),
          hint: expect.stringContaining('chmod go-w'),
        }),
      )
    }
  })
  test('refuses a file where the directory should be', async () => {
    writeFileSync(join(base(), 'f'), '')
    await expect(ensurePrivateDir(join(base(), 'f'))).rejects.toEqual(unsafe(join(base(), 'f'), 'not a directory'))
  })
  asRoot('refuses a directory owned by another user, and creates nothing inside one', async () => {
    const theirs = join(base(), 'theirs')
    mkdirSync(theirs, {mode: 0o755})
    chownSync(theirs, NOBODY, NOBODY)
    await expect(ensurePrivateDir(theirs)).rejects.toEqual(unsafe(theirs, 'owned by uid 65534'))
    await expect(ensurePrivateDir(join(theirs, 'logs', '1'), 'Choose another `logs:` directory.')).rejects.toEqual(
      expect.objectContaining({
        code: 'UNSAFE_PATH',
        message: expect.stringContaining(`${theirs}: it is a directory owned by uid 65534`),
        hint: 'Choose another `logs:` directory.',
      }),
    )
    expect(readdirSync(theirs)).toEqual([])
  })
  asRoot('refuses an existing directory of ours inside one another user owns', async () => {
    const theirs = join(base(), 'theirs')
    mkdirSync(join(theirs, 'mine'), {recursive: true})
    chownSync(theirs, NOBODY, NOBODY)
    await expect(ensurePrivateDir(join(theirs, 'mine'))).rejects.toEqual(unsafe(theirs, 'owned by uid 65534'))
  })
  test('an ancestor writable by others must be sticky (like /tmp)', async () => {
    const shared = join(base(), 'shared')
    mkdirSync(shared)
    chmodSync(shared, 0o1777)
    await expect(ensurePrivateDir(join(shared, 'logs'))).resolves.toBe(join(shared, 'logs'))
    chmodSync(shared, 0o777)
    await expect(ensurePrivateDir(join(shared, 'logs'))).rejects.toEqual(unsafe(shared, 'without the sticky bit'))
    await expect(ensurePrivateDir(join(shared, 'other'))).rejects.toEqual(unsafe(shared, 'without the sticky bit'))
    expect(readdirSync(shared)).toEqual(['logs'])
  })
  asRoot('a symlink on the way must be owned by us or root, and its target checked too', async () => {
    const shared = join(base(), 'shared')
    mkdirSync(shared)
    chmodSync(shared, 0o1777)
    const target = join(base(), 'target')
    mkdirSync(target)
    symlinkSync(target, join(shared, 'link'))
    lchownSync(join(shared, 'link'), NOBODY, NOBODY)
    await expect(ensurePrivateDir(join(shared, 'link', 'logs'))).rejects.toEqual(
      unsafe(join(shared, 'link'), 'symbolic link owned by uid 65534'),
    )
    lchownSync(join(shared, 'link'), 0, 0)
    chownSync(target, NOBODY, NOBODY)
    await expect(ensurePrivateDir(join(shared, 'link', 'logs'))).rejects.toEqual(unsafe(target, 'owned by uid 65534'))
    chownSync(target, 0, 0)
    await expect(ensurePrivateDir(join(shared, 'link', 'logs'))).resolves.toBe(join(shared, 'link', 'logs'))
    expect(readdirSync(target)).toEqual(['logs'])
  })
})

describe('checkTrustedDir', () => {
  test('accepts the temp dir and returns its real path', async () => {
    symlinkSync(base(), join(base(), 'self'))
    await expect(checkTrustedDir(join(base(), 'self'))).resolves.toBe(base())
    await expect(checkTrustedDir(tmpdir())).resolves.toBeDefined()
  })
  test('refuses a world-writable directory without the sticky bit', async () => {
    chmodSync(base(), 0o777)
    await expect(checkTrustedDir(base())).rejects.toEqual(unsafe(base(), 'without the sticky bit'))
  })
})
