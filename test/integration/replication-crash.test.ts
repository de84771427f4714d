// kill -9 between any two changing zfs calls of a push whose replica's head moves back (the source moved its head):
// the next push finishes the move or finds it undone, and the replica ends as an uninterrupted push leaves it, with
// nothing it had lost. The move is the journalled line move, swept on both tiers by lines.test on build datasets;
// here it runs on a replica, from push, on zfs-fuse, where a kill point costs seconds instead of half a minute.
import {openSession, seedFromReplica, Zfs} from '../../src/index.js'
import {dcsnap, dcsnapJson} from '../support/cli.js'
import {fakeBuild, snapshotsOf} from '../support/checkpoints.js'
import {callsOf, killedAfter} from '../support/kill-points.js'
import {createTestPool, type TestPool} from '../support/pool.js'
import {describeWhere, host, zfsOk} from '../support/zfs-host.js'

/** Every snapshot guid under a dataset (its kept lines included). */
async function guids(dataset: string): Promise<string[]> {
  const out = await zfsOk('list', '-H', '-r', '-t', 'snapshot', '-o', 'guid', dataset)
  return out.split('\n').filter(Boolean)
}

/** Build 1 pushed to a replica (in the same pool: one pool per kill point), then the source moved back to fetch with
 * a new checkpoint after it. */
async function scene(): Promise<{pool: TestPool; rep: string}> {
  const a = await createTestPool()
  const rep = `${a.name}/rep`
  await fakeBuild(a, '1', ['fetch', 'build'])
  expect((await dcsnap(['push', rep, ...a.flags])).exitCode).toBe(0)
  expect((await dcsnap(['rollback', 'fetch', ...a.flags])).exitCode).toBe(0)
  for (const ds of [a.proto, a.cache]) await zfsOk('snapshot', '-o', 'dcsnap:build=1', `${ds}@dc-1-other`)
  return {pool: a, rep}
}

describeWhere(
  host.tier === 'zfs-fuse',
  'kill -9 between any two zfs calls of a push that moves the replica',
  'a kill point costs about 30 s in the VM; the move itself is swept there by lines.test',
  () => {
    const push = (s: {pool: TestPool; rep: string}) => ['push', s.rep, '--all', ...s.pool.flags]
    let counted: Promise<number> | undefined

    // A push that moves the replica makes 18 changing calls on zfs-fuse: the move's 16 (containers, journal, clones,
    // promotes, renames, canmount, the journal cleared), then hold and release. A kill point costs a scene of its own
    // (20-40 s on a busy machine): every other call of the move's middle, which still meets each kind of step (the
    // move's journal is killed at every call by lines.test), and every call from the journal's clearing on.
    // The first test also counts the calls, with a push of its own: it takes one kill point.
    const points: Array<[string, number[]]> = [
      ['1', [1]],
      ['3 and 5', [3, 5]],
      ['7 and 9', [7, 9]],
      ['11 and 13', [11, 13]],
      ['15 and 16', [15, 16]],
      ['17 and each after it', Array.from({length: 44}, (_, i) => 17 + i)],
    ]
    test.each(points)(
      'killed after changing call %s, the next push leaves the replica as an uninterrupted one',
      async (_title, ats) => {
        const total = await (counted ??= callsOf(scene, push))
        expect(total).toBeGreaterThan(8)
        expect(total).toBeLessThan(61)
        for (const at of ats.filter(n => n <= total)) {
          const s = await scene()
          try {
            const before = await guids(s.rep)
            expect((await killedAfter(push(s), at)).exitCode).not.toBe(0)
            const again = await dcsnapJson<{moveTo?: string}>(['push', s.rep, '--all', ...s.pool.flags])
            try {
              expect(again.exitCode).toBe(0)
              expect(await snapshotsOf(`${s.rep}/proto`)).toEqual(['dc-1', 'dc-1-fetch', 'dc-1-other'])
              expect(await snapshotsOf(`${s.rep}/cache`)).toEqual(['dc-1', 'dc-1-fetch', 'dc-1-other'])
              expect(await snapshotsOf(`${s.rep}/proto.dclines/k1`)).toEqual(['dc-1-build'])
              expect((await zfsOk('get', '-H', '-o', 'value', 'dcsnap:journal', `${s.rep}/proto.dclines`)).trim()).toBe(
                '-',
              )
              const after = await guids(s.rep)
              for (const g of before) expect(after).toContain(g)
              // A third push has nothing to send.
              expect(
                (await dcsnapJson<{streams: unknown[]}>(['push', s.rep, '--all', ...s.pool.flags])).json.streams,
              ).toEqual([])
            } catch (error) {
              throw new Error(`killed after changing call ${at} of ${total}: ${(error as Error).message}`)
            }
          } finally {
            await s.pool.destroy()
          }
        }
      },
    )
  },
)

