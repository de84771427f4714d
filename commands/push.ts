import {Args, Flags} from '@oclif/core'
import {buildFlag, DcsnapCommand, targetFlags} from '../src/cli/base-command.js'

export default class Push extends DcsnapCommand {
  static override summary =
    "Send a build's checkpoints to a replica, here or on another machine (zfs send/receive over ssh)."
  static override description = `Sends the snapshots of the head's line up to the build's newest (default: the latest build; --all: every snapshot on the head's line) of both build datasets into a replica: DEST/proto and DEST/cache, created readonly and never mounted. The first push sends a full stream, later ones only what is new (an incremental from the newest snapshot both have, matched by guid). A replica is never modified on its side and never overwritten (no \`zfs receive -F\`): one that has snapshots of its own, or was changed, is refused (exit 3), saying what differs. When the source's head moved back (a rollback, resume or new build kept what followed on a line), the replica's head moves back the same way first, keeping what followed on a kept line of its own. While a stream runs, the snapshots it starts and ends at are held (prune cannot take them). On OpenZFS an interrupted push goes on from the receive's resume token the next time. A remote DEST runs zfs there through the system's ssh (your ssh config applies; DCSNAP_SSH replaces the ssh command, DCSNAP_REMOTE_ZFS the zfs command there). On the other machine, \`dcsnap resume --from DEST\` goes on with the build from the replica.`
  static override examples = [
    {
      description: 'Show the streams a push of the latest build would send, and their sizes; send nothing',
      command: '<%= config.bin %> push dcsandbox/replica --dry-run',
    },
    {
      description:
        'Send the latest build to a replica in the sandbox pool (builder@farm:tank/replicas/os: to another machine, over ssh)',
      command: '<%= config.bin %> push dcsandbox/replica',
    },
  ]
  static override args = {
    destination: Args.string({description: 'The replica: [USER@HOST:]POOL/PATH.', required: true}),
  }
  static override flags = {
    ...targetFlags,
    ...buildFlag,
    all: Flags.boolean({description: "Every snapshot on the head's line, not one build's.", exclusive: ['build']}),
    'dry-run': Flags.boolean({
      char: 'n',
      description: 'Print the streams (and their estimated sizes where ZFS can tell) and change nothing.',
    }),
  }

  async run() {
    const {args, flags} = await this.parse(Push)
    const {resolveBuildTarget} = await import('../src/targets.js')
    const {parseEndpoint, transferZfs} = await import('../src/replication/endpoint.js')
    const {transferCommand} = await import('../src/cli/transfer.js')
    const destination = parseEndpoint(args.destination)
    const target = await resolveBuildTarget({manifest: flags.manifest, datasets: flags.dataset})
    const debug = (line: string) => this.logger.debug(line)
    const zfs = transferZfs({dataset: target.datasets[0]}, destination, {debug})
    const ends = {...zfs, sourceDatasets: target.datasets, root: destination.dataset}
    return transferCommand(this, ends, flags)
  }
}
