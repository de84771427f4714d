// Replication (SPEC 8): push and pull between two pools (and through ssh to 127.0.0.1), the replica never modified,
// only what is new sent again, the replica's head following a line move, refusals of a diverged replica, holds
// released, an interrupted transfer, and the seed scenario: fail on A, push, fix and resume --from on B.
import {execa} from 'execa'
import {existsSync, mkdirSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {openSession, seedFromReplica, Zfs} from '../../src/index.js'
import * as machine from '../support/build-machine.js'
import {dcsnap, dcsnapJson} from '../support/cli.js'
import {repoRoot} from '../support/paths.js'
import {fakeBuild, snapshotsOf} from '../support/checkpoints.js'
import {countZfsCalls} from '../support/count.js'
import {writeManifest} from '../support/manifest.js'
import {createTestPool, type TestPool} from '../support/pool.js'
import {SSHD, startSshd, type TestSshd} from '../support/sshd.js'
import {describeWhere, has, host, shOk, stepsSeeMounts, zfsOk} from '../support/zfs-host.js'

interface Transfer {
  error?: {code: string; message: string}
  build?: string
  upTo: string
  createRoot: boolean
  moveTo?: string
  keptLine?: string
  bytes?: number
  streams: Array<{dataset: string; label: string}>
  notes: string[]
}

let a: TestPool
let b: TestPool
beforeEach(async () => {
  a = await createTestPool()
  b = await createTestPool()
})
afterEach(async () => {
  await a.destroy()
  await b.destroy()
})

const push = (dest: string, ...args: string[]) => dcsnapJson<Transfer>(['push', dest, ...a.flags, ...args])
/** name -> guid of every snapshot of a dataset and its children. */
async function guids(dataset: string): Promise<Map<string, string>> {
  const out = await zfsOk('list', '-H', '-r', '-t', 'snapshot', '-o', 'name,guid', dataset)
  return new Map(
    out
      .split('\n')
      .filter(Boolean)
      .map(l => l.split('\t') as [string, string]),
  )
}
async function prop(name: string, property: string): Promise<string> {
  return (await zfsOk('get', '-H', '-o', 'value', property, name)).trim()
}

test('the first push sends full streams into a readonly, unmounted replica; the next sends only what is new', async () => {
  await fakeBuild(a, '1', ['fetch', 'build'])
  const rep = `${b.name}/rep`
  const first = await push(rep)
  expect(first.exitCode).toBe(0)
  expect(first.json).toMatchObject({build: '1', upTo: 'dc-1-build', createRoot: true})
  expect(first.json.streams.map(s => s.label)).toEqual([
    'dc-1 (full)',
    'dc-1..dc-1-build',
    'dc-1 (full)',
    'dc-1..dc-1-build',
  ])
  expect(await snapshotsOf(`${rep}/proto`)).toEqual(['dc-1', 'dc-1-fetch', 'dc-1-build'])
  expect(await snapshotsOf(`${rep}/cache`)).toEqual(['dc-1', 'dc-1-fetch', 'dc-1-build'])
  // Same guids as the source: the same snapshots, not copies; dcsnap's properties came along.
  const src = await guids(a.proto)
  const dst = await guids(`${rep}/proto`)
  for (const [name, guid] of src) expect(dst.get(name.replace(a.proto, `${rep}/proto`))).toBe(guid)
  expect(await prop(`${rep}/proto@dc-1-build`, 'dcsnap:step')).toBe('build')
  expect(await prop(rep, 'readonly')).toBe('on')
  for (const ds of [rep, `${rep}/proto`, `${rep}/cache`]) expect(await prop(ds, 'mounted')).toBe('no')
  // Holds are released after the transfer.
  expect(await prop(`${a.proto}@dc-1-build`, 'userrefs')).toBe('0')

  expect((await push(rep)).json).toMatchObject({streams: []})
  await fakeBuild(a, '2', ['fetch'])
  const second = await push(rep)
  expect(second.exitCode).toBe(0)
  expect(second.json.streams.map(s => s.label)).toEqual(['dc-1-build..dc-2-fetch', 'dc-1-build..dc-2-fetch'])
  expect(await snapshotsOf(`${rep}/proto`)).toEqual(['dc-1', 'dc-1-fetch', 'dc-1-build', 'dc-2', 'dc-2-fetch'])
  // The replica reads as build datasets: dcsnap list shows both builds there.
  const list = await dcsnapJson<{snapshots: Array<{name: string}>}>([
    'list',
    '--all',
    '-d',
    `${rep}/proto`,
    '-d',
    `${rep}/cache`,
  ])
  expect(list.json.snapshots.map(s => s.name)).toEqual(['dc-1', 'dc-1-fetch', 'dc-1-build', 'dc-2', 'dc-2-fetch'])
})

test('a push to this machine reads both ends in one zfs call; a missing source is still named as such', async () => {
  await fakeBuild(a, '1', ['fetch'])
  const rep = `${b.name}/rep`
  expect((await push(rep)).exitCode).toBe(0)
  await fakeBuild(a, '2', ['fetch'])
  const {result, calls} = await countZfsCalls(['push', rep, ...a.flags], [a.proto, a.cache])
  expect(result.exitCode).toBe(0)
  const listings = calls.filter(c => /^(list|get -H -p -r) /.test(c))
  expect(listings).toHaveLength(1)
  expect(listings[0]).toContain(a.proto)
  expect(listings[0]).toContain(rep)
  expect(await snapshotsOf(`${rep}/proto`)).toEqual(['dc-1', 'dc-1-fetch', 'dc-2', 'dc-2-fetch'])
  // When the shared call fails, each end is read alone: the error is the source's own.
  const gone = await dcsnapJson<Transfer>(['push', rep, '-d', `${a.name}/nosuch`])
  expect(gone.exitCode).toBe(2)
  expect(gone.json.error).toMatchObject({code: 'NO_SUCH_DATASET'})
  expect(gone.json.error?.message).toContain(`${a.name}/nosuch`)
})

test('--dry-run lists the streams and changes nothing; a build on the head is chosen with --build', async () => {
  await fakeBuild(a, '1', ['fetch'])
  await fakeBuild(a, '2', ['fetch'])
  const rep = `${b.name}/rep`
  const dry = await dcsnap(['push', rep, '--build', '1', '--dry-run', ...a.flags])
  expect(dry.exitCode).toBe(0)
  expect(dry.stdout).toContain(`creates ${rep} (readonly, not mounted)`)
  expect(dry.stdout).toContain(`sends dc-1 (full) into ${rep}/proto`)
  expect(dry.stdout).toContain(`sends dc-1..dc-1-fetch into ${rep}/cache`)
  if (host.tier === 'openzfs') expect(dry.stdout).toMatch(/\(~[\d.]+[KM]?\)/)
  expect((await host.zfs(['list', rep])).exitCode).not.toBe(0)
  expect((await push(rep, '--build', '1')).json).toMatchObject({upTo: 'dc-1-fetch'})
  expect(await snapshotsOf(`${rep}/proto`)).toEqual(['dc-1', 'dc-1-fetch'])
})

test("after a line move on the source, the replica's head moves the same way and keeps what it had on a line", async () => {
  await fakeBuild(a, '1', ['fetch', 'build'])
  const rep = `${b.name}/rep`
  expect((await push(rep)).exitCode).toBe(0)
  const before = await guids(`${rep}/proto`)
  // Back to fetch on the source: build's checkpoint goes to a kept line, and a new checkpoint follows on the head.
  expect((await dcsnap(['rollback', 'fetch', ...a.flags])).exitCode).toBe(0)
  await zfsOk('snapshot', `${a.proto}@dc-1-other`, '-o', 'dcsnap:build=1')
  await zfsOk('snapshot', `${a.cache}@dc-1-other`, '-o', 'dcsnap:build=1')
  const r = await push(rep, '--all')
  expect(r.exitCode).toBe(0)
  expect(r.json).toMatchObject({moveTo: 'dc-1-fetch', keptLine: 'k1'})
  expect(await snapshotsOf(`${rep}/proto`)).toEqual(['dc-1', 'dc-1-fetch', 'dc-1-other'])
  expect(await snapshotsOf(`${rep}/proto.dclines/k1`)).toEqual(['dc-1-build'])
  // Nothing the replica had is lost.
  const after = await guids(`${rep}/proto.dclines`)
  const all = new Set([...(await guids(`${rep}/proto`)).values(), ...after.values()])
  for (const g of before.values()) expect(all.has(g)).toBe(true)
  expect((await push(rep, '--all')).json.streams).toEqual([])
})

test('a replica with a snapshot of its own, or none in common, is refused and left as it was', async () => {
  await fakeBuild(a, '1', ['fetch'])
  const rep = `${b.name}/rep`
  expect((await push(rep)).exitCode).toBe(0)
  await zfsOk('snapshot', `${rep}/proto@mine`)
  await fakeBuild(a, '2', ['fetch'])
  const r = await push(rep)
  expect(r.exitCode).toBe(3)
  expect(r.json.error).toMatchObject({code: 'REPLICA_DIVERGED'})
  expect(r.json.error?.message).toContain('mine')
  expect(await snapshotsOf(`${rep}/proto`)).toEqual(['dc-1', 'dc-1-fetch', 'mine'])

  const other = `${b.name}/other`
  await zfsOk('create', other)
  await zfsOk('create', `${other}/proto`)
  await zfsOk('snapshot', `${other}/proto@x`)
  const unrelated = await push(other)
  expect(unrelated.exitCode).toBe(3)
  expect(unrelated.json.error?.message).toContain('no snapshot in common')
})

test('a bad destination is a usage error (exit 2); an unreachable host says so', async () => {
  await fakeBuild(a, '1', ['fetch'])
  expect((await dcsnap(['push', 'justapool', ...a.flags])).exitCode).toBe(2)
  const r = await dcsnap(['push', 'nosuchhost.invalid:tank/rep', ...a.flags], {
    env: {DCSNAP_SSH: 'ssh -o BatchMode=yes -o ConnectTimeout=2'},
  })
  expect(r.exitCode).toBe(1)
  expect(r.stderr).toContain('cannot reach nosuchhost.invalid through ssh')
})

// In the VM, a killed forwarder leaves zfs send running there, which the test cannot stop: zfs-fuse only.
describeWhere(
  host.tier === 'zfs-fuse',
  'a signal',
  "the test VM's forwarders do not end a zfs send whose caller was killed",
  () => {
    test('an interrupted push stops its stream, releases its holds and says how to go on (exit 1)', async () => {
      await fakeBuild(a, '1', ['fetch'])
      const sending = join(mkdtempSync(join(tmpdir(), 'dcsnap-sending-')), 'sending')
      const child = execa('node', [join(repoRoot, 'bin', 'run.js'), 'push', `${b.name}/rep`, ...a.flags], {
        reject: false,
        env: {
          DCSNAP_TEST_SENDING: sending,
          NO_COLOR: '1',
          ...host.env,
          DCSNAP_ZFS: `${join(repoRoot, 'fixtures/bin/slow-send-zfs')} ${host.env.DCSNAP_ZFS ?? 'zfs'}`,
        },
      })
      let stderr = ''
      await new Promise<void>(resolve => {
        child.stderr?.on('data', (d: Buffer) => {
          stderr += String(d)
          if (stderr.includes('sending dc-1 (full)')) resolve()
        })
      })
      // Interrupted once zfs send runs, not while it starts (zfs-fuse can leave a temporary hold of its own behind then).
      for (let i = 0; i < 100 && !existsSync(sending); i++) await sleep(200)
      expect(existsSync(sending)).toBe(true)
      expect(await prop(`${a.proto}@dc-1`, 'userrefs')).toBe('1')
      child.kill('SIGINT')
      const r = await child
      expect(r.exitCode).toBe(1)
      expect(String(r.stderr)).toContain('interrupted by SIGINT while sending dc-1 (full)')
      expect(String(r.stderr)).toContain('Run the push again')
      for (const n of [`${a.proto}@dc-1`, `${a.proto}@dc-1-fetch`, `${a.cache}@dc-1`]) {
        // zfs send's temporary hold goes when the killed send is cleaned up, a moment later.
        for (let i = 0; i < 50 && (await prop(n, 'userrefs')) !== '0'; i++) await sleep(200)
        expect(await prop(n, 'userrefs')).toBe('0')
      }
      expect((await push(`${b.name}/rep`)).exitCode).toBe(0)
      expect(await snapshotsOf(`${b.name}/rep/proto`)).toEqual(['dc-1', 'dc-1-fetch'])
    })
  },
)

test('pull copies a replica into another replica', async () => {
  await fakeBuild(a, '1', ['fetch'])
  const rep = `${b.name}/rep`
  expect((await push(rep)).exitCode).toBe(0)
  const r = await dcsnapJson<Transfer>(['pull', rep, '--into', `${a.name}/copy`])
  expect(r.exitCode).toBe(0)
  expect(await snapshotsOf(`${a.name}/copy/proto`)).toEqual(['dc-1', 'dc-1-fetch'])
  expect((await dcsnapJson<Transfer>(['pull', rep, '--into', `${a.name}/copy`])).json.streams).toEqual([])
})

describeWhere(
  has.written,
  'an interrupted transfer',
  'zfs-fuse has no resumable receive (a cut stream leaves nothing there)',
  () => {
    test('the next push goes on from the receive token', async () => {
      await fakeBuild(a, '1', ['fetch'])
      const rep = `${b.name}/rep`
      expect((await push(rep)).exitCode).toBe(0)
      await shOk(`head -c 4000000 /dev/urandom > ${a.mountpoint}/proto/big && sync`)
      await zfsOk(
        'snapshot',
        '-o',
        'dcsnap:build=1',
        '-o',
        'dcsnap:step=big',
        '-o',
        'dcsnap:index=2',
        `${a.proto}@dc-1-big`,
        `${a.cache}@dc-1-big`,
      )
      // A stream cut short, as a dropped connection leaves it: the replica keeps what arrived and a resume token.
      await shOk(
        `zfs send -p -i ${a.proto}@dc-1-fetch ${a.proto}@dc-1-big | head -c 1000000 | zfs receive -s -u ${rep}/proto; true`,
      )
      expect(await prop(`${rep}/proto`, 'receive_resume_token')).not.toBe('-')
      const r = await push(rep)
      expect(r.exitCode).toBe(0)
      expect(r.json.notes.join('\n')).toContain('resume token')
      expect(r.json.streams.map(s => s.label)).toEqual(['the rest of an interrupted transfer', 'dc-1-fetch..dc-1-big'])
      expect(await snapshotsOf(`${rep}/proto`)).toEqual(['dc-1', 'dc-1-fetch', 'dc-1-big'])
      expect(await snapshotsOf(`${rep}/cache`)).toEqual(['dc-1', 'dc-1-fetch', 'dc-1-big'])
      expect(await prop(`${rep}/proto`, 'receive_resume_token')).toBe('-')
    })
  },
)

describeWhere(has.holdsListing, 'holds a killed transfer left', 'zfs-fuse cannot list hold tags', () => {
  test('are released by the next push when their process is gone; any other hold stays', async () => {
    await fakeBuild(a, '1', ['fetch'])
    // A process that has ended: its pid names the killed transfer.
    const gone = execa('true')
    await gone
    const stale = `dcsnap-send-${gone.pid}-abcdef`
    const live = `dcsnap-send-${process.pid}-abcdef`
    await zfsOk('hold', stale, `${a.proto}@dc-1-fetch`, `${a.cache}@dc-1`)
    await zfsOk('hold', live, `${a.proto}@dc-1-fetch`)
    await zfsOk('hold', 'keep', `${a.cache}@dc-1`)
    const rep = `${b.name}/rep`
    const r = await dcsnap(['push', rep, ...a.flags])
    expect(r.exitCode).toBe(0)
    expect(r.stderr).toContain('released the holds of transfers that were killed: ')
    expect(r.stderr).toContain(`${stale} on ${a.proto}@dc-1-fetch`)
    expect(r.stderr).toContain(`${stale} on ${a.cache}@dc-1`)
    const tags = async (snapshot: string) =>
      (await zfsOk('holds', '-H', snapshot))
        .split('\n')
        .filter(Boolean)
        .map(l => l.split('\t')[1])
    expect(await tags(`${a.proto}@dc-1-fetch`)).toEqual([live])
    expect(await tags(`${a.cache}@dc-1`)).toEqual(['keep'])
    await zfsOk('release', live, `${a.proto}@dc-1-fetch`)
    await zfsOk('release', 'keep', `${a.cache}@dc-1`)
  })
})

describeWhere(has.written, 'encrypted build datasets', 'zfs-fuse has no encryption', () => {
  test('are sent raw: the replica holds them encrypted, without their keys', async () => {
    const key = `/tmp/${a.name}.key`
    await shOk(`printf '%s' 'correct horse battery staple' > ${key}`)
    const enc = `${a.name}/enc`
    await zfsOk('create', '-o', 'encryption=on', '-o', 'keyformat=passphrase', '-o', `keylocation=file://${key}`, enc)
    await zfsOk('create', `${enc}/proto`)
    await zfsOk('create', `${enc}/cache`)
    const src = {
      ...a,
      proto: `${enc}/proto`,
      cache: `${enc}/cache`,
      mountpoint: `${a.mountpoint}/enc`,
      flags: ['-d', `${enc}/proto`, '-d', `${enc}/cache`],
    }
    await fakeBuild(src, '1', ['fetch'])
    const rep = `${b.name}/rep`
    const r = await dcsnapJson<Transfer>(['push', rep, ...src.flags])
    expect(r.exitCode).toBe(0)
    expect(r.json.streams.map(s => s.label)).toEqual([
      'dc-1 (full, raw)',
      'dc-1..dc-1-fetch',
      'dc-1 (full, raw)',
      'dc-1..dc-1-fetch',
    ])
    expect(await prop(`${rep}/proto`, 'encryption')).toBe('aes-256-gcm')
    expect(await prop(`${rep}/proto`, 'keystatus')).toBe('unavailable')
    expect(await snapshotsOf(`${rep}/cache`)).toEqual(['dc-1', 'dc-1-fetch'])
    await shOk(`rm -f ${key}`)
  })
})

test('resume --from: the build datasets become clones of the checkpoint, which their line reads from the replica; going back there clones it again', async () => {
  // The ZFS side of the scenario below, on every tier (there the runner runs the steps; here the library seeds).
  await fakeBuild(a, '1', ['fetch', 'build'])
  const rep = `${b.name}/rep`
  expect((await push(rep)).exitCode).toBe(0)
  await zfsOk('create', `${b.name}/work`)
  const heads = [`${b.name}/work/proto`, `${b.name}/work/cache`]
  const session = openSession(heads, {zfs: new Zfs({env: {...process.env, ...host.env}, capabilitiesCache: false})})
  const seeded = await seedFromReplica(session, rep)
  expect(seeded).toEqual({build: '1', checkpoint: 'dc-1-build', cloned: true})
  expect(await prop(heads[0], 'origin')).toBe(`${rep}/proto@dc-1-build`)
  expect(await snapshotsOf(heads[0])).toEqual(['dc-1-build'])
  // Again: nothing changes; the heads already are those clones.
  expect((await seedFromReplica(session, rep)).cloned).toBe(false)
  const flags = ['-d', heads[0], '-d', heads[1]]
  const list = await dcsnapJson<{snapshots: Array<{name: string; line: string}>}>(['list', ...flags])
  expect(list.json.snapshots.map(s => `${s.line}:${s.name}`)).toEqual([
    'head:dc-1',
    'head:dc-1-fetch',
    'head:dc-1-build',
  ])
  // Going back to a checkpoint that lies in the replica clones it again: the replica is not rolled back, and the
  // head's own checkpoint is kept on a line.
  const received = await guids(rep)
  const discard = await dcsnapJson<Transfer>(['rollback', 'fetch', '--discard', ...flags])
  expect(discard.json.error?.code).toBe('TARGET_IN_REPLICA')
  const back = await dcsnapJson<{keptLine?: string}>(['rollback', 'fetch', ...flags])
  expect(back.exitCode).toBe(0)
  expect(await prop(heads[0], 'origin')).toBe(`${rep}/proto@dc-1-fetch`)
  expect(await prop(heads[0], 'dcsnap:upstream')).toBe(`${rep}/proto`)
  expect(await snapshotsOf(heads[0])).toEqual([])
  // (with hand-k1 where ZFS cannot tell that the head had no changes: zfs-fuse has no `written`)
  expect((await snapshotsOf(`${heads[0]}.dclines/k1`)).filter(n => n !== 'hand-k1')).toEqual(['dc-1-build'])
  const after = await dcsnapJson<{snapshots: Array<{name: string; line: string}>}>(['list', '--all', ...flags])
  expect(after.json.snapshots.map(s => `${s.line}:${s.name}`)).toEqual(
    expect.arrayContaining(['head:dc-1', 'head:dc-1-fetch', 'k1:dc-1-build']),
  )
  expect(after.json.snapshots.some(s => s.line === 'head' && s.name === 'dc-1-build')).toBe(false)
  expect(await guids(rep)).toEqual(received)
  // Nothing else changes the replica from here: destroy and rename of its snapshots are refused, prune passes them by.
  for (const args of [
    ['destroy', 'dc-1'],
    ['destroy', '1', '--whole-build'],
    ['rename', 'dc-1-fetch', 'mine'],
  ]) {
    const refused = await dcsnapJson<Transfer>([...args, ...flags])
    expect(refused.exitCode).toBe(3)
    expect(refused.json.error?.code).toBe('TARGET_IN_REPLICA')
  }
  expect((await dcsnap(['prune', '--keep', '0', ...flags])).exitCode).toBe(0)
  expect(await guids(rep)).toEqual(received)
  // The replica is unchanged, and the next push still applies.
  await fakeBuild(a, '2', ['fetch'])
  expect((await push(rep)).json.streams.map(s => s.label)).toEqual(['dc-1-build..dc-2-fetch', 'dc-1-build..dc-2-fetch'])
  // Existing build datasets of another origin are refused.
  await expect(
    seedFromReplica(openSession([`${a.name}/proto`, `${a.name}/cache`], {zfs: session.zfs}), rep),
  ).rejects.toMatchObject({exitCode: 2})
})

// The runner needs the datasets' mounts: on the OpenZFS tier, dcsnap and its steps run in the test VM (build-machine).
describe('a build across two machines', () => {
  beforeAll(machine.ready, machine.BUILD_TEST_TIMEOUT)
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dcsnap-repl-'))
  })
  afterEach(() => machine.removeThere(dir))

  /** A checkout of the manifest: `gate` fails without ./fixed; `changed` changes compile's command. */
  async function checkout(name: string, pool: TestPool, gate = 'compile', changed = false): Promise<string> {
    const co = join(dir, name)
    mkdirSync(co, {recursive: true})
    const guard = (step: string) =>
      step === gate ? `test -f fixed || { echo "${step}: missing ./fixed" >&2; exit 7; }; ` : ''
    writeManifest(
      pool,
      [
        {name: 'fetch', run: 'echo sources > "$DCSNAP_PROTO/sources" && echo 1 > "$DCSNAP_DATA_CACHE/counter"'},
        {
          name: 'compile',
          run: `${guard('compile')}cat "$DCSNAP_PROTO/sources" > "$DCSNAP_PROTO/binary"; echo 2 >> "$DCSNAP_DATA_CACHE/counter"${changed ? '; echo changed >> "$DCSNAP_PROTO/binary"' : ''}`,
        },
        {
          name: 'package',
          run: `${guard('package')}cat "$DCSNAP_PROTO/binary" "$DCSNAP_DATA_CACHE/counter" > "$DCSNAP_PROTO/package"`,
        },
      ],
      {dir: co},
    )
    await machine.put(co)
    return co
  }

  /** B: build datasets of its own in the replica's pool. */
  async function machineB(): Promise<TestPool> {
    await zfsOk('create', `${b.name}/work`)
    return {...b, proto: `${b.name}/work/proto`, cache: `${b.name}/work/cache`, mountpoint: `${b.mountpoint}/work`}
  }

  /** A: a checkout whose `gate` step fails without ./fixed, a build that stops there, and a push to B's replica. */
  async function aFailsAndPushes(gate = 'compile'): Promise<{coA: string; rep: string}> {
    const coA = await checkout('a', a, gate)
    expect((await machine.dcsnap(['build', '-q'], {cwd: coA})).exitCode).toBe(1)
    const rep = `${b.name}/rep`
    expect((await machine.dcsnap(['push', rep], {cwd: coA})).exitCode).toBe(0)
    return {coA, rep}
  }

  /** B: its own build datasets in the replica's pool, and a checkout there with the fix. */
  async function bFixed(gate = 'compile', changed = false): Promise<{bHeads: TestPool; coB: string}> {
    const bHeads = await machineB()
    const coB = await checkout('b', bHeads, gate, changed)
    await machine.writeThere(join(coB, 'fixed'), '')
    return {bHeads, coB}
  }

  test(
    'fails on A; push; on B fix and resume --from the replica: the result equals a clean build, the replica unchanged',
    async () => {
      const {coA, rep} = await aFailsAndPushes()
      const received = await guids(rep)

      // B: its own build datasets in the replica's pool, the fix, and resume from the replica.
      const {bHeads, coB} = await bFixed()
      const dry = await machine.dcsnap(['resume', '--from', rep, '--dry-run'], {cwd: coB})
      expect(dry.stdout).toContain(
        `clones ${rep}/proto@dc-1-fetch, ${rep}/cache@dc-1-fetch into ${bHeads.proto}, ${bHeads.cache}`,
      )
      expect((await host.zfs(['list', bHeads.proto])).exitCode).not.toBe(0)
      const resumed = await machine.dcsnapJson<{status: string; ran: string[]}>(['resume', '--from', rep, '-q'], {
        cwd: coB,
      })
      expect(resumed.exitCode).toBe(0)
      expect(resumed.json).toMatchObject({status: 'completed', ran: ['compile', 'package']})
      expect(await prop(bHeads.proto, 'origin')).toBe(`${rep}/proto@dc-1-fetch`)
      // Every checkpoint of the build reads on B's head line, the first from the replica.
      const list = await machine.dcsnapJson<{snapshots: Array<{name: string}>}>(['list'], {cwd: coB})
      expect(list.json.snapshots.map(s => s.name)).toEqual(['dc-1', 'dc-1-fetch', 'dc-1-compile', 'dc-1-package'])

      // The logs came along: fetch's from the checkpoint's data cache, and A's failed attempt of compile from the
      // replica's property; B's own attempt of compile is the second.
      expect((await machine.dcsnap(['log', 'compile', '--attempt', '1'], {cwd: coB})).stdout).toContain(
        'compile: missing ./fixed',
      )
      expect((await machine.dcsnap(['log', 'compile', '--attempt', '2'], {cwd: coB})).exitCode).toBe(0)
      expect((await machine.dcsnap(['log', 'fetch'], {cwd: coB})).exitCode).toBe(0)

      // Destroying what follows a checkpoint that lies in the replica would roll the replica back: refused.
      const back = await machine.dcsnapJson<Transfer>(['rollback', 'dc-1', '--discard'], {cwd: coB})
      expect(back.exitCode).toBe(3)
      expect(back.json.error?.code).toBe('TARGET_IN_REPLICA')

      // A clean build of the fixed manifest on A gives the same files.
      await machine.writeThere(join(coA, 'fixed'), '')
      expect((await machine.dcsnap(['build', '-q', '--no-cache'], {cwd: coA})).exitCode).toBe(0)
      for (const f of ['sources', 'binary', 'package']) {
        expect(await machine.readThere(join(bHeads.mountpoint, 'proto', f))).toBe(
          await machine.readThere(join(a.mountpoint, 'proto', f)),
        )
      }
      // The replica was never modified: a later push still applies, and what it had is all there.
      const again = await machine.dcsnapJson<Transfer>(['push', rep], {cwd: coA})
      expect(again.exitCode).toBe(0)
      const now = await guids(rep)
      const all = new Set(now.values())
      for (const g of received.values()) expect(all.has(g)).toBe(true)
      expect(await machine.existsThere(join(bHeads.mountpoint, 'proto', 'package'))).toBe(true)
    },
    machine.BUILD_TEST_TIMEOUT,
  )

  test(
    "a new build on B reuses A's checkpoints from the replica: the head becomes a new clone of where it starts",
    async () => {
      // A: fetch and compile ran, package stopped.
      const {coA, rep} = await aFailsAndPushes('package')
      const received = await guids(rep)
      const {bHeads, coB} = await bFixed('package')
      expect((await machine.dcsnap(['resume', '--from', rep, '-q'], {cwd: coB})).exitCode).toBe(0)

      // B changes compile: fetch's checkpoint is A's, in the replica; the head becomes a clone of it, B's first build
      // is kept on a line.
      await checkout('b', bHeads, 'package', true)
      const hit = await machine.dcsnapJson<{
        status: string
        ran: string[]
        cached: Array<{step: string; from: string}>
      }>(['build', '-q'], {cwd: coB})
      expect(hit.exitCode).toBe(0)
      expect(hit.json).toMatchObject({status: 'completed', ran: ['compile', 'package'], cached: [{step: 'fetch'}]})
      expect(hit.json.cached[0].from).toContain('dc-1-fetch')
      expect(await prop(bHeads.proto, 'origin')).toBe(`${rep}/proto@dc-1-fetch`)
      expect(await prop(bHeads.cache, 'origin')).toBe(`${rep}/cache@dc-1-fetch`)
      expect(await machine.readThere(join(bHeads.mountpoint, 'proto', 'binary'))).toBe('sources\nchanged\n')
      expect(await machine.readThere(join(bHeads.mountpoint, 'proto', 'package'))).toBe('sources\nchanged\n1\n2\n')
      const lines = await machine.dcsnapJson<{snapshots: Array<{name: string; line: string}>}>(['list', '--all'], {
        cwd: coB,
      })
      expect(lines.json.snapshots.filter(s => s.line === 'k1').map(s => s.name)).toEqual(
        expect.arrayContaining(['dc-1-compile', 'dc-1-package']),
      )

      // A new build from the base starts from the baseline, also in the replica: cloned again.
      const clean = await machine.dcsnapJson<{status: string}>(['build', '-q', '--no-cache'], {cwd: coB})
      expect(clean.json.status).toBe('completed')
      expect(await prop(bHeads.proto, 'origin')).toBe(`${rep}/proto@dc-1`)

      // The replica is as it was received, and A's next push still applies.
      expect(await guids(rep)).toEqual(received)
      expect((await machine.dcsnap(['push', rep], {cwd: coA})).exitCode).toBe(0)
    },
    machine.BUILD_TEST_TIMEOUT,
  )

  test(
    'what A builds and pushes later is a cache hit on B: the head becomes a clone of it, nothing runs',
    async () => {
      const {coA, rep} = await aFailsAndPushes()
      // B finishes the build with a compile of its own.
      const {bHeads, coB} = await bFixed('compile', true)
      expect((await machine.dcsnap(['resume', '--from', rep, '-q'], {cwd: coB})).exitCode).toBe(0)
      // A fixes it its way, builds again and pushes.
      await machine.writeThere(join(coA, 'fixed'), '')
      expect((await machine.dcsnap(['build', '-q'], {cwd: coA})).exitCode).toBe(0)
      expect((await machine.dcsnap(['push', rep], {cwd: coA})).exitCode).toBe(0)
      const received = await guids(rep)

      // B goes back to A's compile: every step is A's latest build, in the replica.
      await checkout('b', bHeads)
      const why = await machine.dcsnap(['why'], {cwd: coB})
      expect(why.stdout).toContain('replica:dc-2-package')
      const hit = await machine.dcsnapJson<{build: string; ran: string[]; cached: Array<{step: string; from: string}>}>(
        ['build', '-q'],
        {cwd: coB},
      )
      expect(hit.exitCode).toBe(0)
      // Build 2 is A's (its snapshots are on the replica's line): B's is 3.
      expect(hit.json).toMatchObject({build: '3', ran: []})
      expect(hit.json.cached.map(c => c.step)).toEqual(['fetch', 'compile', 'package'])
      expect(await prop(bHeads.proto, 'origin')).toBe(`${rep}/proto@dc-2-package`)
      for (const f of ['sources', 'binary', 'package']) {
        expect(await machine.readThere(join(bHeads.mountpoint, 'proto', f))).toBe(
          await machine.readThere(join(a.mountpoint, 'proto', f)),
        )
      }
      // B's own build is kept on a line; the replica is as received.
      const list = await machine.dcsnapJson<{snapshots: Array<{name: string; line: string}>}>(['list', '--all'], {
        cwd: coB,
      })
      expect(list.json.snapshots.filter(s => s.line === 'k1').map(s => s.name)).toEqual(
        expect.arrayContaining(['dc-1-compile', 'dc-1-package']),
      )
      expect(await guids(rep)).toEqual(received)
    },
    machine.BUILD_TEST_TIMEOUT,
  )
})

