// dcsnap as an unprivileged user with only the `zfs allow` permissions docs/delegation.md lists; one fewer fails.
// dcsnap runs here as usual; only zfs runs as the user, inside the VM (DCSNAP_ZFS="test/vm/zfs-as USER").
import {expect} from '@jest/globals'
import {join} from 'node:path'
import {openSession, takeSnapshots, Zfs, ZfsError, type ListView} from '../../src/index.js'
import {dcsnap, dcsnapJson, type ErrorJson} from '../support/cli.js'
import {readProto, snapshotsOf, writeProto} from '../support/checkpoints.js'
import {repoRoot} from '../support/paths.js'
import {createTestPool, type TestPool} from '../support/pool.js'
import {describeWhere, has, shOk, zfsOk} from '../support/zfs-host.js'

/** The test user in the VM (added to its /etc/passwd). */
const USER = 'dcdeleg'
const UID = 4711
const asUser = {DCSNAP_ZFS: `${join(repoRoot, 'test', 'vm', 'zfs-as')} ${USER}`}

/** The set docs/delegation.md says to delegate on every build dataset for everything dcsnap does. */
const DOCUMENTED = [
  'snapshot',
  'userprop',
  'rollback',
  'destroy',
  'mount',
  'rename',
  'create',
  'hold',
  'release',
  'diff',
]

/** A command's exit code and JSON (a check names its shape; errorOf reads the error of one that failed). */
type Outcome = {exitCode: number; json: unknown}

const errorOf = (out: Outcome) => (out.json as Partial<ErrorJson> | undefined)?.error

/** One dcsnap operation: what it needs (docs/delegation.md), the state it starts from, how the user runs it. */
interface Case {
  what: string
  needs: string[]
  /** Shell commands run as root in the VM to make the starting state (one call, with the datasets' creation). */
  setup?: (b: Datasets) => string[]
  run: (b: Datasets) => Promise<Outcome>
  /** After it succeeded with exactly `needs`. */
  check: (b: Datasets, out: Outcome) => void | Promise<void>
}

/** A proto and a cache dataset of their own, shaped like a TestPool for the checkpoint helpers. */
type Datasets = TestPool

/** Shell commands making build `id` as dcsnap's runner would (as root): a baseline, then `<step>.txt` and a checkpoint per step. */
function build(b: Datasets, id: string, steps: string[]): string[] {
  const snap = (name: string, props: string[]) =>
    `zfs snapshot ${props.map(p => `-o dcsnap:${p}`).join(' ')} ${b.proto}@${name} ${b.cache}@${name}`
  return [
    snap(`dc-${id}`, [`build=${id}`, 'index=0']),
    ...steps.flatMap((step, i) => [
      `printf %s ${id}:${step} > ${b.mountpoint}/proto/${step}.txt`,
      snap(`dc-${id}-${step}`, [`build=${id}`, `step=${step}`, `index=${i + 1}`]),
    ]),
  ]
}

const cli = (args: string[]) => async (b: Datasets) => dcsnapJson([...args, ...b.flags], {env: asUser})

let userZfs: Zfs | undefined

/** The runner's checkpoint call (snapshot with dcsnap:* properties), made through the library as the user. */
async function checkpointAsUser(b: Datasets, name: string, build: string): Promise<Outcome> {
  userZfs ??= new Zfs({env: {...process.env, ...asUser}, capabilitiesCache: false})
  const zfs = userZfs
  try {
    const made = await takeSnapshots(openSession([b.proto, b.cache], {zfs}), name, {
      'dcsnap:build': build,
      'dcsnap:index': '0',
    })
    return {exitCode: 0, json: {made}}
  } catch (error) {
    if (!(error instanceof ZfsError)) throw error
    return {
      exitCode: error.exitCode,
      json: {error: {code: error.code, message: error.message, exitCode: error.exitCode}},
    }
  }
}

