import {expect} from '@jest/globals'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {
  CAPABILITIES_CACHE_VERSION,
  parseCapabilities,
  probeCapabilities,
  readCachedCapabilities,
  writeCachedCapabilities,
  zfsFingerprint,
  type ZfsCapabilities,
} from '../../../src/zfs/capabilities.js'
import type {ZfsRunner} from '../../../src/zfs/command.js'
import {ZfsError} from '../../../src/zfs/errors.js'
import {Zfs} from '../../../src/zfs/zfs.js'
import {fixture} from '../../support/fixtures.js'

const capsOf = (dir: string) => {
  const usage = fixture(`${dir}/usage-zfs.txt`)
  const get = fixture(`${dir}/usage-get.txt`)
  const version = fixture(`${dir}/version.txt`)
  return parseCapabilities(
    usage.stdout + usage.stderr,
    get.stdout + get.stderr,
    version.exitCode === 0 ? version.stdout : undefined,
  )
}

describe('parseCapabilities on recorded usage texts', () => {
  test('zfs-fuse is legacy: no -p, no -j, one snapshot per call, no diff, written, clones or holds listing', () => {
    expect(capsOf('zfs-fuse')).toEqual({
      flavour: 'legacy',
      version: undefined,
      json: false,
      parsableList: false,
      multiSnapshot: false,
      diff: false,
      written: false,
      clones: false,
      holds: false,
    })
  })

  test('OpenZFS 2.3 has everything', () => {
    expect(capsOf('openzfs-2.3')).toEqual({
      flavour: 'openzfs',
      version: '2.3.2-2~bpo12+2',
      json: true,
      parsableList: true,
      multiSnapshot: true,
      diff: true,
      written: true,
      clones: true,
      holds: true,
    })
  })

  test('an OpenZFS before 2.3 (no -j in its list usage) lists with -Hp', () => {
    const usage = fixture('openzfs-2.3/usage-zfs.txt')
    const older = usage.stderr.replace(' [-j [--json-int]]', '')
    const get = fixture('openzfs-2.3/usage-get.txt')
    expect(parseCapabilities(older, get.stderr, 'zfs-2.1.11-1\n')).toMatchObject({
      json: false,
      parsableList: true,
      multiSnapshot: true,
    })
  })
})

/** Answers the probe's three calls from a recorded directory. */
const recordedRunner =
  (dir: string): ZfsRunner =>
  argv => {
    const r = fixture(`${dir}/${argv.length === 0 ? 'usage-zfs' : argv[0] === 'get' ? 'usage-get' : 'version'}.txt`)
    return Promise.resolve({stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? 0})
  }

/** The entries of a capabilities cache file. */
const cachedEntries = (file: string) =>
  (JSON.parse(readFileSync(file, 'utf8')) as {entries: Record<string, unknown>}).entries

/** A zfs forwarder that fails for a moment, as a busy VM or remote does. */
const failingRunner: ZfsRunner = () =>
  Promise.resolve({stdout: '', stderr: 'dcsnap-vm: no answer from the test VM within 30 s\n', exitCode: 124})

