import {expect} from '@jest/globals'
import {
  assertBuildId,
  assertManualName,
  assertSnapshotName,
  checkpointName,
  parseSnapshotName,
} from '../../../src/snapshots/names.js'

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
    expect(() => assertSnapshotName('tank/dc', 'x'.repeat(250))).toThrow(
      expect.objectContaining({exitCode: 2, code: 'SNAPSHOT_NAME_TOO_LONG'}),
    )
    expect(() => assertSnapshotName('tank/dc', 'x'.repeat(247))).not.toThrow()
  })
  test('characters ZFS refuses are an input error', () => {
    expect(() => assertSnapshotName('tank/dc', 'a$b')).toThrow(expect.objectContaining({exitCode: 2}))
  })
})

describe('assertBuildId', () => {
  test.each(['1', 'nightly.42', 'a:b', 'x_y', 'a..b', 'b'.repeat(64)])('%s is valid', id =>
    expect(() => assertBuildId(id)).not.toThrow(),
  )
  test.each(['', '.', '..', '.x', '...', 'a-b', 'a/b', 'b'.repeat(65), 'é'])('%j is invalid (exit 2)', id => {
    expect(() => assertBuildId(id)).toThrow(expect.objectContaining({exitCode: 2, code: 'INVALID_BUILD_ID'}))
  })
  test('a dc- name with a build id starting with a dot is manual', () => {
    expect(parseSnapshotName('dc-..-x')).toEqual({kind: 'manual'})
  })
})

describe('assertManualName', () => {
  test.each(['dc-1', 'dc-1-x', 'dc-', 'dc-..', 'dc-a b', 'dc-1--x'])('%j is reserved for checkpoints', name => {
    expect(() => assertManualName(name)).toThrow(expect.objectContaining({exitCode: 2, code: 'RESERVED_NAME'}))
  })
  test.each(['before-experiment', 'DC-1', 'xdc-1', 'dc'])('%j may be a manual snapshot', name =>
    expect(() => assertManualName(name)).not.toThrow(),
  )
})
