#!/usr/bin/env node
// The dcsnap command: one bundle holds oclif and the commands (scripts/bundle.js); oclif.manifest.json lists them.
import {execute} from '../dist/cli/dcsnap.js'

await execute({dir: import.meta.url})
