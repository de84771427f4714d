// An OpenSSH server for one test file: 127.0.0.1 on a free high port, a host key and a client key made for it.
import {execa, type ResultPromise} from 'execa'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

/** A running sshd and how to reach it as root. */
export interface TestSshd {
  /** `root@127.0.0.1`. */
  host: string
  /** The value of DCSNAP_SSH that reaches it: port, key, no host key checks, never a prompt. */
  sshCommand: string
  stop(): Promise<void>
}

/** Where sshd is on Debian (package openssh-server). */
export const SSHD = '/usr/sbin/sshd'

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as {port: number}).port
      s.close(() => resolve(port))
    })
  })
}

/** Starts sshd (root logs in with the generated key only) and waits until a command runs through it. */
export async function startSshd(): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'dcsnap-sshd-'))
  mkdirSync('/run/sshd', {recursive: true, mode: 0o755})
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')])
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client_key')])
  await execa('cp', [join(dir, 'client_key.pub'), join(dir, 'authorized_keys')])
  const port = await freePort()
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      `PidFile ${join(dir, 'sshd.pid')}`,
      // HOME is the server's own directory: bash sources ~/.bashrc in every ssh session, and this machine's root has a
      // slow one (pyenv init: 2-3 s per remote call on a busy machine, which the ControlMaster connection cannot save).
      `SetEnv PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=${dir}`,
      '',
    ].join('\n'),
  )
  const daemon: ResultPromise = execa(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], {
    reject: false,
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  const sshCommand = `ssh -p ${port} -i ${join(dir, 'client_key')} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR`
  const host = 'root@127.0.0.1'
  for (let attempt = 0; ; attempt++) {
    const r = await execa('sh', ['-c', `${sshCommand} ${host} -- true`], {reject: false})
    if (r.exitCode === 0) break
    if (attempt >= 50) {
      daemon.kill()
      throw new Error(`sshd on port ${port} did not answer: ${r.stderr}`)
    }
    await sleep(200)
  }
  return {
    host,
    sshCommand,
    async stop() {
      daemon.kill('SIGTERM')
      await daemon
      rmSync(dir, {recursive: true, force: true})
    },
  }
}
