// The one typed model of `zfs list` output, and the parsers for each flavour (-Hp, legacy `get -Hp`, -j).

/** A filesystem or volume that dcsnap snapshots. */
export interface ZfsDataset {
  name: string
  type: 'filesystem' | 'volume'
  createtxg: number
  mountpoint?: string
}

/** One snapshot of one dataset, with the properties dcsnap reads. */
export interface ZfsSnapshot {
  /** Full name, `pool/ds@snap`. */
  name: string
  dataset: string
  /** The part after `@`. */
  snapshot: string
  createtxg: number
  /** Seconds since the epoch. */
  creation: number
  used: number
  referenced: number
  /** Bytes written since the previous snapshot, where ZFS has `written`. */
  written?: number
  /** Number of holds on it. */
  userrefs: number
  /** Its clones, where ZFS has the `clones` property (legacy ZFS: filled from origins when needed). */
  clones?: string[]
  /** dcsnap's user properties that are set (`dcsnap:build` ...). */
  user: Record<string, string>
}

/** Datasets and their snapshots, in the order zfs gave them. */
export interface ZfsListing {
  datasets: ZfsDataset[]
  snapshots: ZfsSnapshot[]
}

/** The user properties dcsnap sets on its snapshots. */
export const USER_PROPERTIES = ['dcsnap:build', 'dcsnap:step', 'dcsnap:index', 'dcsnap:manifest', 'dcsnap:steps', 'dcsnap:cache'] as const

/** The native properties read for a listing, given what this zfs has. */
export function listProperties(opts: {written: boolean; clones: boolean}): string[] {
  return [
    'name', 'type', 'createtxg', 'creation', 'used', 'referenced', 'userrefs', 'mountpoint',
    ...(opts.written ? ['written'] : []),
    ...(opts.clones ? ['clones'] : []),
    ...USER_PROPERTIES,
  ]
}

type Row = Map<string, string>

/** Parses `zfs list -Hp -o <props>` output (tab-separated, one object a line). */
export function parseTabular(stdout: string, props: readonly string[]): ZfsListing {
  const rows: Row[] = []
  for (const line of stdout.split('\n')) {
    if (line === '') continue
    const cells = line.split('\t')
    rows.push(new Map(props.map((p, i) => [p, cells[i] ?? '-'])))
  }
  return fromRows(rows)
}

/** Parses `zfs get -Hp -o name,property,value <props>` output (one property a line), for ZFS without `list -p`. */
export function parseGetRows(stdout: string): ZfsListing {
  const byName = new Map<string, Row>()
  for (const line of stdout.split('\n')) {
    if (line === '') continue
    const [name, property, ...rest] = line.split('\t')
    let row = byName.get(name)
    if (!row) byName.set(name, (row = new Map([['name', name]])))
    row.set(property, rest.join('\t'))
  }
  return fromRows([...byName.values()])
}

/** Parses `zfs list -j [--json-int]` output (OpenZFS 2.3+). */
export function parseJson(stdout: string): ZfsListing {
  const doc = JSON.parse(stdout) as {datasets?: Record<string, JsonDataset>}
  const rows: Row[] = []
  for (const [name, ds] of Object.entries(doc.datasets ?? {})) {
    const row: Row = new Map([['name', name]])
    if (ds.type) row.set('type', String(ds.type).toLowerCase())
    if (ds.createtxg !== undefined) row.set('createtxg', String(ds.createtxg))
    for (const [p, v] of Object.entries(ds.properties ?? {})) row.set(p, v?.value === undefined ? '-' : String(v.value))
    rows.push(row)
  }
  return fromRows(rows)
}

interface JsonDataset {
  type?: string
  createtxg?: string | number
  properties?: Record<string, {value?: string | number}>
}

function fromRows(rows: Row[]): ZfsListing {
  const listing: ZfsListing = {datasets: [], snapshots: []}
  for (const row of rows) {
    const name = row.get('name') ?? ''
    const at = name.indexOf('@')
    const type = row.get('type') ?? (at >= 0 ? 'snapshot' : 'filesystem')
    if (type === 'snapshot' || at >= 0) {
      const user: Record<string, string> = {}
      for (const p of USER_PROPERTIES) {
        const v = row.get(p)
        if (v !== undefined && v !== '-' && v !== '') user[p] = v
      }
      const clones = row.get('clones')
      listing.snapshots.push({
        name,
        dataset: name.slice(0, at),
        snapshot: name.slice(at + 1),
        createtxg: num(row.get('createtxg')),
        creation: num(row.get('creation')),
        used: num(row.get('used')),
        referenced: num(row.get('referenced')),
        written: row.has('written') ? num(row.get('written')) : undefined,
        userrefs: num(row.get('userrefs')),
        clones: clones === undefined ? undefined : clones === '-' || clones === '' ? [] : clones.split(','),
        user,
      })
    } else if (type === 'filesystem' || type === 'volume') {
      const mp = row.get('mountpoint')
      listing.datasets.push({name, type, createtxg: num(row.get('createtxg')), mountpoint: mp && mp !== '-' ? mp : undefined})
    }
  }
  return listing
}

function num(v: string | undefined): number {
  if (v === undefined || v === '-' || v === '') return 0
  const n = Number(v)
  return Number.isFinite(n) ? n : 0
}
