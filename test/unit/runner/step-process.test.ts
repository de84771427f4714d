import {expect} from '@jest/globals'
import {
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {join} from 'node:path'
import type {StepDefinition} from '../../../src/manifest/manifest.js'
import {runStep} from '../../../src/runner/step-process.js'
import {tempDirPerTest} from '../../support/temp-dir.js'

const asRoot = process.geteuid?.() === 0 ? test : test.skip
const step = (run: StepDefinition['run']): StepDefinition => ({name: 'fetch', index: 1, run, env: {}})

const dir = tempDirPerTest('dcsnap-step-')

describe('runStep logs', () => {
  test('the log is 0600 in a 0700 directory made for it, and holds the output', async () => {
    const log = join(dir(), 'logs', '1', '1-fetch.log')
    const outcome = await runStep({step: step('echo out; echo err >&2'), cwd: dir(), env: process.env, log})
    expect(outcome).toEqual({status: 'succeeded', exitCode: 0, signal: null, log})
    expect(readFileSync(log, 'utf8').split('\n').sort()).toEqual(['', 'err', 'out'])
    expect(statSync(log).mode & 0o7777).toBe(0o600)
    expect(statSync(join(dir(), 'logs', '1')).mode & 0o7777).toBe(0o700)
  })
  test('a log planted as a symlink to a victim file: the step does not run and the victim is unchanged', async () => {
    const victim = join(dir(), 'victim')
    writeFileSync(victim, 'precious\n')
    mkdirSync(join(dir(), 'logs', '1'), {recursive: true, mode: 0o700})
    const log = join(dir(), 'logs', '1', '1-fetch.log')
    symlinkSync(victim, log)
    const ran = join(dir(), 'ran')
    await expect(runStep({step: step(['touch', ran]), cwd: dir(), env: process.env, log})).rejects.toEqual(
      expect.objectContaining({
        code: 'UNSAFE_PATH',
        exitCode: 2,
        message: expect.stringContaining(`${log}: it is a symbolic link`),
        hint: expect.stringContaining('logs:'),
      }),
    )
    expect(readFileSync(victim, 'utf8')).toBe('precious\n')
    expect(existsSync(ran)).toBe(false)
  })
  asRoot('a log directory owned by another user is refused, and nothing is written in it', async () => {
    const theirs = join(dir(), 'logs')
    mkdirSync(join(theirs, '1'), {recursive: true, mode: 0o755})
    chownSync(theirs, 65534, 65534)
    await expect(
      runStep({step: step('true'), cwd: dir(), env: process.env, log: join(theirs, '1', '1-fetch.log')}),
    ).rejects.toEqual(
      expect.objectContaining({code: 'UNSAFE_PATH', message: expect.stringContaining('owned by uid 65534')}),
    )
    expect(readdirSync(join(theirs, '1'))).toEqual([])
  })
  test('a step writing far more than the log buffer gets all of it into the log and to onOutput', async () => {
    const log = join(dir(), '1-fetch.log')
    let seen = 0
    const size = 32 * 1024 * 1024
    const outcome = await runStep({
      step: step(['head', '-c', String(size), '/dev/zero']),
      cwd: dir(),
      env: process.env,
      log,
      onOutput: chunk => (seen += chunk.length),
    })
    expect(outcome.status).toBe('succeeded')
    expect(statSync(log).size).toBe(size)
    expect(seen).toBe(size)
  })
})
