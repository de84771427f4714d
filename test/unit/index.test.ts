// The library's public surface: every export is documented, and none changes without the API report changing too.
import {execFile} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {promisify} from 'node:util'
import ts from 'typescript'
import {repoRoot} from '../support/paths.js'

test('every export of src/index.ts has a one-line /** */ doc comment', () => {
  const file = join(repoRoot, 'src', 'index.ts')
  const text = readFileSync(file, 'utf8')
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true)
  const exports = source.statements
    .filter(ts.isExportDeclaration)
    .flatMap(d => (d.exportClause && ts.isNamedExports(d.exportClause) ? [...d.exportClause.elements] : []))
  expect(exports.length).toBeGreaterThan(50)
  const undocumented = exports.filter(e => {
    const comments = ts.getLeadingCommentRanges(text, e.pos) ?? []
    const doc = comments.at(-1) && text.slice(comments.at(-1)!.pos, comments.at(-1)!.end)
    return !doc || !/^\/\*\* .+ \*\/$/.test(doc)
  })
  expect(undocumented.map(e => e.name.text)).toEqual([])
})

test('the API report (api/dcsnap.api.d.ts) matches the build: run `npm run api` after changing the exports on purpose', async () => {
  await expect(
    promisify(execFile)(process.execPath, [join(repoRoot, 'scripts', 'api-report.js'), '--check'], {cwd: repoRoot}),
  ).resolves.toBeDefined()
})