describeWhere(
  stepsSeeMounts && existsSync(SSHD),
  'push and pull through ssh',
  'needs openssh-server and zfs on this machine',
  () => {
    let sshd: TestSshd
    beforeAll(async () => {
      sshd = await startSshd()
    })
    afterAll(async () => {
      await sshd.stop()
    })

    test('to USER@HOST:POOL/PATH and back, every zfs word quoted for the remote shell', async () => {
      await fakeBuild(a, '1', ['fetch', 'build'])
      const env = {DCSNAP_SSH: sshd.sshCommand}
      const rep = `${b.name}/rep`
      const first = await dcsnapJson<Transfer>(['push', `${sshd.host}:${rep}`, ...a.flags], {env})
      expect(first.exitCode).toBe(0)
      expect(await snapshotsOf(`${rep}/proto`)).toEqual(['dc-1', 'dc-1-fetch', 'dc-1-build'])
      await fakeBuild(a, '2', ['fetch'])
      const second = await dcsnapJson<Transfer>(['push', `${sshd.host}:${rep}`, ...a.flags], {env})
      expect(second.json.streams.map(s => s.label)).toEqual(['dc-1-build..dc-2-fetch', 'dc-1-build..dc-2-fetch'])
      const pulled = await dcsnapJson<Transfer>(['pull', `${sshd.host}:${rep}`, '--into', `${a.name}/back`], {env})
      expect(pulled.exitCode).toBe(0)
      expect(await snapshotsOf(`${a.name}/back/proto`)).toEqual([
        'dc-1',
        'dc-1-fetch',
        'dc-1-build',
        'dc-2',
        'dc-2-fetch',
      ])
    })
  },
)
