// The one typed model of `zfs list` output, and the parsers for each flavour (-Hp, legacy `get -Hp`, -j).
// Output that is not what was asked for (a cell missing, a number that is not one, an object left out) is a
// ZfsError 'unsupported-output', never a default: a destroy plan is ordered by these numbers.
import {zfsUnsupportedOutput} from './errors.js'

/** A filesystem or volume that dcsnap snapshots. */
export interface ZfsDataset {
  name: string
  type: 'filesystem' | 'volume'
  createtxg: number
  mountpoint?: string
  /** Its guid: the identity that survives renames (line moves are recovered by it). */
  guid?: string
  /** The snapshot it was cloned from, if it is a clone. */
  origin?: string
  /** Mounted now (`mounted`), where listed. */
  mounted?: boolean
  /** `canmount`: on, off or noauto, where listed. */
  canmount?: string
  /** Bytes written since its latest snapshot, where ZFS has `written`: 0 means no change since. */
  written?: number
  /** Its whole space (`used`: itself, its snapshots and children), where listed. */
  used?: number
  /** The space its snapshots hold as ZFS counts it (`usedbysnapshots`: not the sum of their unique space), where listed. */
  usedbysnapshots?: number
  /** dcsnap's user properties that are set on it (`dcsnap:journal` on a lines container). */
  user: Record<string, string>
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
  /** Its guid, where listed. */
  guid?: string
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
export const USER_PROPERTIES = [
  'dcsnap:build',
  'dcsnap:step',
  'dcsnap:index',
  'dcsnap:manifest',
  'dcsnap:steps',
  'dcsnap:cache',
  'dcsnap:kind',
  'dcsnap:journal',
  'dcsnap:key',
  'dcsnap:tainted',
  'dcsnap:cached',
  'dcsnap:from',
] as const

/** The native properties read for a listing, given what this zfs has. */
export function listProperties(opts: {written: boolean; clones: boolean}): string[] {
  return [
    'name',
    'type',
    'createtxg',
    'creation',
    'used',
    'referenced',
    'userrefs',
    'mountpoint',
    'guid',
    'origin',
    'mounted',
    'canmount',
    'usedbysnapshots',
    ...(opts.written ? ['written'] : []),
    ...(opts.clones ? ['clones'] : []),
    ...USER_PROPERTIES,
  ]
}

/** One object's properties by name (a plain object: cheaper than a Map at 10,000 snapshots). */
type Row = Record<string, string>

/** Throws the 'unsupported-output' error for the command being parsed. */
type Fail = (problem: string, line?: string) => never

function failFor(argv: readonly string[]): Fail {
  return (problem, line) => {
    throw zfsUnsupportedOutput(argv, problem, line)
  }
}

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

/** Parses `zfs list -Hp -o <props>` output (tab-separated, one object a line); `argv` names the command in errors. */
export function parseTabular(stdout: string, props: readonly string[], argv: readonly string[] = []): ZfsListing {
  const fail: Fail = failFor(argv)
  const listing = emptyListing()
  eachLine(stdout, line => {
    const cells = line.split('\t')
    if (cells.length !== props.length)
      fail(`a line has ${cells.length} tab-separated fields, not the ${props.length} asked for`, line)
    const row: Row = Object.create(null) as Row
    for (let i = 0; i < props.length; i++) row[props[i]] = cells[i]
    addRow(listing, row, fail, line)
  })
  return listing
}

/**
 * Parses `zfs get -Hp -o name,property,value <props>` output (one property a line), for ZFS without `list -p`.
 * `props` are the properties asked for: every object must have each of them once.
 */
export function parseGetRows(stdout: string, props: readonly string[], argv: readonly string[] = []): ZfsListing {
  const fail: Fail = failFor(argv)
  const asked = new Set(props.filter(p => p !== 'name'))
  const rows = new Map<string, Row>()
  eachLine(stdout, line => {
    const t1 = line.indexOf('\t')
    const t2 = t1 < 0 ? -1 : line.indexOf('\t', t1 + 1)
    if (t1 <= 0 || t2 < 0) fail('a line is not name, property and value separated by tabs', line)
    const name = line.slice(0, t1)
    const prop = line.slice(t1 + 1, t2)
    const value = line.slice(t2 + 1)
    if (!asked.has(prop)) fail(`a line has the property "${prop}", which was not asked for`, line)
    let row = rows.get(name)
    if (!row) rows.set(name, (row = newRow(name)))
    if (row[prop] !== undefined && row[prop] !== value)
      fail(`"${prop}" of ${name} is given twice, with different values`, line)
    row[prop] = value
  })
  const listing = emptyListing()
  for (const row of rows.values()) {
    const missing = [...asked].filter(p => row[p] === undefined)
    if (missing.length > 0) fail(`no ${missing.join(', ')} for ${row.name}`)
    addRow(listing, row, fail, row.name)
  }
  return listing
}

/** Parses `zfs list -j -p -o <props>` output (OpenZFS 2.3+; `--json-int` output too); every object must have each of `props`. */
export function parseJson(stdout: string, props: readonly string[], argv: readonly string[] = []): ZfsListing {
  const fail: Fail = failFor(argv)
  let doc: unknown
  try {
    // --json-int prints guids as bare integers beyond 2^53, which JSON.parse would round: read them as strings.
    doc = JSON.parse(stdout.replace(/("guid"\s*:\s*\{\s*"value"\s*:\s*)(\d+)/g, '$1"$2"'))
  } catch (error) {
    fail(`it is not JSON (${(error as Error).message})`)
  }
  const datasets = isObject(doc) ? doc.datasets : undefined
  if (!isObject(datasets)) fail('it has no "datasets" object', stdout.slice(0, 200))
  const asked = props.filter(p => p !== 'name')
  const listing = emptyListing()
  for (const [name, ds] of Object.entries(datasets)) {
    const properties = isObject(ds) ? ds.properties : undefined
    if (!isObject(properties)) fail(`${name} has no "properties" object`, JSON.stringify(ds))
    const row = newRow(name)
    for (const p of asked) {
      const prop = properties[p]
      const value = isObject(prop) ? prop.value : undefined
      if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) row[p] = String(value)
      else fail(`"${p}" of ${name} is missing or neither a string nor a number`, JSON.stringify(prop ?? null))
    }
    addRow(listing, row, fail, name)
  }
  return listing
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Checks that every dataset asked for is in the listing: zfs left none out. */
export function checkListed(listing: ZfsListing, datasets: readonly string[], argv: readonly string[] = []): void {
  const listed = new Set(listing.datasets.map(d => d.name))
  const missing = datasets.filter(d => !listed.has(d))
  if (missing.length > 0) failFor(argv)(`it has no line for ${missing.join(', ')}`)
}

/**
 * The part of a listing that `zfs list -d DEPTH NAMES` would have given: each name itself, and what lies at most
 * `depth` levels below it (a child or a snapshot is one level), once each. Lets one zfs call serve several callers.
 */
export function listingPart(listing: ZfsListing, names: readonly string[], depth: number): ZfsListing {
  const within = (name: string) =>
    names.some(n => {
      if (name === n) return true
      if (!name.startsWith(`${n}/`) && !name.startsWith(`${n}@`)) return false
      const rest = name.slice(n.length)
      return (rest.match(/\//g)?.length ?? 0) + (rest.includes('@') ? 1 : 0) <= depth
    })
  const seen = new Set<string>()
  const first = (name: string) => {
    if (!within(name) || seen.has(name)) return false
    seen.add(name)
    return true
  }
  return {
    datasets: listing.datasets.filter(d => first(d.name)),
    snapshots: listing.snapshots.filter(s => first(s.name)),
  }
}

function emptyListing(): ZfsListing {
  return {datasets: [], snapshots: []}
}

/**
 * Adds one object to the listing as a snapshot or a dataset. Its type must agree with its name, and the numbers
 * dcsnap reads must be numbers; `-` is accepted where it means "none" or "not known" (clones, written, mountpoint,
 * user properties).
 */
function addRow(listing: ZfsListing, row: Row, fail: Fail, where: string): void {
  const name = row.name
  const at = name.indexOf('@')
  const type = row.type
  const count = (p: string): number => {
    const v = row[p]
    if (v === undefined || !/^\d+$/.test(v) || !Number.isSafeInteger(Number(v)))
      fail(`"${p}" of ${name} is ${v === undefined ? 'missing' : `"${v}"`}, not a number`, where)
    return Number(v)
  }
  if (name === '' || (type === 'snapshot') !== at > 0)
    fail(`"${name}" is not the name of a ${type ?? 'dataset'}`, where)
  const user: Record<string, string> = {}
  for (const p of USER_PROPERTIES) {
    const v = row[p]
    if (v !== undefined && v !== '-' && v !== '') user[p] = v
  }
  const {clones, written, guid} = row
  if (type === 'snapshot') {
    listing.snapshots.push({
      name,
      dataset: name.slice(0, at),
      snapshot: name.slice(at + 1),
      createtxg: count('createtxg'),
      creation: count('creation'),
      used: count('used'),
      referenced: count('referenced'),
      written: written === undefined || written === '-' ? undefined : count('written'),
      guid: guid === undefined || guid === '-' ? undefined : guid,
      userrefs: count('userrefs'),
      clones: clones === undefined ? undefined : clones === '-' || clones === '' ? [] : clones.split(','),
      user,
    })
  } else if (type === 'filesystem' || type === 'volume') {
    const {mountpoint: mp, origin, mounted, canmount} = row
    listing.datasets.push({
      name,
      type,
      createtxg: count('createtxg'),
      mountpoint: mp && mp !== '-' ? mp : undefined,
      guid: guid === undefined || guid === '-' ? undefined : guid,
      origin: origin === undefined || origin === '-' || origin === '' ? undefined : origin,
      mounted: mounted === undefined || mounted === '-' ? undefined : mounted === 'yes',
      canmount: canmount === undefined || canmount === '-' ? undefined : canmount,
      written: written === undefined || written === '-' ? undefined : count('written'),
      used: row.used === undefined ? undefined : count('used'),
      usedbysnapshots:
        row.usedbysnapshots === undefined || row.usedbysnapshots === '-' ? undefined : count('usedbysnapshots'),
      user,
    })
  } else {
    fail(`${name} has the type "${type ?? ''}", not filesystem, volume or snapshot`, where)
  }
}
