import {parseCapabilities} from '../../../src/zfs/capabilities.js'
import {fixture} from '../../support/fixtures.js'

describe('parseCapabilities', () => {
  test('zfs-fuse is legacy: no -p, no -j, one snapshot per call, no diff, written, clones or holds listing', () => {
    const fixtureMeta = fixture('zfs-fuse/usage-zfs.txt').meta
    expect(fixtureMeta[0]).toMatch(/zfs-fuse/)
    const caps = parseCapabilities(fixture('zfs-fuse/usage-zfs.txt').body, fixture('zfs-fuse/usage-get.txt').body)
    expect(caps).toEqual({
      flavour: 'legacy', version: undefined, json: false, parsableList: false, multiSnapshot: false,
      diff: false, written: false, clones: false, holds: false,
    })
  })

  test('OpenZFS usage lines enable each feature', () => {
    const usage = [
      '\tlist [-Hp] [-j [--json-int]] [-r|-d max] [-o property[,...]] [-s property]...',
      '\tsnapshot [-r] [-o property=value] ... <filesystem|volume>@<snap> ...',
      '\tdiff [-FHth] <snapshot> [snapshot|filesystem]',
      '\tholds [-rHp] <snapshot> ...',
    ].join('\n')
    const get = '\tPROPERTY       EDIT  INHERIT   VALUES\n\n\tclones           NO       NO   <dataset>[,...]\n\twritten          NO       NO   <size>\n'
    expect(parseCapabilities(usage, get, 'zfs-2.3.2-1~bpo12+1\nzfs-kmod-2.3.2-1\n')).toEqual({
      flavour: 'openzfs', version: '2.3.2-1~bpo12+1', json: true, parsableList: true, multiSnapshot: true,
      diff: true, written: true, clones: true, holds: true,
    })
  })
})
