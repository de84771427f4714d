import {assertSnapshotName, checkpointName, parseSnapshotName} from '../../../src/snapshots/names.js'

describe('parseSnapshotName', () => {
  test.each([
    ['dc-1-transfer-ips-install', {kind: 'checkpoint', build: '1', step: 'transfer-ips-install'}],
    ['dc-nightly.2-ba:init', {kind: 'checkpoint', build: 'nightly.2', step: 'ba:init'}],
    ['dc-7', {kind: 'baseline', build: '7'}],
    ['dc-', {kind: 'manual'}],
    ['dc-1-', {kind: 'manual'}],
    ['dc-1--x', {kind: 'manual'}],
    ['before-experiment', {kind: 'manual'}],
    ['DC-1-x', {kind: 'manual'}],
  ])('%s', (name, parsed) => expect(parseSnapshotName(name)).toEqual(parsed))

  test('checkpointName is the inverse', () => {
    expect(parseSnapshotName(checkpointName('3', 'iso'))).toEqual({kind: 'checkpoint', build: '3', step: 'iso'})
    expect(checkpointName('3')).toBe('dc-3')
  })
})

describe('assertSnapshotName', () => {
  test('a full name over 255 bytes is an input error (exit 2)', () => {
    expect(() => assertSnapshotName('tank/dc', 'x'.repeat(250))).toThrow(expect.objectContaining({exitCode: 2, code: 'SNAPSHOT_NAME_TOO_LONG'}))
    expect(() => assertSnapshotName('tank/dc', 'x'.repeat(247))).not.toThrow()
  })
  test('characters ZFS refuses are an input error', () => {
    expect(() => assertSnapshotName('tank/dc', 'a$b')).toThrow(expect.objectContaining({exitCode: 2}))
  })
})
