import {expect} from '@jest/globals'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {MAX_MANIFEST_BYTES, readManifestSource} from '../../../src/manifest/source.js'

const dir = mkdtempSync(join(tmpdir(), 'dcsnap-source-'))

test('a manifest over the size limit is refused before it is parsed', async () => {
  const file = join(dir, 'big.yaml')
  writeFileSync(file, `# ${'x'.repeat(MAX_MANIFEST_BYTES)}\n`)
  await expect(readManifestSource(file)).rejects.toMatchObject({
    exitCode: 2,
    message: expect.stringMatching(/big\.yaml:1:1: the manifest is over 256 KiB/),
  })
})

test('bytes that are not UTF-8 are reported where they are', async () => {
  const file = join(dir, 'latin1.yaml')
  writeFileSync(file, Buffer.concat([Buffer.from('version: 1\nname: caf'), Buffer.from([0xe9]), Buffer.from('\n')]))
  await expect(readManifestSource(file)).rejects.toMatchObject({
    exitCode: 2,
    message: expect.stringMatching(/latin1\.yaml:2:10: the manifest is not valid UTF-8/),
  })
})

test('a missing file or a directory is exit 2 without a position', async () => {
  await expect(readManifestSource(join(dir, 'nope.yaml'))).rejects.toMatchObject({
    exitCode: 2,
    code: 'MANIFEST_NOT_FOUND',
    message: expect.stringMatching(/no such file/),
  })
  await expect(readManifestSource(dir)).rejects.toMatchObject({
    exitCode: 2,
    code: 'MANIFEST_NOT_FOUND',
    message: expect.stringMatching(/directory/),
  })
})
