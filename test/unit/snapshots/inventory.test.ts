import {Inventory, splitHalves} from '../../../src/snapshots/inventory.js'
import type {ZfsListing, ZfsSnapshot} from '../../../src/zfs/listing.js'

const snap = (dataset: string, snapshot: string, createtxg: number, extra: Partial<ZfsSnapshot> = {}): ZfsSnapshot => ({
  name: `${dataset}@${snapshot}`,
  dataset,
  snapshot,
  createtxg,
  creation: 2_000_000_000 - createtxg,
  used: 10,
  referenced: 0,
  userrefs: 0,
  user: {},
  ...extra,
})

const listing = (snapshots: ZfsSnapshot[]): ZfsListing => ({datasets: [], snapshots})

describe('Inventory', () => {
  test('orders by createtxg, never by creation time', () => {
    const inv = new Inventory(
      ['p/a'],
      listing([snap('p/a', 'dc-1-b', 30), snap('p/a', 'dc-1', 10), snap('p/a', 'dc-1-a', 20)]),
    )
    expect(inv.snapshots.map(s => s.name)).toEqual(['dc-1', 'dc-1-a', 'dc-1-b'])
    expect(inv.build('1')!.checkpoints.map(c => c.step)).toEqual(['a', 'b'])
    expect(inv.build('1')!.baseline!.name).toBe('dc-1')
  })

  test('a checkpoint missing on one build dataset is incomplete', () => {
    const inv = new Inventory(
      ['p/a', 'p/b'],
      listing([snap('p/a', 'dc-1-x', 5), snap('p/b', 'dc-1-x', 5), snap('p/a', 'dc-1-y', 6)]),
    )
    expect(inv.find('dc-1-x')).toMatchObject({complete: true, missing: [], used: 20})
    expect(inv.find('dc-1-y')).toMatchObject({complete: false, missing: ['p/b']})
  })

  test('manual snapshots, holds, the latest build, and what a rollback destroys per dataset', () => {
    const inv = new Inventory(
      ['p/a'],
      listing([
        snap('p/a', 'dc-1', 1),
        snap('p/a', 'dc-1-s', 2, {userrefs: 1}),
        snap('p/a', 'mine', 3),
        snap('p/a', 'dc-2', 4),
        snap('p/a', 'dc-2-s', 5),
      ]),
    )
    expect(inv.manual().map(s => s.name)).toEqual(['mine'])
    expect(inv.find('dc-1-s')!.held).toBe(true)
    expect(inv.latestBuild()!.id).toBe('2')
    expect(inv.after('p/a', 'dc-1-s').map(s => s.snapshot)).toEqual(['mine', 'dc-2', 'dc-2-s'])
  })

  test('snapshots of other datasets are ignored', () => {
    const inv = new Inventory(['p/a'], listing([snap('p/a', 'x', 1), snap('p/other', 'y', 2)]))
    expect(inv.snapshots.map(s => s.name)).toEqual(['x'])
  })

  describe('a snapshot set split under two names by a half-done rename', () => {
    const ckpt = {user: {'dcsnap:build': '1', 'dcsnap:step': 'fetch', 'dcsnap:index': '1'}}

    test('checkpoint halves pair by their dcsnap properties, whenever taken', () => {
      const inv = new Inventory(
        ['p/a', 'p/b'],
        listing([snap('p/a', 'dc-1-fetch', 5, ckpt), snap('p/b', 'keep', 9, {...ckpt, creation: 1})]),
      )
      expect(inv.splitPartner(inv.find('dc-1-fetch')!)!.name).toBe('keep')
      expect(inv.splitPartner(inv.find('keep')!)!.name).toBe('dc-1-fetch')
    })

    test('halves with different dcsnap properties, or on a common dataset, are not a split', () => {
      const other = {user: {'dcsnap:build': '1', 'dcsnap:step': 'build', 'dcsnap:index': '2'}}
      const inv = new Inventory(
        ['p/a', 'p/b'],
        listing([snap('p/a', 'dc-1-fetch', 5, ckpt), snap('p/b', 'keep', 6, other), snap('p/b', 'mine', 7)]),
      )
      expect(inv.splitPartner(inv.find('dc-1-fetch')!)).toBeUndefined()
      expect(inv.splitPartner(inv.find('mine')!)).toBeUndefined()
      const both = new Inventory(
        ['p/a', 'p/b', 'p/c'],
        listing([snap('p/a', 'x', 5), snap('p/b', 'x', 5), snap('p/b', 'y', 6), snap('p/c', 'y', 6)]),
      )
      expect(splitHalves(both.find('x')!, both.find('y')!)).toBe(false)
    })

    test('manual halves pair when taken within a minute of each other, and only when the pairing is unambiguous', () => {
      const t = 2_000_000_000
      const near = new Inventory(
        ['p/a', 'p/b'],
        listing([snap('p/a', 'old', 5, {creation: t}), snap('p/b', 'new', 6, {creation: t + 2})]),
      )
      expect(near.splitPartner(near.find('old')!)!.name).toBe('new')
      const far = new Inventory(
        ['p/a', 'p/b'],
        listing([snap('p/a', 'old', 5, {creation: t}), snap('p/b', 'new', 6, {creation: t + 3600})]),
      )
      expect(far.splitPartner(far.find('old')!)).toBeUndefined()
      const two = new Inventory(
        ['p/a', 'p/b'],
        listing([
          snap('p/a', 'old', 5, {creation: t}),
          snap('p/b', 'new', 6, {creation: t}),
          snap('p/b', 'other', 7, {creation: t}),
        ]),
      )
      expect(two.splitPartner(two.find('old')!)).toBeUndefined()
      expect(two.splitPartner(two.find('new')!)).toBeUndefined()
    })

    test('a complete set is never half of a split', () => {
      const inv = new Inventory(
        ['p/a', 'p/b'],
        listing([snap('p/a', 'x', 5), snap('p/b', 'x', 5), snap('p/b', 'y', 6)]),
      )
      expect(inv.splitPartner(inv.find('x')!)).toBeUndefined()
      expect(inv.splitPartner(inv.find('y')!)).toBeUndefined()
    })
  })
})
