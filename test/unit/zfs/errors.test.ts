import {classifyZfsError} from '../../../src/zfs/errors.js'
import {fixture} from '../../support/fixtures.js'

describe('classifyZfsError on recorded zfs-fuse errors', () => {
  test.each([
    ['zfs-fuse/err-destroy-tp_proto_dc-1.txt', 'busy'],
    ['zfs-fuse/err-hold-tp_proto_dc-1.txt', 'tag-exists'],
    ['zfs-fuse/err-release-tp_proto_dc-1-build.txt', 'no-such-tag'],
    ['zfs-fuse/err-rollback-tp_proto_dc-1.txt', 'more-recent-snapshots'],
    ['zfs-fuse/err-snapshot-tp_nope_x.txt', 'no-such-dataset'],
    ['zfs-fuse/err-snapshot-tp_proto_dc-1.txt', 'exists'],
  ])('%s is %s', (file, kind) => {
    const f = fixture(file)
    expect(f.exitCode).toBe(1)
    expect(classifyZfsError(f.body)).toBe(kind)
  })

  test('usage errors mean the feature is missing', () => {
    expect(classifyZfsError("invalid option 'p'\nusage:\n\tlist [-rH]")).toBe('unsupported')
  })
})
