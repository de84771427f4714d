import {mkdirSync, readdirSync, statSync, symlinkSync} from 'node:fs'
import {join} from 'node:path'
import {readRecord, writeRecord, type BuildRecord} from '../../../src/runner/record.js'
import {tempDirPerTest} from '../../support/temp-dir.js'

const record: BuildRecord = {
  build: '1',
  name: 'x',
  manifestPath: '/m/dcsnap.yaml',
  manifestHash: 'h',
  cache: 'tmp',
  steps: [],
}

const dir = tempDirPerTest('dcsnap-record-')

describe('writeRecord', () => {
  test('writes record.json and manifest.yaml 0600 in a 0700 .dcsnap, read back by readRecord', async () => {
    const where = join(dir(), 'logs', '1')
    await writeRecord(where, record, 'name: x\n')
    await writeRecord(where, {...record, cache: 'zfs'})
    expect(await readRecord(where)).toEqual({record: {...record, cache: 'zfs'}, manifestText: 'name: x\n'})
    expect(statSync(join(where, '.dcsnap')).mode & 0o7777).toBe(0o700)
    for (const f of ['record.json', 'manifest.yaml'])
      expect(statSync(join(where, '.dcsnap', f)).mode & 0o7777).toBe(0o600)
    expect(readdirSync(join(where, '.dcsnap')).sort()).toEqual(['manifest.yaml', 'record.json'])
  })
  test('refuses a .dcsnap planted as a symlink, writing nothing in its target', async () => {
    mkdirSync(join(dir(), 'elsewhere'))
    mkdirSync(join(dir(), 'logs'))
    symlinkSync(join(dir(), 'elsewhere'), join(dir(), 'logs', '.dcsnap'))
    await expect(writeRecord(join(dir(), 'logs'), record, 'name: x\n')).rejects.toEqual(
      expect.objectContaining({code: 'UNSAFE_PATH'}),
    )
    expect(readdirSync(join(dir(), 'elsewhere'))).toEqual([])
  })
})
