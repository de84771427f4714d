import {isInside} from '../../src/paths.js'

test.each([
  ['/mnt/proto', '/mnt/proto', true],
  ['/mnt/proto/logs', '/mnt/proto', true],
  ['/mnt/proto/..logs', '/mnt/proto', true],
  ['/mnt/proto/a/../logs', '/mnt/proto', true],
  ['/mnt/proto/../logs', '/mnt/proto', false],
  ['/mnt/proto-old/logs', '/mnt/proto', false],
  ['/mnt/protologs', '/mnt/proto', false],
  ['/mnt', '/mnt/proto', false],
  ['/var/log', '/', true],
  ['/mnt/proto/x', '/mnt/proto/', true],
])('isInside(%j, %j) is %s', (dir, parent, inside) => {
  expect(isInside(dir, parent)).toBe(inside)
})
