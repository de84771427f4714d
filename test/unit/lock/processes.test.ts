import {execa} from 'execa'
import {isAlive, isZombie, sessionMembers} from '../../../src/lock/processes.js'

// A child that exits under a parent that never reaps it is a zombie until the parent ends: where PID 1 does not
// reap either (a container's process_api, a CI runner), a dead step's processes stay zombies for ever.
test('a zombie counts as neither alive nor a member of its session', async () => {
  const parent = execa('setsid', ['sh', '-c', 'sleep 0 & echo $!; exec sleep 30'])
  const zombie = await new Promise<number>(resolve =>
    parent.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))),
  )
  try {
    for (let i = 0; i < 100 && !isZombie(zombie); i++) await new Promise(r => setTimeout(r, 20))
    expect(isZombie(zombie)).toBe(true)
    expect(isAlive(zombie)).toBe(false)
    expect(isAlive(parent.pid!)).toBe(true)
    expect(sessionMembers(parent.pid!)).toEqual([parent.pid])
  } finally {
    parent.kill('SIGKILL')
    await parent.catch(() => {})
  }
})
