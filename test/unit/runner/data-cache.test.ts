import {mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {tmpDataCache} from '../../../src/runner/data-cache.js'
import {tempDirPerTest} from '../../support/temp-dir.js'

const dir = tempDirPerTest('dcsnap-datacache-')

describe('tmpDataCache', () => {
  test('the cache is a fresh 0700 dir; kept copies go to a 0700 dir it creates and survive dispose', async () => {
    const keep = join(dir(), 'logs', '1', 'cache-copies')
    const cache = await tmpDataCache({keepCopiesIn: keep})
    try {
      expect(statSync(cache.dir).mode & 0o7777).toBe(0o700)
      expect(statSync(keep).mode & 0o7777).toBe(0o700)
      writeFileSync(join(cache.dir, 'state'), 'x')
      await cache.checkpoint('dc-1-a')
      expect(await cache.canRestore('dc-1-a')).toBe(true)
    } finally {
      await cache.dispose()
    }
    expect(readdirSync(keep)).toEqual(['dc-1-a'])
  })
  test('refuses kept copies in a planted symlink, copying nothing into its target', async () => {
    mkdirSync(join(dir(), 'elsewhere'))
    symlinkSync(join(dir(), 'elsewhere'), join(dir(), 'cache-copies'))
    await expect(tmpDataCache({keepCopiesIn: join(dir(), 'cache-copies')})).rejects.toEqual(
      expect.objectContaining({code: 'UNSAFE_PATH'}),
    )
    expect(readdirSync(join(dir(), 'elsewhere'))).toEqual([])
  })
})