describe('probeCapabilities', () => {
  test('usage texts of a real zfs are conclusive', async () => {
    for (const dir of ['zfs-fuse', 'openzfs-2.3'])
      expect((await probeCapabilities(recordedRunner(dir))).conclusive).toBe(true)
  })

  test('a forwarder that failed is not conclusive', async () => {
    expect((await probeCapabilities(failingRunner)).conclusive).toBe(false)
  })

  test('an inconclusive probe is used once and not remembered; a conclusive one is remembered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dcsnap-caps-'))
    try {
      const cache = join(dir, 'zfs-capabilities.json')
      expect(
        await new Zfs({
          runner: failingRunner,
          capabilitiesCache: cache,
          env: {DCSNAP_ZFS: '/nonexistent/zfs-a'},
        }).capabilities(),
      ).toMatchObject({flavour: 'legacy'})
      expect(existsSync(cache)).toBe(false)
      expect(
        await new Zfs({
          runner: recordedRunner('openzfs-2.3'),
          capabilitiesCache: cache,
          env: {DCSNAP_ZFS: '/nonexistent/zfs-b'},
        }).capabilities(),
      ).toMatchObject({json: true})
      expect(Object.values(cachedEntries(cache))).toEqual([expect.objectContaining({flavour: 'openzfs'})])
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

/** A fresh directory for one test, removed after it. */
function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dcsnap-caps-'))
    try {
      await fn(dir)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  }
}

const openzfs: ZfsCapabilities = {
  flavour: 'openzfs',
  version: '2.3.2',
  json: true,
  parsableList: true,
  multiSnapshot: true,
  diff: true,
  written: true,
  clones: true,
  holds: true,
}

describe('the capability cache file', () => {
  test(
    'has a format version, a 0700 directory and a 0600 file, and keeps other entries',
    withDir(async dir => {
      const cache = join(dir, 'dcsnap', 'zfs-capabilities.json')
      await writeCachedCapabilities(cache, 'a', openzfs)
      await writeCachedCapabilities(cache, 'b', {...openzfs, flavour: 'legacy'})
      expect(JSON.parse(readFileSync(cache, 'utf8'))).toEqual({
        version: CAPABILITIES_CACHE_VERSION,
        entries: {a: openzfs, b: {...openzfs, flavour: 'legacy'}},
      })
      expect(statSync(cache).mode & 0o777).toBe(0o600)
      expect(statSync(join(dir, 'dcsnap')).mode & 0o777).toBe(0o700)
      expect(await readCachedCapabilities(cache, 'a')).toEqual(openzfs)
    }),
  )

  test(
    'entries of another format version or of the wrong shape are ignored',
    withDir(async dir => {
      const cache = join(dir, 'zfs-capabilities.json')
      writeFileSync(cache, JSON.stringify({a: openzfs}), {mode: 0o600}) // the format before versions: a flat record
      expect(await readCachedCapabilities(cache, 'a')).toBeUndefined()
      writeFileSync(cache, JSON.stringify({version: CAPABILITIES_CACHE_VERSION + 1, entries: {a: openzfs}}))
      expect(await readCachedCapabilities(cache, 'a')).toBeUndefined()
      const {multiSnapshot: _dropped, ...missing} = openzfs
      writeFileSync(
        cache,
        JSON.stringify({
          version: CAPABILITIES_CACHE_VERSION,
          entries: {a: missing, b: {...openzfs, json: 'yes'}, c: {...openzfs, flavour: 'other'}, d: openzfs},
        }),
      )
      expect(await readCachedCapabilities(cache, 'a')).toBeUndefined()
      expect(await readCachedCapabilities(cache, 'b')).toBeUndefined()
      expect(await readCachedCapabilities(cache, 'c')).toBeUndefined()
      expect(await readCachedCapabilities(cache, 'd')).toEqual(openzfs)
      writeFileSync(cache, 'not json')
      expect(await readCachedCapabilities(cache, 'd')).toBeUndefined()
    }),
  )

  test(
    'a cache in a directory others may write to is not read',
    withDir(async dir => {
      const cache = join(dir, 'zfs-capabilities.json')
      await writeCachedCapabilities(cache, 'a', openzfs)
      chmodSync(dir, 0o777)
      expect(await readCachedCapabilities(cache, 'a')).toBeUndefined()
      chmodSync(dir, 0o700)
      expect(await readCachedCapabilities(cache, 'a')).toEqual(openzfs)
    }),
  )
})

describe('zfsFingerprint: the zfs behind a prefix', () => {
  test(
    'follows every program the words name: sudo and the zfs it runs',
    withDir(async dir => {
      const bin = join(dir, 'bin')
      mkdirSync(bin)
      for (const p of ['sudo', 'zfs']) writeFileSync(join(bin, p), '#!/bin/sh\n', {mode: 0o755})
      const env = {PATH: bin}
      const words = ['sudo', '-n', 'zfs']
      const first = await zfsFingerprint(words, env)
      expect(await zfsFingerprint(words, env)).toBe(first)
      writeFileSync(join(bin, 'zfs'), '#!/bin/sh\n# zfs upgraded behind sudo\n')
      const upgraded = await zfsFingerprint(words, env)
      expect(upgraded).not.toBe(first)
      writeFileSync(join(bin, 'sudo'), '#!/bin/sh\n# sudo upgraded\n')
      expect(await zfsFingerprint(words, env)).not.toBe(upgraded)
      expect(await zfsFingerprint(['zfs'], env)).not.toBe(await zfsFingerprint(words, env))
    }),
  )

  test(
    'a path word is that file (a forwarder and the zfs it is given)',
    withDir(async dir => {
      const fwd = join(dir, 'forward')
      const zfs = join(dir, 'zfs')
      for (const p of [fwd, zfs]) writeFileSync(p, '#!/bin/sh\n', {mode: 0o755})
      const first = await zfsFingerprint([fwd, zfs], {PATH: ''})
      writeFileSync(zfs, '#!/bin/sh\n# new\n')
      expect(await zfsFingerprint([fwd, zfs], {PATH: ''})).not.toBe(first)
    }),
  )
})

describe('a stale cache is noticed by any zfs call', () => {
  /** A zfs-fuse behind a forwarder: answers the probe from recordings and refuses `zfs holds` and `-j`. */
  const legacyBehindForwarder =
    (calls: string[]): ZfsRunner =>
    async argv => {
      calls.push(argv.join(' '))
      if (argv.length === 0 || (argv.length === 1 && ['get', 'version'].includes(argv[0])))
        return recordedRunner('zfs-fuse')(argv)
      if (argv[0] === 'holds')
        return {stdout: '', stderr: "unrecognized command 'holds'\nusage: zfs command args ...\n", exitCode: 2}
      return {stdout: '', stderr: "invalid option 'j'\nusage:\n\tlist [-rH]\n", exitCode: 2}
    }

  test(
    'holds: a usage error makes dcsnap probe again once and go on with what zfs has now',
    withDir(async dir => {
      const cache = join(dir, 'zfs-capabilities.json')
      const env = {DCSNAP_ZFS: '/nonexistent/forwarder', PATH: ''}
      await writeCachedCapabilities(cache, await zfsFingerprint(['/nonexistent/forwarder'], env), openzfs)
      const calls: string[] = []
      const zfs = new Zfs({runner: legacyBehindForwarder(calls), capabilitiesCache: cache, env})
      expect(await zfs.holds(['p/ds@a'])).toEqual(new Map([['p/ds@a', []]]))
      expect(calls).toEqual(['holds -H p/ds@a', '', 'get', 'version'])
      expect(Object.values(cachedEntries(cache))).toEqual([expect.objectContaining({flavour: 'legacy', holds: false})])
    }),
  )

  test(
    'when the fresh probe says the same, the error stands and zfs is probed only once',
    withDir(async dir => {
      const cache = join(dir, 'zfs-capabilities.json')
      const env = {DCSNAP_ZFS: '/nonexistent/forwarder', PATH: ''}
      await writeCachedCapabilities(cache, await zfsFingerprint(['/nonexistent/forwarder'], env), capsOf('zfs-fuse'))
      const calls: string[] = []
      const zfs = new Zfs({runner: legacyBehindForwarder(calls), capabilitiesCache: cache, env})
      await expect(zfs.list(['p/ds'])).rejects.toMatchObject({kind: 'unsupported'})
      await expect(zfs.list(['p/ds'])).rejects.toBeInstanceOf(ZfsError)
      expect(calls.filter(c => c === 'version')).toHaveLength(1)
    }),
  )
})
