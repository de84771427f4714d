import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {parseSendReport, SendReports, sendArgv} from '../../../src/zfs/send.js'
import {repoRoot} from '../../support/paths.js'

// Recorded from OpenZFS 2.3.2 in the test VM: `zfs send -p -v -P -I` of two 12 MB snapshots into a slow reader.
const recorded = readFileSync(join(repoRoot, 'fixtures', 'openzfs-2.3', 'send-vP-incremental.txt'), 'utf8')
  .split('\n')
  .slice(2)
  .filter(l => l !== '')

test('sendArgv asks for reports only when told to', () => {
  expect(sendArgv({snapshot: 'p/a@2', from: 'p/a@1'})).toEqual(['send', '-p', '-I', 'p/a@1', 'p/a@2'])
  expect(sendArgv({snapshot: 'p/a@2'}, {report: true})).toEqual(['send', '-p', '-v', '-P', 'p/a@2'])
})

test('parseSendReport reads every line zfs send -vP printed', () => {
  const reports = recorded.map(parseSendReport)
  expect(reports.every(r => r !== undefined)).toBe(true)
  expect(reports[0]).toEqual({kind: 'snapshot', snapshot: 'px/proto@dc-1-fetch', size: 12613488})
  expect(reports[2]).toEqual({kind: 'total', size: 25226976})
  expect(reports[3]).toEqual({kind: 'progress', snapshot: 'px/proto@dc-1-fetch', bytes: 133432})
  expect(parseSendReport('full\tp/a@1\t42029168')).toEqual({kind: 'snapshot', snapshot: 'p/a@1', size: 42029168})
})

test('parseSendReport leaves other lines alone (errors, a resume token dump)', () => {
  for (const l of [
    "cannot open 'p/a@x': dataset does not exist",
    'size\tlots',
    'resume token contents:',
    '\tobject = 0x1',
    '',
  ])
    expect(parseSendReport(l)).toBeUndefined()
})

test('SendReports adds up the snapshots of an incremental stream, each counted from 0 by zfs', () => {
  const r = new SendReports()
  for (const l of recorded.slice(0, 9)) expect(r.take(l)).toBe(true)
  // dc-1-fetch was sent whole (its size), then 2630528 bytes of dc-1-build.
  expect(r.sent()).toBe(12613488 + 2630528)
  expect(r.total).toBe(25226976)
  expect(r.take('warning: something else')).toBe(false)
})
