// ESLint for the whole repository (`npm run lint`): @eslint/js's recommended rules, and typescript-eslint's recommended
// rules with type information on the TypeScript (src, commands, test, bench, chaos), each file typed by the tsconfig
// that includes it (projectService). The plain JavaScript (scripts, bin, this file) gets the rules that need no types.
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    // Built, installed or generated (dist, the API report, oclif's manifest), or not dcsnap's code: the fixtures and
    // the examples' own programs.
    ignores: ['dist/', 'node_modules/', 'coverage/', 'api/', 'oclif.manifest.json', 'fixtures/', 'examples/'],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // `const {dropped: _, ...rest} = o` is how a copy without one property is made.
      '@typescript-eslint/no-unused-vars': ['error', {ignoreRestSiblings: true}],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: globals.node,
    },
  },
)
