import {parseCapabilities} from '../../../src/zfs/capabilities.js'
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
