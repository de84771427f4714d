// The stopped attempt's log in one property: small enough for any ZFS, its end kept when it is long.
import {describe, expect, test} from '@jest/globals'
import {randomBytes} from 'node:crypto'
import {decodeStoppedLog, encodeStoppedLog, MAX_PROPERTY_CHARS} from '../../../src/replication/stopped-log.js'

describe('encodeStoppedLog', () => {
  test('a short log travels whole', () => {
    const log = {build: 'nightly:42', file: '3-compile.log', text: 'make: *** [all] Error 2\n'}
    expect(decodeStoppedLog(encodeStoppedLog(log))).toEqual({...log, truncated: false})
  })

  test('a long log keeps its end, within the property limit', () => {
    const lines = Array.from({length: 20000}, (_, i) => `line ${i} ${randomBytes(12).toString('hex')}`)
    const value = encodeStoppedLog({build: '1', file: '2-two.log', text: `${lines.join('\n')}\n`})
    expect(value.length).toBeLessThanOrEqual(MAX_PROPERTY_CHARS)
    const back = decodeStoppedLog(value)!
    expect(back.truncated).toBe(true)
    expect(back.text.endsWith(`${lines.at(-1)}\n`)).toBe(true)
    expect(back.text.startsWith('line ')).toBe(true)
  })

  test('anything else reads as no log', () => {
    expect(decodeStoppedLog('not base64 at all!')).toBeUndefined()
    expect(decodeStoppedLog(Buffer.from('{}').toString('base64'))).toBeUndefined()
  })
})
