import {tagProcess, transferTag} from '../../../src/replication/transfer-holds.js'

test("a transfer's tag names its process, and only such tags name one", () => {
  const tag = transferTag(4242)
  expect(tag).toMatch(/^dcsnap-send-4242-[0-9a-f]{6}$/)
  expect(tagProcess(tag)).toBe(4242)
  expect(transferTag()).not.toBe(transferTag())
  for (const other of [
    'keep',
    'dcsnap-send-12',
    'dcsnap-send-x-abcdef',
    'dcsnap-send-1-abcdefg',
    'my-dcsnap-send-1-abcdef',
  ])
    expect(tagProcess(other)).toBeUndefined()
})
