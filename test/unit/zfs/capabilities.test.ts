import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseCapabilities, probeCapabilities} from '../../../src/zfs/capabilities.js'
import type {ZfsRunner} from '../../../src/zfs/command.js'
import {Zfs} from '../../../src/zfs/zfs.js'
import {fixture} from '../../support/fixtures.js'

const capsOf = (dir: string) => {
  const usage = fixture(`${dir}/usage-zfs.txt`)
  const get = fixture(`${dir}/usage-get.txt`)
  const version = fixture(`${dir}/version.txt`)
  return parseCapabilities(usage.stdout + usage.stderr, get.stdout + get.stderr, version.exitCode === 0 ? version.stdout : undefined)
}

describe('parseCapabilities on recorded usage texts', () => {
  test('zfs-fuse is legacy: no -p, no -j, one snapshot per call, no diff, written, clones or holds listing', () => {
    expect(capsOf('zfs-fuse')).toEqual({
      flavour: 'legacy', version: undefined, json: false, parsableList: false, multiSnapshot: false,
      diff: false, written: false, clones: false, holds: false,
    })
  })

  test('OpenZFS 2.3 has everything', () => {
    expect(capsOf('openzfs-2.3')).toEqual({
      flavour: 'openzfs', version: '2.3.2-2~bpo12+2', json: true, parsableList: true, multiSnapshot: true,
      diff: true, written: true, clones: true, holds: true,
    })
  })

  test('an OpenZFS before 2.3 (no -j in its list usage) lists with -Hp', () => {
    const usage = fixture('openzfs-2.3/usage-zfs.txt')
    const older = usage.stderr.replace(' [-j [--json-int]]', '')
    const get = fixture('openzfs-2.3/usage-get.txt')
    expect(parseCapabilities(older, get.stderr, 'zfs-2.1.11-1\n')).toMatchObject({json: false, parsableList: true, multiSnapshot: true})
  })
})

/** Answers the probe's three calls from a recorded directory. */
const recordedRunner = (dir: string): ZfsRunner => async argv => {
  const r = fixture(`${dir}/${argv.length === 0 ? 'usage-zfs' : argv[0] === 'get' ? 'usage-get' : 'version'}.txt`)
  return {stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? 0}
}

/** A zfs forwarder that fails for a moment, as a busy VM or remote does. */
const failingRunner: ZfsRunner = async () => ({stdout: '', stderr: 'dcsnap-vm: no answer from the test VM within 30 s\n', exitCode: 124})

describe('probeCapabilities', () => {
  test('usage texts of a real zfs are conclusive', async () => {
    for (const dir of ['zfs-fuse', 'openzfs-2.3']) expect((await probeCapabilities(recordedRunner(dir))).conclusive).toBe(true)
  })

  test('a forwarder that failed is not conclusive', async () => {
    expect((await probeCapabilities(failingRunner)).conclusive).toBe(false)
  })

  test('an inconclusive probe is used once and not remembered; a conclusive one is remembered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dcsnap-caps-'))
    try {
      const cache = join(dir, 'zfs-capabilities.json')
      expect(await new Zfs({runner: failingRunner, capabilitiesCache: cache, env: {DCSNAP_ZFS: '/nonexistent/zfs-a'}}).capabilities()).toMatchObject({flavour: 'legacy'})
      expect(existsSync(cache)).toBe(false)
      expect(await new Zfs({runner: recordedRunner('openzfs-2.3'), capabilitiesCache: cache, env: {DCSNAP_ZFS: '/nonexistent/zfs-b'}}).capabilities()).toMatchObject({json: true})
      expect(Object.values(JSON.parse(readFileSync(cache, 'utf8')))).toEqual([expect.objectContaining({flavour: 'openzfs'})])
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
