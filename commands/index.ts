// Every command, for oclif's explicit command discovery: the CLI is one bundle (scripts/bundle.js) that starts fast.
import Build from './build.js'
import Destroy from './destroy.js'
import Diff from './diff.js'
import Hold from './hold.js'
import List from './list.js'
import Log from './log.js'
import Prune from './prune.js'
import Pull from './pull.js'
import Push from './push.js'
import Release from './release.js'
import Rename from './rename.js'
import Resume from './resume.js'
import Rollback from './rollback.js'
import SandboxCreate from './sandbox/create.js'
import SandboxDestroy from './sandbox/destroy.js'
import Snapshot from './snapshot.js'
import Status from './status.js'
import Stop from './stop.js'
import Why from './why.js'

export {execute} from '@oclif/core'

/** Command ids to classes. */
export const COMMANDS = {
  build: Build,
  destroy: Destroy,
  diff: Diff,
  hold: Hold,
  list: List,
  log: Log,
  prune: Prune,
  pull: Pull,
  push: Push,
  release: Release,
  rename: Rename,
  resume: Resume,
  rollback: Rollback,
  'sandbox:create': SandboxCreate,
  'sandbox:destroy': SandboxDestroy,
  snapshot: Snapshot,
  status: Status,
  stop: Stop,
  why: Why,
}
