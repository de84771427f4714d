// The one shell string dcsnap builds: every word reaches the remote program exactly as it was.
import {execFileSync} from 'node:child_process'
import {quoteWord, shellCommand} from '../../../src/replication/shell-quote.js'

/** What a POSIX shell passes to a program for a command line: its argv after the program name. */
function argvThroughShell(line: string): string[] {
  const out = execFileSync('/bin/sh', ['-c', `${line.replace(/^printf /, 'printf ')}`], {encoding: 'utf8'})
  return out.split('\0').slice(0, -1)
}

describe('shellCommand', () => {
  const nasty = [
    'plain',
    'tank/replicas/os@dc-1-fetch',
    'mountpoint=none',
    '',
    ' ',
    "it's",
    '"double"',
    '$HOME',
    '`id`',
    '$(id)',
    'a;b',
    'a|b&c',
    '*',
    '~',
    '-n',
    '=x',
    'back\\slash',
    'new\nline',
    'tab\there',
    "'''",
    'ünïcode',
    '#comment',
    '{a,b}',
  ]

  test('every word arrives unchanged through /bin/sh', () => {
    const line = shellCommand(['printf', '%s\\0', ...nasty])
    expect(argvThroughShell(line)).toEqual(nasty)
  })

  test('safe words stay bare, the rest are single-quoted', () => {
    expect(quoteWord('tank/rep@dc-1')).toBe('tank/rep@dc-1')
    expect(quoteWord('LC_ALL=C')).toBe('LC_ALL=C')
    expect(quoteWord('')).toBe("''")
    expect(quoteWord("it's")).toBe(`'it'\\''s'`)
    expect(quoteWord('=x')).toBe("'=x'")
  })

  test('refuses what a shell cannot carry', () => {
    expect(() => quoteWord('a\0b')).toThrow(/NUL/)
    expect(() => shellCommand([])).toThrow(/at least one word/)
  })
})
