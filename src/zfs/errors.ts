// Maps a failed zfs call to a typed error, keeping zfs's own stderr in the message.
import {DcsnapError, ExitCode} from '../errors.js'

/** What went wrong in a zfs call, as far as its stderr tells. */
export type ZfsErrorKind =
  | 'no-such-dataset'
  | 'exists'
  | 'busy'
  | 'has-clones'
  | 'more-recent-snapshots'
  | 'permission-denied'
  | 'tag-exists'
  | 'no-such-tag'
  | 'invalid-name'
  | 'unsupported'
  | 'unsupported-output'
  | 'killed'
  | 'not-found'
  | 'modified'
  | 'unreachable'
  | 'unknown'

const patterns: Array<[RegExp, ZfsErrorKind]> = [
  [
    /dataset does not exist|no such pool|could not find any snapshots|unable to obtain diffs: no such file/i,
    'no-such-dataset',
  ],
  [/has been modified\s+since most recent snapshot/i, 'modified'],
  [/dataset already exists/i, 'exists'],
  [/tag already exists/i, 'tag-exists'],
  [/no such tag/i, 'no-such-tag'],
  [/dependent clones|clones of previous snapshots exist/i, 'has-clones'],
  [/more recent snapshots/i, 'more-recent-snapshots'],
  [/is busy|being held/i, 'busy'],
  // zfs diff says it in its own words: "The sys_mount privilege or diff delegated permission is needed",
  // "The diff delegated permission is needed in order to create a just-in-time snapshot".
  [
    /permission denied|operation not permitted|insufficient privileges|delegated permission is needed/i,
    'permission-denied',
  ],
  [
    /invalid character|name is too long|invalid (?:dataset|snapshot) name|trailing slash|empty component|multiple '@'/i,
    'invalid-name',
  ],
  [/invalid option|unrecognized command|bad property list|too many arguments|usage:/i, 'unsupported'],
]

const hints: Record<ZfsErrorKind, string> = {
  'no-such-dataset': 'Check the dataset and snapshot names with `dcsnap list` or `zfs list -t all`.',
  exists: 'Choose another name, or destroy the existing snapshot first.',
  busy: 'It is held or in use: `dcsnap release` it, or retry once nothing uses it.',
  'has-clones': 'Destroy or promote the clones first (`zfs list -o name,origin` shows them).',
  'more-recent-snapshots': 'A snapshot appeared after the plan was made; run the command again to see the new plan.',
  'permission-denied':
    'Run as root, delegate with `zfs allow` (docs/delegation.md lists what each command needs), or set DCSNAP_ZFS="sudo -n zfs".',
  'tag-exists': 'The snapshot is already held with that tag.',
  'no-such-tag': 'The snapshot is not held with that tag.',
  'invalid-name': 'Use letters, digits and _ . : - in snapshot names, within 255 bytes in all.',
  unsupported:
    'This ZFS lacks it (OpenZFS and illumos have it); the README\'s "ZFS versions" section says what differs.',
  'unsupported-output':
    "dcsnap does not understand this zfs's output (`zfs version` says which zfs it is): run with --verbose and report it.",
  killed:
    'Something outside dcsnap ended zfs (the OOM killer, an administrator): see `dmesg`, check with `dcsnap list` what it left, then run the command again.',
  'not-found': 'Install ZFS (e.g. `apt-get install zfsutils-linux` or `zfs-fuse`), or set DCSNAP_ZFS.',
  modified:
    'The received copy was changed on its side since the last transfer: `zfs diff` it against its latest snapshot; dcsnap never overwrites it (no `receive -F`).',
  unreachable: 'Check that `ssh HOST zfs version` works (keys, host name, DCSNAP_SSH), then run the command again.',
  unknown: 'Run with DEBUG=dcsnap to see every zfs call.',
}

/** A zfs call that failed; `kind` classifies it and `stderr` is what zfs said. */
export class ZfsError extends DcsnapError {
  readonly kind: ZfsErrorKind
  readonly argv: readonly string[]
  readonly stderr: string

  constructor(
    kind: ZfsErrorKind,
    argv: readonly string[],
    stderr: string,
    exitCode: number = ExitCode.failed,
    message?: string,
  ) {
    const said = firstLines(stderr)
    super(
      `ZFS_${kind.toUpperCase().replaceAll('-', '_')}`,
      message ?? (said || `zfs ${argv.join(' ')} failed`),
      hints[kind],
      exitCode,
      {argv, stderr},
    )
    this.kind = kind
    this.argv = argv
    this.stderr = stderr
  }
}

/** Classifies zfs's stderr into an error kind. */
export function classifyZfsError(stderr: string): ZfsErrorKind {
  for (const [re, kind] of patterns) if (re.test(stderr)) return kind
  return 'unknown'
}

/** Builds the typed error for a failed zfs call. */
export function zfsErrorFor(argv: readonly string[], stderr: string): ZfsError {
  return new ZfsError(classifyZfsError(stderr), argv, stderr)
}

/** The zfs command itself could not be run (exit 127). */
export function zfsNotFound(command: readonly string[], cause: string): ZfsError {
  return new ZfsError(
    'not-found',
    command,
    cause,
    ExitCode.zfsNotFound,
    `cannot run zfs: \`${command.join(' ')}\` was not found (${cause})`,
  )
}

/** zfs was killed by a signal (exit 1: zfs is there, the call did not finish). */
export function zfsKilled(argv: readonly string[], signal: string): ZfsError {
  return new ZfsError(
    'killed',
    argv,
    '',
    ExitCode.failed,
    `zfs was killed by ${signal} while running \`${zfsCommandLine(argv)}\``,
  )
}

/** zfs's output is not what dcsnap asked for (exit 1): `problem` says how, `line` is the offending line when there is one. */
export function zfsUnsupportedOutput(argv: readonly string[], problem: string, line?: string): ZfsError {
  const shown = line === undefined ? '' : `: ${JSON.stringify(line.length > 200 ? `${line.slice(0, 200)}...` : line)}`
  return new ZfsError(
    'unsupported-output',
    argv,
    '',
    ExitCode.failed,
    `cannot read the output of \`${zfsCommandLine(argv)}\`: ${problem}${shown}`,
  )
}

/** `zfs ARGS` as one line for messages (the words are not quoted: it is for reading, never for a shell). */
function zfsCommandLine(argv: readonly string[]): string {
  return ['zfs', ...argv].join(' ')
}

function firstLines(stderr: string): string {
  // zfs puts the error first, then usage or a list; keep what says what went wrong.
  const lines = stderr
    .split('\n')
    .map(l => l.trimEnd())
    .filter(Boolean)
  const usage = lines.findIndex(l => /^usage:/i.test(l))
  const kept = usage >= 0 ? lines.slice(0, Math.max(usage, 1)) : lines
  return kept.slice(0, 6).join('\n')
}

/** The names zfs's stderr says do not exist (`cannot open 'NAME': dataset does not exist`), of those asked. */
export function missingNames(stderr: string, names: readonly string[]): string[] {
  const lines = stderr.split('\n').filter(l => /does not exist|no such pool/.test(l))
  return names.filter(n => lines.some(l => l.includes(`'${n}'`)))
}
