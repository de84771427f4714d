import {listProperties, parseGetRows, parseTabular} from '../../../src/zfs/listing.js'
import {fixture} from '../../support/fixtures.js'

describe('parseGetRows (zfs-fuse `zfs get -Hp`)', () => {
  const listing = parseGetRows(fixture('zfs-fuse/get-Hp.txt').body)

  test('datasets with their mountpoints', () => {
    expect(listing.datasets.map(d => [d.name, d.type, d.mountpoint])).toEqual([
      ['tp/cache', 'filesystem', '/tmp/fx/mnt/cache'],
      ['tp/proto', 'filesystem', '/tmp/fx/mnt/proto'],
    ])
  })

  test('snapshots with exact numbers, holds and only the user properties that are set', () => {
    const s = listing.snapshots.find(x => x.name === 'tp/proto@dc-1-fetch')!
    expect(s).toMatchObject({dataset: 'tp/proto', snapshot: 'dc-1-fetch', userrefs: 0, written: undefined, clones: undefined})
    expect(s.user).toEqual({'dcsnap:build': '1', 'dcsnap:step': 'fetch', 'dcsnap:index': '1', 'dcsnap:cache': 'zfs'})
    expect(s.createtxg).toBeGreaterThan(0)
    expect(s.creation).toBeGreaterThan(1_700_000_000)
    expect(listing.snapshots.find(x => x.name === 'tp/proto@dc-1')!.userrefs).toBe(1)
    expect(listing.snapshots.find(x => x.name === 'tp/proto@before-experiment')!.user).toEqual({})
    expect(listing.snapshots).toHaveLength(6)
  })
})

describe('parseTabular (`zfs list -Hp`)', () => {
  test('maps columns by the properties asked for; "-" is unset', () => {
    const props = listProperties({written: true, clones: true})
    const line = ['p/ds@dc-2-x', 'snapshot', '42', '1700000000', '4096', '8192', '1', '-', '512', 'p/clone', '2', 'x', '3', '-', '-', 'zfs'].join('\t')
    const l = parseTabular(`${line}\n`, props)
    expect(l.snapshots[0]).toEqual({
      name: 'p/ds@dc-2-x', dataset: 'p/ds', snapshot: 'dc-2-x', createtxg: 42, creation: 1700000000, used: 4096, referenced: 8192,
      written: 512, userrefs: 1, clones: ['p/clone'], user: {'dcsnap:build': '2', 'dcsnap:step': 'x', 'dcsnap:index': '3', 'dcsnap:cache': 'zfs'},
    })
  })
})
