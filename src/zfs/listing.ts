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

/** One object's properties by name (a plain object: cheaper than a Map at 10,000 snapshots). */
type Row = Record<string, string>

/** A row holding only its name. */
function newRow(name: string): Row {
  const row: Row = Object.create(null) as Row
  row.name = name
  return row
}

/** Calls `each` with every non-empty line of `text`, without splitting it into an array first. */
function eachLine(text: string, each: (line: string) => void): void {
  for (let start = 0; start < text.length;) {
    let end = text.indexOf('\n', start)
    if (end < 0) end = text.length
    if (end > start) each(text.slice(start, end))
    start = end + 1
  }
}

/** Parses `zfs list -Hp -o <props>` output (tab-separated, one object a line). */
export function parseTabular(stdout: string, props: readonly string[]): ZfsListing {
  const listing = emptyListing()
  eachLine(stdout, line => {
    const cells = line.split('\t')
    const row: Row = Object.create(null) as Row
    for (let i = 0; i < props.length; i++) row[props[i]] = cells[i] ?? '-'
    addRow(listing, row)
  })
  return listing
}

/** Parses `zfs get -Hp -o name,property,value <props>` output (one property a line), for ZFS without `list -p`. */
export function parseGetRows(stdout: string): ZfsListing {
  const listing = emptyListing()
  // zfs get prints all the properties of one object before the next object, so a row is complete when the name changes.
  let row: Row | undefined
  eachLine(stdout, line => {
    const t1 = line.indexOf('\t')
    const t2 = t1 < 0 ? -1 : line.indexOf('\t', t1 + 1)
    if (t2 < 0) return
    const name = line.slice(0, t1)
    if (row?.name !== name) {
      if (row) addRow(listing, row)
      row = newRow(name)
    }
    row[line.slice(t1 + 1, t2)] = line.slice(t2 + 1)
  })
  if (row) addRow(listing, row)
  return listing
}

/** Parses `zfs list -j [--json-int]` output (OpenZFS 2.3+). */
export function parseJson(stdout: string): ZfsListing {
  const doc = JSON.parse(stdout) as {datasets?: Record<string, JsonDataset>}
  const listing = emptyListing()
  for (const [name, ds] of Object.entries(doc.datasets ?? {})) {
    const row = newRow(name)
    if (ds.type) row.type = String(ds.type).toLowerCase()
    if (ds.createtxg !== undefined) row.createtxg = String(ds.createtxg)
    for (const [p, v] of Object.entries(ds.properties ?? {})) row[p] = v?.value === undefined ? '-' : String(v.value)
    addRow(listing, row)
  }
  return listing
}

interface JsonDataset {
  type?: string
  createtxg?: string | number
  properties?: Record<string, {value?: string | number}>
}

function emptyListing(): ZfsListing {
  return {datasets: [], snapshots: []}
}

/** Adds one object to the listing as a snapshot or a dataset (other types are left out). */
function addRow(listing: ZfsListing, row: Row): void {
  const name = row.name ?? ''
  const at = name.indexOf('@')
  const type = row.type ?? (at >= 0 ? 'snapshot' : 'filesystem')
  if (type === 'snapshot' || at >= 0) {
    const user: Record<string, string> = {}
    for (const p of USER_PROPERTIES) {
      const v = row[p]
      if (v !== undefined && v !== '-' && v !== '') user[p] = v
    }
    const clones = row.clones
    listing.snapshots.push({
      name,
      dataset: name.slice(0, at),
      snapshot: name.slice(at + 1),
      createtxg: num(row.createtxg),
      creation: num(row.creation),
      used: num(row.used),
      referenced: num(row.referenced),
      written: row.written !== undefined ? num(row.written) : undefined,
      userrefs: num(row.userrefs),
      clones: clones === undefined ? undefined : clones === '-' || clones === '' ? [] : clones.split(','),
      user,
    })
  } else if (type === 'filesystem' || type === 'volume') {
    const mp = row.mountpoint
    listing.datasets.push({name, type, createtxg: num(row.createtxg), mountpoint: mp && mp !== '-' ? mp : undefined})
  }
}

function num(v: string | undefined): number {
  if (v === undefined || v === '-' || v === '') return 0
  const n = Number(v)
  return Number.isFinite(n) ? n : 0
}
