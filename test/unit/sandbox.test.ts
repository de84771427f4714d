import {expect} from '@jest/globals'
import {parseSize} from '../../src/sandbox.js'

describe('parseSize', () => {
  test.each([
    ['4096', 4096],
    ['128M', 128 * 1024 ** 2],
    ['512m', 512 * 1024 ** 2],
    ['1G', 1024 ** 3],
    ['1GiB', 1024 ** 3],
    ['2T', 2 * 1024 ** 4],
  ])('%s is %d bytes', (text, bytes) => expect(parseSize(text)).toBe(bytes))
  test.each(['', '0', '-1M', '1.5G', '12X', 'M'])('"%s" is invalid input (exit 2)', text => {
    expect(() => parseSize(text)).toThrow(expect.objectContaining({code: 'INVALID_SIZE', exitCode: 2}))
  })
})
