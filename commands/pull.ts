import {Args, Flags} from '@oclif/core'
import {buildFlag, DcsnapCommand} from '../src/cli/base-command.js'

export default class Pull extends DcsnapCommand {
  static override summary =
    'Copy a replica from another machine (or pool) into a replica here: push, the other way round.'
  static override description = `SRC is a replica that \`dcsnap push\` made ([USER@HOST:]POOL/PATH, holding SRC/proto and SRC/cache); --into names the replica here. Everything \`push\` does applies: a full stream first, then only what is new, matched by guid; the replica here is created readonly and never mounted, never modified and never overwritten; holds on the source snapshots while they are sent; an interrupted pull goes on from its resume token on OpenZFS. Then \`dcsnap resume --from INTO\` goes on with the build here.`
  static override examples = [
    {
      description:
        'Show what copying the replica would send; change nothing (SOURCE may be builder@farm:tank/replicas/os)',
      command: '<%= config.bin %> pull dcsandbox/replica --into dcsandbox/copy --dry-run',
    },
    {
      description: "Copy the replica into another one, as a second machine would copy the build farm's",
      command: '<%= config.bin %> pull dcsandbox/replica --into dcsandbox/copy',
    },
  ]
  static override args = {
    source: Args.string({description: 'The replica to copy: [USER@HOST:]POOL/PATH.', required: true}),
  }
  static override flags = {
    into: Flags.string({description: 'The replica here: POOL/PATH.', required: true, helpValue: 'POOL/PATH'}),
    ...buildFlag,
    all: Flags.boolean({
      description: "Every snapshot on the replica's head line, not one build's.",
      exclusive: ['build'],
    }),
    'dry-run': Flags.boolean({
      char: 'n',
      description: 'Print the streams (and their estimated sizes where ZFS can tell) and change nothing.',
    }),
  }

  async run() {
    const {args, flags} = await this.parse(Pull)
    const {parseEndpoint, transferZfs} = await import('../src/replication/endpoint.js')
    const {replicaSource} = await import('../src/replication/replicate.js')
    const {transferCommand} = await import('../src/cli/transfer.js')
    const source = parseEndpoint(args.source)
    const into = parseEndpoint(flags.into)
    if (into.host !== undefined) this.error('--into names a dataset on this machine (POOL/PATH)', {exit: 2})
    const debug = (line: string) => this.logger.debug(line)
    const zfs = transferZfs(source, into, {debug})
    const ends = {...zfs, sourceDatasets: await replicaSource(zfs.source), root: into.dataset, fromReplica: true}
    return transferCommand(this, ends, flags)
  }
}
