#!/usr/bin/env node
// Compiles schemas/*.schema.json ahead of time into standalone ajv validators (dist/src/manifest/manifest-validator.js),
// so the CLI never compiles a schema at start-up.
import {readFile, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import Ajv2020 from 'ajv/dist/2020.js'
import standaloneCode from 'ajv/dist/standalone/index.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const schema = JSON.parse(await readFile(join(root, 'schemas', 'manifest.schema.json'), 'utf8'))
const ajv = new Ajv2020.default({allErrors: true, strict: true, allowUnionTypes: true, code: {source: true, esm: true}})
const validate = ajv.compile(schema)
await writeFile(join(root, 'dist', 'src', 'manifest', 'manifest-validator.js'), standaloneCode.default(ajv, validate))
await writeFile(
  join(root, 'dist', 'src', 'manifest', 'manifest-validator.d.ts'),
  await readFile(join(root, 'src', 'manifest', 'manifest-validator.d.ts')),
)