const cases: Case[] = [
  {
    what: 'list',
    needs: [],
    setup: b => build(b, '1', ['fetch']),
    run: cli(['list']),
    check: (_b, out) =>
      expect((out.json as ListView).snapshots.map(s => [s.name, s.build, s.state])).toEqual([
        ['dc-1', '1', 'complete'],
        ['dc-1-fetch', '1', 'complete'],
      ]),
  },
  {
    what: 'snapshot NAME',
    needs: ['snapshot'],
    run: cli(['snapshot', 'before-experiment']),
    check: async b => {
      for (const ds of [b.proto, b.cache]) expect(await snapshotsOf(ds)).toEqual(['before-experiment'])
    },
  },
  {
    what: "a checkpoint with dcsnap:* properties (the runner's snapshot, through the library)",
    needs: ['snapshot', 'userprop'],
    run: b => checkpointAsUser(b, 'dc-1', '1'),
    check: async b => {
      expect((await zfsOk('get', '-H', '-o', 'value', 'dcsnap:build', `${b.cache}@dc-1`)).trim()).toBe('1')
    },
  },
  {
    what: 'rollback to the newest snapshot (mounted dataset)',
    needs: ['rollback'],
    setup: b => [...build(b, '1', ['fetch']), `echo later > ${b.mountpoint}/proto/later.txt`],
    run: cli(['rollback', 'fetch', '--yes']),
    check: async b => {
      expect(await readProto(b, 'later.txt')).toBe('')
      expect(await readProto(b, 'fetch.txt')).toBe('1:fetch')
    },
  },
  {
    what: 'rollback --discard over later checkpoints (destroys them first)',
    needs: ['rollback', 'destroy', 'mount'],
    setup: b => build(b, '1', ['fetch', 'build']),
    run: cli(['rollback', 'fetch', '--discard', '--yes']),
    check: async b => {
      expect(await snapshotsOf(b.cache)).toEqual(['dc-1', 'dc-1-fetch'])
      expect(await readProto(b, 'build.txt')).toBe('')
    },
  },
  {
    what: 'rename FROM TO',
    needs: ['rename', 'create', 'mount'],
    setup: b => build(b, '1', ['fetch']),
    run: cli(['rename', 'dc-1-fetch', 'dc-1-download']),
    check: async b => {
      for (const ds of [b.proto, b.cache]) expect(await snapshotsOf(ds)).toEqual(['dc-1', 'dc-1-download'])
    },
  },
  {
    what: 'hold',
    needs: ['hold'],
    setup: b => build(b, '1', ['fetch']),
    run: cli(['hold', 'fetch']),
    check: async b => expect(await zfsOk('holds', '-H', `${b.cache}@dc-1-fetch`)).toMatch(/\tdcsnap\t/),
  },
  {
    what: 'release',
    needs: ['release'],
    setup: b => [...build(b, '1', ['fetch']), `zfs hold dcsnap ${b.proto}@dc-1-fetch ${b.cache}@dc-1-fetch`],
    run: cli(['release', 'fetch']),
    check: async b =>
      expect((await zfsOk('get', '-H', '-o', 'value', 'userrefs', `${b.proto}@dc-1-fetch`)).trim()).toBe('0'),
  },
  {
    what: 'diff FROM TO',
    needs: ['diff'],
    setup: b => build(b, '1', ['fetch']),
    run: cli(['diff', 'dc-1', 'fetch']),
    check: (_b, out) => expect(JSON.stringify(out.json)).toContain('fetch.txt'),
  },
  {
    what: 'diff FROM (to the live dataset: zfs makes a temporary snapshot)',
    needs: ['diff'],
    setup: b => [...build(b, '1', ['fetch']), `echo live > ${b.mountpoint}/proto/live.txt`],
    run: cli(['diff', 'fetch']),
    check: (_b, out) => expect(JSON.stringify(out.json)).toContain('live.txt'),
  },
  {
    what: 'destroy TARGET',
    needs: ['destroy', 'mount'],
    setup: b => build(b, '1', ['fetch']),
    run: cli(['destroy', 'fetch']),
    check: async b => expect(await snapshotsOf(b.proto)).toEqual(['dc-1']),
  },
  {
    what: 'prune --keep N',
    needs: ['destroy', 'mount'],
    setup: b => [...build(b, '1', ['fetch']), ...build(b, '2', ['fetch'])],
    run: cli(['prune', '--keep', '1']),
    check: async b => expect(await snapshotsOf(b.cache)).toEqual(['dc-1', 'dc-2', 'dc-2-fetch']),
  },
]

