import {classifyZfsError, missingNames} from '../../../src/zfs/errors.js'
import {fixture} from '../../support/fixtures.js'

describe('classifyZfsError on recorded errors', () => {
  test.each([
    ['zfs-fuse/err-destroy-held.txt', 'busy'],
    ['zfs-fuse/err-hold-tag-exists.txt', 'tag-exists'],
    ['zfs-fuse/err-release-no-tag.txt', 'no-such-tag'],
    ['zfs-fuse/err-rollback-not-latest.txt', 'more-recent-snapshots'],
    ['zfs-fuse/err-snapshot-missing-dataset.txt', 'no-such-dataset'],
    ['zfs-fuse/err-snapshot-exists.txt', 'exists'],
    ['openzfs-2.3/err-destroy-held.txt', 'busy'],
    ['openzfs-2.3/err-destroy-has-clone.txt', 'has-clones'],
    ['openzfs-2.3/err-rollback-not-latest.txt', 'more-recent-snapshots'],
    ['openzfs-2.3/err-rollback-r-clone.txt', 'has-clones'],
    ['openzfs-2.3/err-rollback-r-held.txt', 'busy'],
    ['openzfs-2.3/err-rename-exists.txt', 'exists'],
    ['openzfs-2.3/err-rename-missing.txt', 'no-such-dataset'],
    ['openzfs-2.3/err-snapshot-exists.txt', 'exists'],
    ['openzfs-2.3/err-snapshot-missing-dataset.txt', 'no-such-dataset'],
    ['openzfs-2.3/err-snapshot-multi-one-exists.txt', 'exists'],
    ['openzfs-2.3/err-diff-missing.txt', 'no-such-dataset'],
    // zfs run by a user without the delegated permission (zfs allow)
    ['openzfs-2.3/err-perm-snapshot.txt', 'permission-denied'],
    ['openzfs-2.3/err-perm-snapshot-userprop.txt', 'permission-denied'],
    ['openzfs-2.3/err-perm-rollback.txt', 'permission-denied'],
    ['openzfs-2.3/err-perm-destroy-mount.txt', 'permission-denied'],
    ['openzfs-2.3/err-perm-rename-mount-create.txt', 'permission-denied'],
    ['openzfs-2.3/err-perm-hold.txt', 'permission-denied'],
    ['openzfs-2.3/err-perm-release.txt', 'permission-denied'],
    ['openzfs-2.3/err-perm-diff.txt', 'permission-denied'],
    ['openzfs-2.3/err-perm-diff-live.txt', 'permission-denied'],
  ])('%s is %s', (file, kind) => {
    const f = fixture(file)
    expect(f.exitCode).toBeGreaterThan(0)
    expect(classifyZfsError(f.stderr)).toBe(kind)
  })

  test('usage errors mean the feature is missing', () => {
    expect(classifyZfsError("invalid option 'p'\nusage:\n\tlist [-rH]")).toBe('unsupported')
  })
})

test('missingNames: the names asked for that stderr says do not exist, and no others', () => {
  const stderr =
    "cannot open 'p/proto.dclines': dataset does not exist\ncannot open 'q/x': no such pool\ncannot open 'p/other': permission denied\n"
  expect(missingNames(stderr, ['p/proto', 'p/proto.dclines', 'q/x', 'p/other'])).toEqual(['p/proto.dclines', 'q/x'])
  expect(missingNames('', ['p/proto'])).toEqual([])
})
