import {parseDiff, unescapePath} from '../../../src/zfs/diff.js'
import {ZfsError} from '../../../src/zfs/errors.js'
import {
  checkListed,
  listingPart,
  listProperties as allProperties,
  parseGetRows,
  parseJson,
  parseTabular,
  type ZfsListing,
} from '../../../src/zfs/listing.js'
import {fixture} from '../../support/fixtures.js'

/** The properties the recorded fixtures were listed with: those of dcsnap before kept lines (guid, origin, ... came with them). */
function listProperties(opts: {written: boolean; clones: boolean}): string[] {
  const later = [
    'guid',
    'origin',
    'mounted',
    'canmount',
    'usedbysnapshots',
    'dcsnap:kind',
    'dcsnap:journal',
    'dcsnap:key',
    'dcsnap:tainted',
    'dcsnap:cached',
    'dcsnap:from',
  ]
  return allProperties(opts).filter(p => !later.includes(p))
}

/** The properties zfs-fuse's get-Hp.txt fixture was recorded with. */
const legacyProps = listProperties({written: false, clones: false})

describe('parseGetRows (zfs-fuse `zfs get -Hp`)', () => {
  const listing = parseGetRows(fixture('zfs-fuse/get-Hp.txt').body, legacyProps)

  test('datasets with their mountpoints', () => {
    expect(listing.datasets.map(d => [d.name, d.type, d.mountpoint])).toEqual([
      ['tp/cache', 'filesystem', '/tmp/fx/mnt/cache'],
      ['tp/proto', 'filesystem', '/tmp/fx/mnt/proto'],
    ])
  })

  test('snapshots with exact numbers, holds and only the user properties that are set', () => {
    const s = listing.snapshots.find(x => x.name === 'tp/proto@dc-1-fetch')!
    expect(s).toMatchObject({
      dataset: 'tp/proto',
      snapshot: 'dc-1-fetch',
      userrefs: 0,
      written: undefined,
      clones: undefined,
    })
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
    const line = [
      'p/ds@dc-2-x',
      'snapshot',
      '42',
      '1700000000',
      '4096',
      '8192',
      '1',
      '-',
      '512',
      'p/clone',
      '2',
      'x',
      '3',
      '-',
      '-',
      'zfs',
    ].join('\t')
    const l = parseTabular(`${line}\n`, props)
    expect(l.snapshots[0]).toEqual({
      name: 'p/ds@dc-2-x',
      dataset: 'p/ds',
      snapshot: 'dc-2-x',
      createtxg: 42,
      creation: 1700000000,
      used: 4096,
      referenced: 8192,
      written: 512,
      userrefs: 1,
      clones: ['p/clone'],
      user: {'dcsnap:build': '2', 'dcsnap:step': 'x', 'dcsnap:index': '3', 'dcsnap:cache': 'zfs'},
    })
  })
})

describe('OpenZFS 2.3 listings: -Hp and -j --json-int give one model', () => {
  const props = [
    'name',
    'type',
    'createtxg',
    'creation',
    'used',
    'referenced',
    'written',
    'userrefs',
    'clones',
    'mountpoint',
    'dcsnap:build',
    'dcsnap:step',
  ]
  const hp = parseTabular(fixture('openzfs-2.3/list-Hp.txt').body, props)
  const jint = parseJson(fixture('openzfs-2.3/list-j.json').body, props)

  // (Plain -j prints human sizes and dates, as list-j-strings.json shows: dcsnap passes -p, which prints exact numbers as strings.)
  test('both parse to the same listing', () => {
    const sorted = (l: typeof hp) => ({
      datasets: [...l.datasets].sort((a, b) => a.name.localeCompare(b.name)),
      snapshots: [...l.snapshots].sort((a, b) => a.name.localeCompare(b.name)),
    })
    expect(sorted(jint)).toEqual(sorted(hp))
  })

  test('written, clones, holds and user properties', () => {
    const build = hp.snapshots.find(s => s.name === 'tp/proto@dc-1-build')!
    expect(build).toMatchObject({
      dataset: 'tp/proto',
      snapshot: 'dc-1-build',
      createtxg: 12,
      written: 18432,
      userrefs: 0,
      clones: ['tp/experiment'],
      user: {'dcsnap:build': '1', 'dcsnap:step': 'build'},
    })
    expect(hp.snapshots.find(s => s.name === 'tp/proto@dc-1')).toMatchObject({userrefs: 1, clones: []})
    expect(hp.snapshots.find(s => s.name === 'tp/proto@before-experiment')!.user).toEqual({})
    expect(hp.datasets.map(({name, type, createtxg, mountpoint}) => ({name, type, createtxg, mountpoint}))).toEqual([
      {name: 'tp/cache', type: 'filesystem', createtxg: 9, mountpoint: '/tp/cache'},
      {name: 'tp/proto', type: 'filesystem', createtxg: 8, mountpoint: '/tp/proto'},
    ])
  })
})