describeWhere(
  has.delegation,
  'a user with delegated permissions (zfs allow)',
  'a user without privileges cannot reach the zfs-fuse daemon (connect: Permission denied), and its `zfs allow` needs pyzfs',
  () => {
    let pool: TestPool
    let made = 0

    /** Fresh proto and cache datasets in the test pool, exactly `perms` delegated to the user on each, then `setup`: one VM call. */
    async function datasets(perms: string[], setup: (b: Datasets) => string[] = () => []): Promise<Datasets> {
      const base = `${pool.name}/v${++made}`
      const b: Datasets = {
        ...pool,
        name: base,
        proto: `${base}/proto`,
        cache: `${base}/cache`,
        mountpoint: `${pool.mountpoint}/v${made}`,
        flags: ['-d', `${base}/proto`, '-d', `${base}/cache`],
      }
      const allow =
        perms.length > 0 ? [b.proto, b.cache].map(ds => `zfs allow -u ${USER} ${perms.join(',')} ${ds}`) : []
      await shOk(['set -e', `zfs create -p ${b.proto}`, `zfs create ${b.cache}`, ...allow, ...setup(b)].join('\n'))
      return b
    }

    beforeAll(async () => {
      await shOk(
        `grep -q '^${USER}:' /etc/passwd || { echo '${USER}:x:${UID}:${UID}::/tmp:/bin/sh' >> /etc/passwd; echo '${USER}:x:${UID}:' >> /etc/group; }`,
      )
      pool = await createTestPool('256M')
    })
    afterAll(async () => pool?.destroy())

    test('the user really is unprivileged: with nothing delegated, snapshot is denied', async () => {
      const b = await datasets([])
      const r = await dcsnap(['snapshot', 'nope', ...b.flags], {env: asUser})
      expect(r.exitCode).toBe(1)
      expect(r.stderr).toMatch(/^error: cannot create snapshots : permission denied(;.*)?$/m)
      expect(r.stderr).toMatch(/zfs allow/)
    })

    test.each(cases.map(c => [c.what, c]))(
      '%s: works with exactly its permissions and fails with any one fewer',
      async (_what, c) => {
        // Each variant on datasets of its own, all at once (the VM runs 4 calls in parallel).
        const [ok, ...fewer] = await Promise.all(
          [c.needs, ...c.needs.map(missing => c.needs.filter(p => p !== missing))].map(perms =>
            datasets(perms, c.setup),
          ),
        )
        const [out, ...denied] = await Promise.all([ok, ...fewer].map(b => c.run(b)))
        expect([out.exitCode, errorOf(out)]).toEqual([0, undefined])
        await c.check(ok, out)
        // SPEC: a failed ZFS operation is exit 1; src/zfs/errors.ts classifies zfs's message as permission denied.
        expect(denied.map((d, i) => ({missing: c.needs[i], exitCode: d.exitCode, error: errorOf(d)}))).toEqual(
          c.needs.map(missing => ({
            missing,
            exitCode: 1,
            error: expect.objectContaining({code: 'ZFS_PERMISSION_DENIED', exitCode: 1}),
          })),
        )
      },
    )

    test('with the documented set, one user does the whole workflow: checkpoints, snapshot, list, hold, rename, diff, rollback, destroy, prune', async () => {
      const b = await datasets(DOCUMENTED)
      const run = async <T>(...args: string[]) => {
        const r = await dcsnapJson<T & Partial<ErrorJson>>([...args, ...b.flags], {env: asUser})
        expect([args.join(' '), r.exitCode, r.json?.error]).toEqual([args.join(' '), 0, undefined])
        return r.json
      }
      for (const build of ['1', '2']) {
        expect((await checkpointAsUser(b, `dc-${build}`, build)).exitCode).toBe(0)
        await writeProto(b, `step-${build}.txt`, build)
        expect((await checkpointAsUser(b, `dc-${build}-step`, build)).exitCode).toBe(0)
      }
      await run('snapshot', 'experiment')
      expect((await run<ListView>('list', '--all')).snapshots.map(s => s.name)).toEqual([
        'dc-1',
        'dc-1-step',
        'dc-2',
        'dc-2-step',
        'experiment',
      ])
      await run('hold', 'dc-1-step')
      await run('rename', 'experiment', 'tried')
      expect(JSON.stringify(await run('diff', 'dc-2', 'step'))).toContain('step-2.txt')
      await writeProto(b, 'scratch.txt', 'x')
      expect(JSON.stringify(await run('diff', 'tried'))).toContain('scratch.txt')
      await run('rollback', 'dc-2', '--discard', '--yes', '--force')
      expect(await readProto(b, 'step-2.txt')).toBe('')
      await run('release', 'dc-1-step')
      await run('destroy', 'dc-1-step')
      await run('prune', '--keep', '1')
      for (const ds of [b.proto, b.cache]) expect(await snapshotsOf(ds)).toEqual(['dc-1', 'dc-2'])
    })

    test('going back without --discard would move lines, which needs mount rights: refused (exit 3) naming --discard, nothing changed', async () => {
      const b = await datasets(DOCUMENTED)
      for (const build of ['1']) {
        expect((await checkpointAsUser(b, `dc-${build}`, build)).exitCode).toBe(0)
        await writeProto(b, 'step.txt', build)
        expect((await checkpointAsUser(b, `dc-${build}-step`, build)).exitCode).toBe(0)
      }
      const r = await dcsnapJson<ErrorJson>(['rollback', 'dc-1', ...b.flags], {env: asUser})
      expect(r.exitCode).toBe(3)
      expect(r.json.error.message).toMatch(/mount/)
      expect(r.json.error.message + r.json.error.hint).toMatch(/--discard/)
      for (const ds of [b.proto, b.cache]) expect(await snapshotsOf(ds)).toEqual(['dc-1', 'dc-1-step'])
      expect(await readProto(b, 'step.txt')).toBe('1')
    })
  },
)
