// The log of the attempt a build stopped in travels beside the replica (no checkpoint holds it): its tail, gzipped,
// in one user property of the replica, small enough for any ZFS.
import {gunzipSync, gzipSync} from 'node:zlib'

/** The user property on a replica's cache (or proto) dataset that holds the stopped attempt's log. */
export const STOPPED_LOG_PROPERTY = 'dcsnap:stopped-log'

/** The longest property value written: zfs-fuse's zfs crashes past 8 KiB, and OpenZFS limits values too. */
export const MAX_PROPERTY_CHARS = 4000

/** A stopped attempt's log: the build, the log file's name (`2-compile.log`), and its text (the tail when long). */
export interface StoppedLog {
  build: string
  file: string
  text: string
  /** The text is the log's end only. */
  truncated?: boolean
}

/** BASE64(GZIP(JSON)) of the log, keeping as much of its end as fits in MAX_PROPERTY_CHARS. */
export function encodeStoppedLog(log: StoppedLog): string {
  let text = log.text
  let truncated = log.truncated ?? false
  for (;;) {
    const value = gzipSync(Buffer.from(JSON.stringify({build: log.build, file: log.file, truncated, text}))).toString(
      'base64',
    )
    if (value.length <= MAX_PROPERTY_CHARS || text.length === 0) return value
    // Drop the oldest part, in proportion to how far over the limit it is, at a line break where there is one.
    const cut = text.length - Math.floor(text.length * (MAX_PROPERTY_CHARS / value.length) * 0.95)
    const nl = text.indexOf('\n', cut)
    text = text.slice(nl >= 0 && nl - cut < 200 ? nl + 1 : cut)
    truncated = true
  }
}

/** Reads a value encodeStoppedLog wrote; undefined when it is not one. */
export function decodeStoppedLog(value: string): StoppedLog | undefined {
  try {
    const v = JSON.parse(gunzipSync(Buffer.from(value, 'base64')).toString('utf8')) as Partial<StoppedLog>
    const name = typeof v.file === 'string' ? v.file : ''
    if (
      typeof v.build !== 'string' ||
      !/^[^/\0]+\.log$/.test(name) ||
      name.startsWith('.') ||
      typeof v.text !== 'string'
    )
      return undefined
    return {build: v.build, file: name, text: v.text, truncated: v.truncated === true}
  } catch {
    return undefined
  }
}