describe('guids in OpenZFS 2.3 JSON listings', () => {
  test('--json-int prints every guid above 2^63 as INT64_MAX; -j -p prints each exactly, as -Hp does', () => {
    const clamped = parseJson(fixture('openzfs-2.3/guid-json-int.txt').body, [
      'name',
      'type',
      'createtxg',
      'creation',
      'used',
      'referenced',
      'userrefs',
      'guid',
    ])
    const exact = parseJson(fixture('openzfs-2.3/guid-json-p.txt').body, [
      'name',
      'type',
      'createtxg',
      'creation',
      'used',
      'referenced',
      'userrefs',
      'guid',
    ])
    expect(new Set(clamped.snapshots.map(s => s.guid))).toEqual(new Set(['9223372036854775807']))
    expect(exact.snapshots.map(s => s.guid)).toEqual(['9536112949889685252', '17381494252486172775'])
  })
})

describe('parseDiff (OpenZFS 2.3 `zfs diff -FH`)', () => {
  test('added, modified, removed and renamed, with escaped names', () => {
    // The fixture was recorded with -t (a timestamp column first): drop it to get -FH output.
    const out = fixture('openzfs-2.3/diff-FHt.txt')
      .body.split('\n')
      .map(l => l.split('\t').slice(1).join('\t'))
      .join('\n')
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

/** What a parser threw: a ZfsError 'unsupported-output' (exit 1) is the only acceptable failure. */
function outputError(parse: () => unknown): ZfsError {
  try {
    parse()
  } catch (error) {
    expect(error).toBeInstanceOf(ZfsError)
    const e = error as ZfsError
    expect(e).toMatchObject({kind: 'unsupported-output', code: 'ZFS_UNSUPPORTED_OUTPUT', exitCode: 1})
    expect(e.message).not.toContain('\n')
    expect(e.hint).toMatch(/dcsnap does not understand this zfs's output.*--verbose.*report/)
    return e
  }
  throw new Error('the parser accepted output it should have refused')
}

describe('output that does not parse is an error, never a default', () => {
  const props = [
    'name',
    'type',
    'createtxg',
    'creation',
    'used',
    'referenced',
    'written',
    'userrefs',
    'clones',
    'mountpoint',
    'dcsnap:build',
    'dcsnap:step',
  ]
  const argv = ['list', '-H', '-p', '-o', props.join(','), 'tp/proto', 'tp/cache']
  const hp = fixture('openzfs-2.3/list-Hp.txt').body
  const lines = hp.split('\n').filter(Boolean)
  /** list-Hp.txt with line `i` changed by `edit` (its cells). */
  const mutated = (i: number, edit: (cells: string[]) => string[]) =>
    lines.map((l, j) => (j === i ? edit(l.split('\t')).join('\t') : l)).join('\n') + '\n'
  const snapshotLine = lines.findIndex(l => l.startsWith('tp/proto@dc-1-build\t'))
  const cell = (p: string) => props.indexOf(p)
  const set = (p: string, v: string) => (cells: string[]) => cells.map((c, k) => (k === cell(p) ? v : c))

  test('a line with a cell missing or one too many names the command and the line', () => {
    const short = mutated(snapshotLine, c => c.slice(0, -1))
    const e = outputError(() => parseTabular(short, props, argv))
    expect(e.message).toContain('`zfs list -H -p -o name,type,createtxg')
    expect(e.message).toContain('11 tab-separated fields, not the 12 asked for')
    expect(e.message).toContain(JSON.stringify(lines[snapshotLine].split('\t').slice(0, -1).join('\t')))
    expect(
      outputError(() =>
        parseTabular(
          mutated(snapshotLine, c => [...c, 'extra']),
          props,
          argv,
        ),
      ).message,
    ).toContain('13 tab-separated fields')
  })

  test.each([
    ['createtxg', 'x'],
    ['createtxg', '-'],
    ['createtxg', ''],
    ['createtxg', '1e3'],
    ['createtxg', '-5'],
    ['creation', '-'],
    ['used', '12K'],
    ['referenced', ''],
    ['userrefs', '-'],
    ['written', 'lots'],
  ])('a snapshot whose %s is "%s" is refused (never read as 0)', (p, v) => {
    expect(outputError(() => parseTabular(mutated(snapshotLine, set(p, v)), props, argv)).message).toContain(
      `"${p}" of tp/proto@dc-1-build`,
    )
  })

  test('a dataset whose createtxg is not a number is refused', () => {
    const ds = lines.findIndex(l => l.startsWith('tp/proto\t'))
    outputError(() => parseTabular(mutated(ds, set('createtxg', '-')), props, argv))
  })

  test('a type that disagrees with the name, or one not asked for, is refused', () => {
    outputError(() => parseTabular(mutated(snapshotLine, set('type', 'filesystem')), props, argv))
    outputError(() => parseTabular(mutated(snapshotLine, set('type', 'bookmark')), props, argv))
    outputError(() => parseTabular(mutated(snapshotLine, set('name', 'tp/proto')), props, argv))
  })

  test('"-" stays accepted where it means none or unknown: written, clones, mountpoint, user properties', () => {
    const ds = lines.findIndex(l => l.startsWith('tp/proto\t'))
    let text = mutated(snapshotLine, set('written', '-'))
    text = text.replace(lines[ds], lines[ds].replace('/tp/proto', 'legacy'))
    const l = parseTabular(text, props, argv)
    expect(l.snapshots.find(s => s.name === 'tp/proto@dc-1-build')).toMatchObject({
      written: undefined,
      clones: ['tp/experiment'],
    })
    expect(l.snapshots.find(s => s.name === 'tp/proto@dc-1')).toMatchObject({clones: [], user: {'dcsnap:build': '1'}})
    expect(l.datasets.find(d => d.name === 'tp/proto')!.mountpoint).toBe('legacy')
    const none = parseTabular(hp.replace('/tp/cache', 'none'), props, argv)
    expect(none.datasets.find(d => d.name === 'tp/cache')!.mountpoint).toBe('none')
  })

  describe('zfs-fuse `zfs get -Hp` rows', () => {
    const get = fixture('zfs-fuse/get-Hp.txt').body
    const getArgv = [
      'get',
      '-H',
      '-p',
      '-r',
      '-d',
      '1',
      '-o',
      'name,property,value',
      'type,createtxg',
      'tp/proto',
      'tp/cache',
    ]

    test('an object missing a property asked for is refused (the line is not silently dropped)', () => {
      const e = outputError(() =>
        parseGetRows(
          get.replace('tp/proto@dc-1-fetch\tcreatetxg\t', 'tp/proto@dc-1-fetch\tcreatetxg-gone\t'),
          legacyProps,
          getArgv,
        ),
      )
      expect(e.message).toContain('`zfs get -H -p -r -d 1')
      const dropped = get
        .split('\n')
        .filter(l => !l.startsWith('tp/proto@dc-1-fetch\tcreatetxg\t'))
        .join('\n')
      expect(outputError(() => parseGetRows(dropped, legacyProps, getArgv)).message).toContain(
        'no createtxg for tp/proto@dc-1-fetch',
      )
    })

    test('a short line, a garbage number or a property given twice is refused', () => {
      outputError(() =>
        parseGetRows(
          get.replace('tp/proto@dc-1-fetch\tcreatetxg\t', 'tp/proto@dc-1-fetch createtxg '),
          legacyProps,
          getArgv,
        ),
      )
      outputError(() =>
        parseGetRows(
          get.replace(/tp\/proto@dc-1-fetch\tcreatetxg\t\d+/, 'tp/proto@dc-1-fetch\tcreatetxg\tnone'),
          legacyProps,
          getArgv,
        ),
      )
      outputError(() => parseGetRows(`${get}tp/proto@dc-1-fetch\tcreatetxg\t1\n`, legacyProps, getArgv))
    })

    test('the properties of one object may come in any order and apart', () => {
      const rows = get.split('\n').filter(Boolean)
      const reordered = [...rows.slice(1), rows[0]].join('\n')
      expect(parseGetRows(reordered, legacyProps, getArgv)).toEqual(parseGetRows(get, legacyProps, getArgv))
    })
  })

  describe('OpenZFS `zfs list -j --json-int`', () => {
    const json = fixture('openzfs-2.3/list-j.json').body
    const jArgv = ['list', '-j', '--json-int', 'tp/proto']
    type Doc = {datasets: Record<string, {properties: Record<string, unknown>}>}
    const edit = (change: (doc: Doc) => void) => {
      const doc = JSON.parse(json) as Doc
      change(doc)
      return JSON.stringify(doc)
    }

    test('text that is not JSON, or JSON without datasets, is refused', () => {
      expect(outputError(() => parseJson(json.slice(0, 100), props, jArgv)).message).toContain('is not JSON')
      outputError(() => parseJson('{"output_version": {}}', props, jArgv))
      outputError(() => parseJson('[]', props, jArgv))
    })

    test('a property missing or of the wrong type is refused', () => {
      outputError(() =>
        parseJson(
          edit(d => delete d.datasets['tp/proto@dc-1-build'].properties.createtxg),
          props,
          jArgv,
        ),
      )
      outputError(() =>
        parseJson(
          edit(d => (d.datasets['tp/proto@dc-1-build'].properties.createtxg = {value: null})),
          props,
          jArgv,
        ),
      )
      outputError(() =>
        parseJson(
          edit(d => (d.datasets['tp/proto@dc-1-build'].properties.used = {value: true})),
          props,
          jArgv,
        ),
      )
      outputError(() =>
        parseJson(
          edit(d => (d.datasets['tp/proto@dc-1-build'].properties = [] as never)),
          props,
          jArgv,
        ),
      )
      outputError(() =>
        parseJson(
          edit(d => (d.datasets['tp/proto@dc-1-build'].properties.creation = {value: '-'})),
          props,
          jArgv,
        ),
      )
    })

    test('plain -j (human sizes and dates) is refused rather than misread', () => {
      outputError(() => parseJson(fixture('openzfs-2.3/list-j-strings.json').body, props, ['list', '-j']))
    })
  })

  test('a dataset asked for and not listed is an error', () => {
    const l: ZfsListing = parseTabular(hp, props, argv)
    expect(() => checkListed(l, ['tp/proto', 'tp/cache'], argv)).not.toThrow()
    expect(outputError(() => checkListed(l, ['tp/proto', 'tp/other'], argv)).message).toContain('no line for tp/other')
  })

  test('zfs diff lines of another form are refused', () => {
    const dArgv = ['diff', '-F', '-H', 'tp/proto@a']
    expect(parseDiff('M\tF\t/p/a\n', dArgv)).toEqual([{change: 'modified', type: 'F', path: '/p/a'}])
    outputError(() => parseDiff('X\tF\t/p/a\n', dArgv))
    outputError(() => parseDiff('M\t/p/a\n', dArgv))
    outputError(() => parseDiff('R\tF\t/p/a\n', dArgv))
    outputError(() => parseDiff('M\tF\t/p/a\t/p/b\n', dArgv))
  })
})

describe('listingPart: one listing serving several callers', () => {
  const ds = (name: string) => ({name, type: 'filesystem' as const, createtxg: 1, user: {}})
  const snap = (name: string) => ({
    name,
    dataset: name.split('@')[0],
    snapshot: name.split('@')[1],
    createtxg: 2,
    creation: 0,
    used: 0,
    referenced: 0,
    userrefs: 0,
    user: {},
  })
  // What `zfs get -r -d 2 a/proto a/proto.dclines b/rep` lists (b/rep's own depth-2 listing, and a/proto's).
  const whole: ZfsListing = {
    datasets: [
      'a/proto',
      'a/proto/sub',
      'a/proto.dclines',
      'a/proto.dclines/k1',
      'b/rep',
      'b/rep/proto',
      'b/rep/proto',
    ].map(ds),
    snapshots: ['a/proto@dc-1', 'a/proto/sub@x', 'a/proto.dclines/k1@dc-2', 'b/rep/proto@dc-1', 'b/repo@y'].map(snap),
  }
  const names = (l: ZfsListing) => [...l.datasets, ...l.snapshots].map(o => o.name)

  test('a name, and what lies at most DEPTH levels below it (a child or a snapshot is one level)', () => {
    expect(names(listingPart(whole, ['a/proto'], 1))).toEqual(['a/proto', 'a/proto/sub', 'a/proto@dc-1'])
    expect(names(listingPart(whole, ['a/proto', 'a/proto.dclines'], 2))).toEqual([
      'a/proto',
      'a/proto/sub',
      'a/proto.dclines',
      'a/proto.dclines/k1',
      'a/proto@dc-1',
      'a/proto/sub@x',
      'a/proto.dclines/k1@dc-2',
    ])
  })

  test('a name is not a prefix of another (b/rep is not b/repo), and what zfs listed twice comes once', () => {
    expect(names(listingPart(whole, ['b/rep'], 2))).toEqual(['b/rep', 'b/rep/proto', 'b/rep/proto@dc-1'])
  })
})