/** Build 1 pushed to a replica, and build datasets of B's seeded from its last checkpoint (one pool per kill point). */
async function seeded(): Promise<{pool: TestPool; rep: string; heads: string[]}> {
  const a = await createTestPool()
  const rep = `${a.name}/rep`
  await fakeBuild(a, '1', ['fetch', 'build'])
  expect((await dcsnap(['push', rep, ...a.flags])).exitCode).toBe(0)
  await zfsOk('create', `${a.name}/work`)
  const heads = [`${a.name}/work/proto`, `${a.name}/work/cache`]
  const zfs = new Zfs({env: {...process.env, ...host.env}, capabilitiesCache: false})
  await seedFromReplica(openSession(heads, {zfs}), rep)
  return {pool: a, rep, heads}
}

describeWhere(
  host.tier === 'zfs-fuse',
  'kill -9 between any two zfs calls of a rollback into the replica the build datasets were cloned from',
  'a kill point costs about 30 s in the VM; the move is swept there by lines.test on build datasets',
  () => {
    /** `rollback fetch`: fetch lies in the replica. */
    const rollback = (s: {heads: string[]}) => ['rollback', 'fetch', '-d', s.heads[0], '-d', s.heads[1]]
    let counted: Promise<number> | undefined

    // The move makes about 23 changing calls on zfs-fuse (containers, journal, unmounts, hand snapshots, clones,
    // properties, renames, mounts, the journal cleared). Every call of a build datasets' move is swept by lines.test;
    // here every other one and the last, two kill points a test (the first also counts the calls, with a rollback of
    // its own: it takes one): a scene costs 7-25 s, up to 40 s on a busy machine.
    const points: Array<[string, number[]]> = [
      ['1', [1]],
      ...[3, 7, 11, 15, 19, 23].map((n): [string, number[]] => [`${n} and ${n + 2}`, [n, n + 2]]),
      ['27 and the last (the journal cleared)', [27, -1]],
    ]
    test.each(points)(
      'killed after changing call %s, the next dcsnap finishes the move or finds it undone; the replica is untouched',
      async (_title, ats) => {
        const total = await (counted ??= callsOf(seeded, rollback))
        expect(total).toBeGreaterThan(6)
        expect(total).toBeLessThan(29)
        for (const at of [...new Set(ats.map(n => (n < 0 ? total : n)))].filter(n => n <= total)) {
          const s = await seeded()
          try {
            const replica = await guids(s.rep)
            const own = (await zfsOk('get', '-H', '-o', 'value', 'guid', `${s.heads[0]}@dc-1-build`)).trim()
            expect((await killedAfter(rollback(s), at)).exitCode).not.toBe(0)
            const list = await dcsnapJson<{snapshots: Array<{name: string; line: string}>}>([
              'list',
              '--all',
              '-d',
              s.heads[0],
              '-d',
              s.heads[1],
            ])
            try {
              expect(list.exitCode).toBe(0)
              const origin = (await zfsOk('get', '-H', '-o', 'value', 'origin', s.heads[0])).trim()
              const moved = origin === `${s.rep}/proto@dc-1-fetch`
              if (!moved) expect(origin).toBe(`${s.rep}/proto@dc-1-build`)
              // B's own checkpoint is on the head (not moved) or on a kept line (moved); never lost, never twice.
              const where = list.json.snapshots.filter(x => x.name === 'dc-1-build').map(x => x.line)
              expect(where).toEqual([moved ? 'k1' : 'head'])
              expect(await guids(`${s.pool.name}/work`)).toContain(own)
              expect(await guids(s.rep)).toEqual(replica)
              const names = (await zfsOk('list', '-H', '-r', '-o', 'name', `${s.pool.name}/work`)).split('\n')
              expect(names.filter(n => n.endsWith('/moving'))).toEqual([])
              expect(
                (
                  await zfsOk('get', '-H', '-o', 'value', 'dcsnap:journal', `${s.heads[0]}.dclines`).catch(() => '-')
                ).trim(),
              ).toBe('-')
            } catch (error) {
              throw new Error(`killed after changing call ${at} of ${total}: ${(error as Error).message}`)
            }
          } finally {
            await s.pool.destroy()
          }
        }
      },
    )
  },
)
