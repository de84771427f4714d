import {parseDiff, unescapePath} from '../../../src/zfs/diff.js'
import {listProperties, parseGetRows, parseJson, parseTabular} from '../../../src/zfs/listing.js'
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

describe('OpenZFS 2.3 listings: -Hp and -j --json-int give one model', () => {
  const props = ['name', 'type', 'createtxg', 'creation', 'used', 'referenced', 'written', 'userrefs', 'clones', 'mountpoint', 'dcsnap:build', 'dcsnap:step']
  const hp = parseTabular(fixture('openzfs-2.3/list-Hp.txt').body, props)
  const jint = parseJson(fixture('openzfs-2.3/list-j.json').body)

  // (Plain -j prints human sizes and dates, as list-j-strings.json shows: dcsnap always passes --json-int.)
  test('both parse to the same listing', () => {
    const sorted = (l: typeof hp) => ({datasets: [...l.datasets].sort((a, b) => a.name.localeCompare(b.name)), snapshots: [...l.snapshots].sort((a, b) => a.name.localeCompare(b.name))})
    expect(sorted(jint)).toEqual(sorted(hp))
  })

  test('written, clones, holds and user properties', () => {
    const build = hp.snapshots.find(s => s.name === 'tp/proto@dc-1-build')!
    expect(build).toMatchObject({dataset: 'tp/proto', snapshot: 'dc-1-build', createtxg: 12, written: 18432, userrefs: 0, clones: ['tp/experiment'], user: {'dcsnap:build': '1', 'dcsnap:step': 'build'}})
    expect(hp.snapshots.find(s => s.name === 'tp/proto@dc-1')).toMatchObject({userrefs: 1, clones: []})
    expect(hp.snapshots.find(s => s.name === 'tp/proto@before-experiment')!.user).toEqual({})
    expect(hp.datasets).toEqual([
      {name: 'tp/cache', type: 'filesystem', createtxg: 9, mountpoint: '/tp/cache'},
      {name: 'tp/proto', type: 'filesystem', createtxg: 8, mountpoint: '/tp/proto'},
    ])
  })
})

describe('parseDiff (OpenZFS 2.3 `zfs diff -FH`)', () => {
  test('added, modified, removed and renamed, with escaped names', () => {
    // The fixture was recorded with -t (a timestamp column first): drop it to get -FH output.
    const out = fixture('openzfs-2.3/diff-FHt.txt').body.split('\n').map(l => l.split('\t').slice(1).join('\t')).join('\n')
    expect(parseDiff(out)).toEqual([
      {change: 'added', type: 'F', path: '/tp/proto/added.txt'},
      {change: 'added', type: 'F', path: '/tp/proto/added file.txt'},
      {change: 'modified', type: '/', path: '/tp/proto/'},
      {change: 'modified', type: 'F', path: '/tp/proto/modify.txt'},
      {change: 'removed', type: 'F', path: '/tp/proto/remove.txt'},
      {change: 'renamed', type: 'F', path: '/tp/proto/rename-me.txt', to: '/tp/proto/renamed.txt'},
    ])
  })
  test('non-ASCII names come back as UTF-8', () => {
    expect(unescapePath('/p/caf\\0303\\0251')).toBe('/p/café')
  })
})
