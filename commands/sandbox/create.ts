import {Flags} from '@oclif/core'
import {DcsnapCommand} from '../../src/cli/base-command.js'

export default class SandboxCreate extends DcsnapCommand {
  static override summary = 'Create a file-backed pool with proto and cache datasets to try dcsnap on.'
  static override description =
    'Makes a sparse file, a pool on it (needs root or a delegated zpool), and the datasets POOL/proto and POOL/cache. Nothing outside --dir is touched. Remove it all with `dcsnap sandbox destroy`.'
  static override examples = [
    {
      description:
        'A 512 MiB pool dcsandbox on /var/tmp/dcsnap-sandbox/dcsandbox/vdev.img, with dcsandbox/proto and dcsandbox/cache',
      command: '<%= config.bin %> sandbox create',
    },
    {description: 'A bigger one', command: '<%= config.bin %> sandbox create --size 1G'},
  ]
  static override flags = {
    pool: Flags.string({description: 'Pool name.', default: 'dcsandbox', env: 'DCSNAP_SANDBOX_POOL'}),
    dir: Flags.string({
      description: 'Directory for the pool file and mountpoint [default: /var/tmp/dcsnap-sandbox/POOL].',
    }),
    size: Flags.string({description: 'Size of the pool file.', default: '512M'}),
  }

  async run() {
    const {flags} = await this.parse(SandboxCreate)
    const {createSandbox} = await import('../../src/sandbox.js')
    const s = await createSandbox({pool: flags.pool, dir: flags.dir, size: flags.size, logger: this.logger})
    if (!this.jsonEnabled()) {
      this.log(`pool ${s.pool} on ${s.file}, mounted at ${s.mountpoint}`)
      this.log(`datasets: ${s.proto} (proto area), ${s.cache} (data cache)`)
      this.log(`try: dcsnap snapshot first -d ${s.proto} -d ${s.cache}`)
    }
    return s
  }
}
