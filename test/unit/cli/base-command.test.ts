import {expect} from '@jest/globals'
import {reportOf} from '../../../src/cli/base-command.js'

test('Ctrl-C at a prompt (readline rejects with AbortError) is a refusal, exit 3, not a dcsnap bug', () => {
  const abort = Object.assign(new Error('The operation was aborted'), {name: 'AbortError', code: 'ABORT_ERR'})
  expect(reportOf(abort, 'rollback')).toMatchObject({
    code: 'NOT_CONFIRMED',
    exitCode: 3,
    message: expect.stringMatching(/nothing was changed/),
  })
})

test('an unexpected error is still INTERNAL', () => {
  expect(reportOf(new TypeError('x is undefined'), 'list')).toMatchObject({code: 'INTERNAL', exitCode: 1})
})
