import {Inventory} from '../../../src/snapshots/inventory.js'
import type {ZfsListing, ZfsSnapshot} from '../../../src/zfs/listing.js'

const snap = (dataset: string, snapshot: string, createtxg: number, extra: Partial<ZfsSnapshot> = {}): ZfsSnapshot => ({
  name: `${dataset}@${snapshot}`, dataset, snapshot, createtxg, creation: 2_000_000_000 - createtxg, used: 10, referenced: 0, userrefs: 0, user: {}, ...extra,
})

const listing = (snapshots: ZfsSnapshot[]): ZfsListing => ({datasets: [], snapshots})

describe('Inventory', () => {
  test('orders by createtxg, never by creation time', () => {
    const inv = new Inventory(['p/a'], listing([snap('p/a', 'dc-1-b', 30), snap('p/a', 'dc-1', 10), snap('p/a', 'dc-1-a', 20)]))
    expect(inv.snapshots.map(s => s.name)).toEqual(['dc-1', 'dc-1-a', 'dc-1-b'])
    expect(inv.build('1')!.checkpoints.map(c => c.step)).toEqual(['a', 'b'])
    expect(inv.build('1')!.baseline!.name).toBe('dc-1')
  })

  test('a checkpoint missing on one build dataset is incomplete', () => {
    const inv = new Inventory(['p/a', 'p/b'], listing([snap('p/a', 'dc-1-x', 5), snap('p/b', 'dc-1-x', 5), snap('p/a', 'dc-1-y', 6)]))
    expect(inv.find('dc-1-x')).toMatchObject({complete: true, missing: [], used: 20})
    expect(inv.find('dc-1-y')).toMatchObject({complete: false, missing: ['p/b']})
  })

  test('manual snapshots, holds, the latest build, and what a rollback destroys per dataset', () => {
    const inv = new Inventory(['p/a'], listing([
      snap('p/a', 'dc-1', 1), snap('p/a', 'dc-1-s', 2, {userrefs: 1}), snap('p/a', 'mine', 3), snap('p/a', 'dc-2', 4), snap('p/a', 'dc-2-s', 5),
    ]))
    expect(inv.manual().map(s => s.name)).toEqual(['mine'])
    expect(inv.find('dc-1-s')!.held).toBe(true)
    expect(inv.latestBuild()!.id).toBe('2')
    expect(inv.after('p/a', 'dc-1-s').map(s => s.snapshot)).toEqual(['mine', 'dc-2', 'dc-2-s'])
  })

  test('snapshots of other datasets are ignored', () => {
    const inv = new Inventory(['p/a'], listing([snap('p/a', 'x', 1), snap('p/other', 'y', 2)]))
    expect(inv.snapshots.map(s => s.name)).toEqual(['x'])
  })
})
