import {Inventory} from '../../../src/snapshots/inventory.js'
import {listView} from '../../../src/operations/list.js'
import {dcsnapCommand, repairOf} from '../../../src/operations/repair.js'
import type {ZfsListing, ZfsSnapshot} from '../../../src/zfs/listing.js'

const snap = (dataset: string, snapshot: string, createtxg: number, extra: Partial<ZfsSnapshot> = {}): ZfsSnapshot => ({
  name: `${dataset}@${snapshot}`,
  dataset,
  snapshot,
  createtxg,
  creation: 2_000_000_000,
  used: 10,
  referenced: 0,
  userrefs: 0,
  user: {},
  ...extra,
})
const listing = (snapshots: ZfsSnapshot[]): ZfsListing => ({datasets: [], snapshots})
const target = ['-d', 'p/a', '-d', 'p/b']

describe('repairOf', () => {
  test('a complete set needs no repair', () => {
    const inv = new Inventory(['p/a', 'p/b'], listing([snap('p/a', 'x', 5), snap('p/b', 'x', 5)]))
    expect(repairOf(inv, inv.find('x')!, target)).toEqual({
      state: 'complete',
      splitWith: null,
      splitCandidates: [],
      repair: null,
      alternative: null,
    })
  })

  test("both halves of a split manual snapshot get the same rename, towards the proto area's name", () => {
    const inv = new Inventory(['p/a', 'p/b'], listing([snap('p/a', 'kept', 5), snap('p/b', 'keep-me', 6)]))
    const expected = {
      state: 'split',
      splitCandidates: [],
      repair: 'dcsnap rename keep-me kept -d p/a -d p/b',
      alternative: 'dcsnap rename kept keep-me -d p/a -d p/b',
    }
    expect(repairOf(inv, inv.find('kept')!, target)).toEqual({...expected, splitWith: 'keep-me'})
    expect(repairOf(inv, inv.find('keep-me')!, target)).toEqual({...expected, splitWith: 'kept'})
  })

  test('a split checkpoint is completed towards the manual name, which prune and rollback never destroy', () => {
    const user = {'dcsnap:build': '1', 'dcsnap:step': 'fetch'}
    const inv = new Inventory(
      ['p/a', 'p/b'],
      listing([snap('p/a', 'dc-1-fetch', 5, {user}), snap('p/b', 'keep fetch', 6, {user})]),
    )
    expect(repairOf(inv, inv.find('dc-1-fetch')!).repair).toBe("dcsnap rename dc-1-fetch 'keep fetch'")
  })

  test('an ambiguous pairing offers no repair, only the candidates', () => {
    const inv = new Inventory(
      ['p/a', 'p/b'],
      listing([snap('p/a', 'new', 5), snap('p/b', 'old', 6), snap('p/b', 'mine', 7)]),
    )
    expect(repairOf(inv, inv.find('new')!, target)).toEqual({
      state: 'incomplete',
      splitWith: null,
      splitCandidates: ['old', 'mine'],
      repair: null,
      alternative: null,
    })
    expect(repairOf(inv, inv.find('mine')!, target)).toMatchObject({
      state: 'incomplete',
      splitCandidates: ['new'],
      repair: null,
    })
  })

  test('a partial manual snapshot is completed by snapshotting again, or destroyed; a partial checkpoint has no repair here', () => {
    const inv = new Inventory(
      ['p/a', 'p/b'],
      listing([snap('p/b', 'mine', 5), snap('p/a', 'dc-1-x', 6, {user: {'dcsnap:build': '1'}})]),
    )
    expect(repairOf(inv, inv.find('mine')!, target)).toEqual({
      state: 'incomplete',
      splitWith: null,
      splitCandidates: [],
      repair: 'dcsnap snapshot mine -d p/a -d p/b',
      alternative: 'dcsnap destroy mine -d p/a -d p/b',
    })
    expect(repairOf(inv, inv.find('dc-1-x')!).repair).toBeNull()
  })

  test('listView carries the state and repair of each snapshot', () => {
    const inv = new Inventory(['p/a', 'p/b'], listing([snap('p/a', 'kept', 5), snap('p/b', 'keep-me', 6)]))
    const view = listView(inv, {target})
    expect(view.snapshots.map(s => [s.name, s.state, s.repair])).toEqual([
      ['kept', 'split', 'dcsnap rename keep-me kept -d p/a -d p/b'],
      ['keep-me', 'split', 'dcsnap rename keep-me kept -d p/a -d p/b'],
    ])
  })

  test('words are quoted for a shell only where needed', () => {
    expect(dcsnapCommand(['rename', "it's", 'a b', 'p/a@x'])).toBe("dcsnap rename 'it'\\''s' 'a b' p/a@x")
  })
})
