import {fuzzManifests} from '../../chaos/fuzz-manifests.js'

test('30 fuzzed manifests: no dcsnap bug, no stack trace, invalid ones exit 2 at file:line:col and change nothing', async () => {
  const r = await fuzzManifests({count: 30, seed: 7})
  expect(r.violations).toEqual([])
  expect(r.trials).toBe(30)
}, 300_000)
