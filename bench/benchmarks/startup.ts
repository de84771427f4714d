// Start-up: `dcsnap --version` and `dcsnap list --help` against `node -e 0` (no ZFS involved).
import type {BenchContext} from '../context.js'
import {dcsnapCommand} from '../dcsnap.js'
import {alternate, commandContender} from '../measure.js'
import {ratioRow, type Row} from '../results.js'

/** Times both commands and node's own start-up in alternation. */
export async function startup(ctx: BenchContext): Promise<Row[]> {
  const runs = ctx.runs ?? 15
  const commands = {'dcsnap --version': ['--version'], 'dcsnap list --help': ['list', '--help']}
  const t = await alternate(
    [
      commandContender('node -e 0', {words: [process.execPath, '-e', '0']}),
      ...Object.entries(commands).map(([name, args]) => commandContender(name, dcsnapCommand(ctx.tier, args))),
    ],
    runs,
    2,
  )
  return Object.keys(commands).map(name =>
    ratioRow({
      id: `startup:${name.split(' ').slice(1).join(' ')}`,
      benchmark: `\`${name}\``,
      baseline: '`node -e 0`',
      runs,
      dcsnap: t[name],
      base: t['node -e 0'],
      target: '<= 2.5x',
      max: 2.5,
    }),
  )
}
