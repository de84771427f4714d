import {Flags} from '@oclif/core'
import {DcsnapCommand} from '../../src/cli/base-command.js'

export default class SandboxDestroy extends DcsnapCommand {
  static override summary = 'Destroy a pool made by `dcsnap sandbox create`, and its file.'
  static override description =
    'Destroys only a pool that `dcsnap sandbox create` made in --dir (it leaves a sandbox.json there), with every snapshot on it.'
  static override examples = [
    {description: 'Destroy the sandbox pool and its file', command: '<%= config.bin %> sandbox destroy'},
    {description: 'The same, reporting as JSON', command: '<%= config.bin %> sandbox destroy --json'},
  ]
  static override flags = {
    pool: Flags.string({description: 'Pool name.', default: 'dcsandbox', env: 'DCSNAP_SANDBOX_POOL'}),
    dir: Flags.string({description: 'Directory given to `sandbox create` [default: /var/tmp/dcsnap-sandbox/POOL].'}),
  }

  async run() {
    const {flags} = await this.parse(SandboxDestroy)
    const {destroySandbox} = await import('../../src/sandbox.js')
    const s = await destroySandbox({pool: flags.pool, dir: flags.dir, logger: this.logger})
    if (!this.jsonEnabled()) this.log(`destroyed pool ${s.pool} and ${s.file}`)
    return {pool: s.pool, destroyed: true}
  }
}
