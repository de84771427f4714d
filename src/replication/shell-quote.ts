// The one place dcsnap builds a shell string: a remote zfs command for ssh, every word quoted for a POSIX shell.

/** Words that need no quotes in any POSIX shell (no globbing, expansion, or word splitting can touch them). */
const BARE = /^[A-Za-z0-9_@%+=:,./-]+$/

/** One word quoted for a POSIX shell: bare when it is safe as it is, else in single quotes ('\'' for a quote). */
export function quoteWord(word: string): string {
  if (word.includes('\0')) throw new TypeError('a shell word cannot hold a NUL byte')
  if (BARE.test(word) && !word.startsWith('=')) return word
  return `'${word.replaceAll("'", `'\\''`)}'`
}

/** A command line for a POSIX shell that runs exactly these words as its argument vector (no assignments, no operators). */
export function shellCommand(words: readonly string[]): string {
  if (words.length === 0) throw new TypeError('a command needs at least one word')
  return words.map(quoteWord).join(' ')
}
