// Which streams bring a replica's dataset up to date: decided by guid, refusing a replica that diverged.
import {describe, expect, test} from '@jest/globals'
import {planDataset, type ChainSnapshot} from '../../../src/replication/plan.js'

const snap = (
  ds: string,
  name: string,
  guid: string,
  user: Record<string, string> = {'dcsnap:build': '1'},
): ChainSnapshot => ({
  name: `${ds}@${name}`,
  snapshot: name,
  guid,
  user,
})
const src = [snap('a/proto', 'dc-1', 'g1'), snap('a/proto', 'dc-1-f', 'g2'), snap('a/proto', 'dc-1-b', 'g3')]
const all = new Set(['g1', 'g2', 'g3', 'g9'])

describe('planDataset', () => {
  test('a missing replica dataset gets a full stream, then the rest', () => {
    expect(planDataset('r', src, undefined, all)).toMatchObject({kind: 'full', first: {guid: 'g1'}, last: {guid: 'g3'}})
  })

  test('an incremental from the newest snapshot both have, matched by guid and not by name', () => {
    const dest = [snap('r/proto', 'dc-1', 'g1'), snap('r/proto', 'renamed', 'g2')]
    expect(planDataset('r', src, dest, all)).toMatchObject({
      kind: 'incremental',
      from: {name: 'a/proto@dc-1-f'},
      last: {guid: 'g3'},
    })
  })

  test('up to date when the replica has the last one', () => {
    expect(planDataset('r', src, src, all)).toMatchObject({kind: 'up-to-date'})
  })

  test("dcsnap snapshots the source holds on another line: the replica's head moves back first", () => {
    const dest = [snap('r/proto', 'dc-1', 'g1'), snap('r/proto', 'dc-1-x', 'g9')]
    expect(planDataset('r', src, dest, all)).toMatchObject({
      kind: 'move',
      destAt: {snapshot: 'dc-1'},
      from: {guid: 'g1'},
    })
  })

  test('a snapshot made on the receiving side, or one of the same name with another guid, is a divergence', () => {
    const own = [snap('r/proto', 'dc-1', 'g1'), snap('r/proto', 'mine', 'g7', {})]
    expect(() => planDataset('r', src, own, all)).toThrow(
      expect.objectContaining({code: 'REPLICA_DIVERGED', exitCode: 3, message: expect.stringContaining('mine')}),
    )
    const sameName = [snap('r/proto', 'dc-1', 'g1'), snap('r/proto', 'dc-1-f', 'g8', {})]
    expect(() => planDataset('r', src, sameName, all)).toThrow(expect.objectContaining({code: 'REPLICA_DIVERGED'}))
  })

  test('nothing in common, or an empty dataset, is a divergence', () => {
    expect(() => planDataset('r', src, [snap('r/proto', 'x', 'g5')], all)).toThrow(/no snapshot in common/)
    expect(() => planDataset('r', src, [], all)).toThrow(/no snapshots at all/)
  })
})
