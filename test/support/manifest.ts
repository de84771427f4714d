// Writes a manifest for a test pool into a fresh directory (steps run there).
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {stringify} from 'yaml'
import type {TestPool} from './pool.js'

/** A step as written in a manifest. */
export interface StepSpec {
  name: string
  run: string | string[]
  description?: string
  env?: Record<string, string>
  timeout?: string
  inputs?: string[]
  cache?: boolean | {'max-age': string | number}
  mounts?: Array<'proc' | 'sysfs' | 'devpts' | 'tmpfs' | {bind: string; at?: string}>
}

/** A directory with dcsnap.yaml for the pool; `cache: false` leaves the data cache in a temp dir. */
export function writeManifest(
  pool: TestPool,
  steps: StepSpec[],
  opts: {cache?: boolean; dir?: string; extra?: Record<string, unknown>} = {},
): {dir: string; file: string} {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'dcsnap-manifest-'))
  const doc = {
    version: 1,
    name: 'test',
    datasets: {proto: pool.proto, ...(opts.cache === false ? {} : {cache: pool.cache})},
    logs: join(dir, 'logs'),
    ...opts.extra,
    steps,
  }
  const file = join(dir, 'dcsnap.yaml')
  writeFileSync(file, stringify(doc))
  return {dir, file}
}

/** Five steps that build on each other through the proto area and the data cache; step 3 fails until `fixed` exists. */
export function seedSteps(): StepSpec[] {
  return [
    {name: 'fetch', run: 'echo sources > "$DCSNAP_PROTO/sources" && echo 1 > "$DCSNAP_DATA_CACHE/counter"'},
    {
      name: 'configure',
      run: 'cat "$DCSNAP_PROTO/sources" > "$DCSNAP_PROTO/config" && echo configured >> "$DCSNAP_PROTO/config"',
    },
    {
      name: 'compile',
      description: 'fails until ./fixed exists',
      run: 'test -f fixed || { echo "compile: missing ./fixed" >&2; exit 7; }; echo "$(cat "$DCSNAP_PROTO/config") compiled" > "$DCSNAP_PROTO/binary"; echo 2 >> "$DCSNAP_DATA_CACHE/counter"',
    },
    {
      name: 'package',
      run: ['sh', '-c', 'cat "$DCSNAP_PROTO/binary" "$DCSNAP_DATA_CACHE/counter" > "$DCSNAP_PROTO/package"'],
    },
    {
      name: 'iso',
      run: 'mkdir -p "$DCSNAP_PROTO/iso" && cp "$DCSNAP_PROTO/package" "$DCSNAP_PROTO/iso/image" && echo "$DCSNAP_BUILD:$DCSNAP_STEP:$DCSNAP_STEP_INDEX" > "$DCSNAP_PROTO/iso/label"',
    },
  ]
}
