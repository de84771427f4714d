// Where a replica lives: `[USER@HOST:]POOL/PATH`.
import {describe, expect, test} from '@jest/globals'
import {describeEndpoint, parseEndpoint} from '../../../src/replication/endpoint.js'
import {sshInvocation} from '../../../src/replication/ssh.js'

describe('parseEndpoint', () => {
  test('a local dataset, a host, a user at a host', () => {
    expect(parseEndpoint('backup/livecd')).toEqual({host: undefined, dataset: 'backup/livecd'})
    expect(parseEndpoint('farm:tank/rep')).toEqual({host: 'farm', dataset: 'tank/rep'})
    expect(parseEndpoint('builder@farm.example:tank/rep/os')).toEqual({
      host: 'builder@farm.example',
      dataset: 'tank/rep/os',
    })
    expect(describeEndpoint(parseEndpoint('farm:tank/rep'))).toBe('farm:tank/rep')
  })

  test('a colon after the first slash is part of the dataset name', () => {
    expect(parseEndpoint('tank/a:b')).toEqual({host: undefined, dataset: 'tank/a:b'})
  })

  test('a pool root, an empty path, or a host that ssh would read as an option are usage errors', () => {
    for (const bad of [
      'tank',
      'farm:tank',
      'farm:',
      '-oProxyCommand=x:tank/rep',
      'tank//rep',
      'tank/rep/',
      'a b:tank/rep',
    ]) {
      expect(() => parseEndpoint(bad)).toThrow(expect.objectContaining({code: 'BAD_ENDPOINT', exitCode: 2}))
    }
  })
})

describe('sshInvocation', () => {
  test('ssh options from DCSNAP_SSH, the host, then one quoted command', () => {
    const inv = sshInvocation('u@h', ['receive', '-s', 'tank/rep/proto'], {DCSNAP_SSH: 'ssh -p 2222'})
    expect(inv).toEqual({file: 'ssh', args: ['-p', '2222', 'u@h', '--', 'env LC_ALL=C zfs receive -s tank/rep/proto']})
    expect(sshInvocation('h', ['list'], {DCSNAP_REMOTE_ZFS: 'sudo -n zfs'}).args.at(-1)).toBe(
      'env LC_ALL=C sudo -n zfs list',
    )
  })

  test('one shared connection per process (ControlMaster), unless the ssh command sets its own or is not OpenSSH', () => {
    const shared = sshInvocation('h', ['list'], {}, '/run/x').args
    expect(shared).toEqual(expect.arrayContaining(['ControlMaster=auto', 'ControlPath=/run/x/%C', 'ControlPersist=10']))
    expect(sshInvocation('h', ['list'], {DCSNAP_SSH: 'ssh -o ControlPath=/mine'}, '/run/x').args).not.toContain(
      'ControlMaster=auto',
    )
    expect(sshInvocation('h', ['list'], {DCSNAP_SSH: 'my-tunnel --fast'}, '/run/x').args).toEqual([
      '--fast',
      'h',
      '--',
      'env LC_ALL=C zfs list',
    ])
  })
})
