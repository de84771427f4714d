import {jest} from '@jest/globals'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {loadManifest, Runner, Zfs, type Logger} from '../../src/index.js'
import {snapshotsOf} from '../support/checkpoints.js'
import {seedSteps, writeManifest} from '../support/manifest.js'
import {createTestPool, type TestPool} from '../support/pool.js'
import {host, shOk, describeWhere, stepsSeeMounts, STEPS_WHY} from '../support/zfs-host.js'

describeWhere(stepsSeeMounts, 'the library API', STEPS_WHY, () => {
  let pool: TestPool
  beforeEach(async () => {
    pool = await createTestPool()
  })
  afterEach(async () => pool.destroy())

  test('scripted resume through the library, with a temp-dir data cache, in one process; nothing printed', async () => {
    const m = writeManifest(pool, seedSteps(), {cache: false})
    const lines: string[] = []
    const logger: Logger = {info: l => lines.push(l), warn: l => lines.push(`warn: ${l}`), debug() {}}
    const write = jest.spyOn(process.stdout, 'write')
    const env = {...process.env, ...host.env}
    const runner = new Runner({
      manifest: await loadManifest(m.file),
      zfs: new Zfs({env, capabilitiesCache: false}),
      logger,
      env,
    })
    try {
      const failed = await runner.build()
      expect(failed).toMatchObject({build: '1', status: 'failed', step: 'compile', exitCode: 7})
      writeFileSync(join(m.dir, 'fixed'), '')
      const plan = await runner.planResume()
      expect([plan.from.name, plan.target.name]).toEqual(['compile', 'dc-1-configure'])
      const done = await runner.resume()
      expect(done).toMatchObject({status: 'completed', ran: ['compile', 'package', 'iso']})
    } finally {
      await runner.dispose()
    }
    expect(write).not.toHaveBeenCalled()
    write.mockRestore()
    expect(lines).toContain('      checkpoint dc-1-iso') // progress comes through the logger; the outcome is the return value
    expect(await snapshotsOf(pool.proto)).toHaveLength(6)
    expect(await shOk(`cat ${pool.mountpoint}/proto/package`)).toBe('sources\nconfigured compiled\n1\n2')
  })
})
