import {parseAllow} from '../../../src/zfs/allow.js'
import {ZfsError} from '../../../src/zfs/errors.js'
import {fixture} from '../../support/fixtures.js'

describe('parseAllow (OpenZFS 2.3 `zfs allow DATASET`)', () => {
  test("every kind of grant of the dataset itself, sets first; the parent's grants are not its own", () => {
    expect(parseAllow(fixture('openzfs-2.3/allow.txt').body, 'ta/p')).toEqual([
      ['-s', '@myset', 'receive,send'],
      ['-c', 'rollback'],
      ['-l', '-g', 'staff', 'hold'],
      ['-d', '-u', 'bob', 'release'],
      ['-u', 'nobody', 'create,mount,snapshot'],
      ['-e', '@myset'],
    ])
  })

  test('no grants: nothing', () => {
    expect(parseAllow('', 'ta/p')).toEqual([])
  })

  test('a line of another form is an error naming it, never skipped', () => {
    expect(() =>
      parseAllow('---- Permissions on ta/p ----\nLocal permissions:\n\tsomething odd here now\n', 'ta/p', [
        'allow',
        'ta/p',
      ]),
    ).toThrow(ZfsError)
  })
})
