// The machine where builds run. The runner writes into the datasets' mountpoints and its steps run where they are
// mounted: on zfs-fuse that is this machine; on OpenZFS it is the test VM, so there dcsnap itself runs in the VM, as on
// a user's machine (node, flock and the built CLI are copied in once per VM boot; test/vm/README.md).
import {execa, execaSync} from 'execa'
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, join} from 'node:path'
import {dcsnap as dcsnapHere, jsonOf} from './cli.js'
import {repoRoot} from './paths.js'
import {host, type Result} from './zfs-host.js'

const inVm = host.tier === 'openzfs'
const vm = (name: string) => join(repoRoot, 'test', 'vm', name)
/** The VM's PATH with the copied node and flock first. */
const VM_PATH = '/usr/local/bin:/sbin:/usr/sbin:/bin:/usr/bin'
/** What the built CLI needs at run time (package.json "files", and the plugin oclif reads at start-up). */
const SHIPPED = ['package.json', 'bin', 'dist/cli', 'dist/src', 'schemas', 'oclif.manifest.json']
const PLUGIN = 'node_modules/@oclif/plugin-autocomplete'

async function inVmOk(args: string[], input?: string): Promise<string> {
  const r = await execa(vm('exec'), input === undefined ? args : ['--stdin', ...args], {
    reject: false,
    stripFinalNewline: false,
    input,
    stdin: input === undefined ? 'ignore' : undefined,
    encoding: 'utf8',
  })
  if (r.exitCode !== 0) throw new Error(`in the VM: ${args.join(' ')} failed (${r.exitCode}): ${r.stderr}`)
  return r.stdout
}

/** Whether `test ARGS` succeeds in the VM. */
async function vmTest(...args: string[]): Promise<boolean> {
  return (await execa(vm('exec'), ['test', ...args], {reject: false, stdin: 'ignore'})).exitCode === 0
}

/** Streams a tar of paths under dir (GNU tar here) into `sh -c script sh ...args` in the VM (busybox tar there). */
async function sendTar(dir: string, paths: string[], script: string, ...args: string[]): Promise<void> {
  // Not buffered: node and its libraries are over 100 MB.
  const tar = execa('tar', ['-C', dir, '-cf', '-', ...paths], {stdin: 'ignore', buffer: false})
  const r = await tar.pipe(vm('exec'), ['--stdin', 'sh', '-c', script, 'sh', ...args], {
    reject: false,
    encoding: 'utf8',
  })
  if (r.exitCode !== 0)
    throw new Error(`in the VM: unpacking ${paths.join(' ')} from ${dir} failed (${r.exitCode}): ${r.stderr}`)
}

/** Unpacks a tar of paths under dir into a fresh directory there and renames it to dest: dest, once there, is whole. */
async function unpackAs(dest: string, dir: string, paths: string[]): Promise<void> {
  const tmp = `${dest}.tmp-${process.pid}-${Date.now()}`
  // When another test process renamed its copy first, busybox mv moves ours into it: removed again.
  const script = 'mkdir -p "$1" && tar -C "$1" -xf - && mv "$1" "$2" && rm -rf "$2/${1##*/}"'
  await sendTar(dir, paths, script, tmp, dest)
}

/** This machine's node and flock with every library they load (ld.so too: the VM's libraries do not matter). */
function programFiles(): string[] {
  const libs = new Set<string>()
  for (const prog of [process.execPath, '/usr/bin/flock']) {
    const ldd = String(execaSync('ldd', [prog]).stdout)
    for (const m of ldd.matchAll(/(\/\S+\.so[.\d]*)/g)) libs.add(m[1])
  }
  return [...libs]
}

let installed: Promise<string> | undefined

/**
 * A test's time limit where the builds run. In the VM each dcsnap command takes 2-5 s (node under TCG, ~20x slower),
 * twice that on a busy machine, so a test of a dozen commands gets more than jest's 120 s there.
 */
export const BUILD_TEST_TIMEOUT = inVm ? 360_000 : 120_000

/** Gets the machine ready: copies node, flock and the CLI into the VM, once per content (~15 s; for a beforeAll). */
export async function ready(): Promise<void> {
  if (inVm) await install()
}

/** Copies node, flock and the built CLI into the VM (once per content); returns the CLI's bin/run.js there. */
function install(): Promise<string> {
  installed ??= (async () => {
    const libs = programFiles()
    const ldso = libs.find(l => l.includes('/ld-linux'))
    if (!ldso) throw new Error(`no ld.so among node's libraries: ${libs.join(' ')}`)
    const progDir = `/opt/node-${process.version}`
    if (!(await vmTest('-x', `${progDir}/bin/node`))) {
      const staging = mkdtempSync(join(tmpdir(), 'dcsnap-vm-node-'))
      try {
        mkdirSync(join(staging, 'bin'))
        mkdirSync(join(staging, 'lib'))
        await execa('cp', [process.execPath, '/usr/bin/flock', join(staging, 'bin')])
        await execa('cp', ['-L', ...libs, join(staging, 'lib')])
        await unpackAs(progDir, staging, ['bin', 'lib'])
      } finally {
        rmSync(staging, {recursive: true, force: true})
      }
    }
    // Wrappers on the VM's PATH: each runs its program through the copied ld.so and libraries.
    for (const prog of ['node', 'flock']) {
      const wrapper = `#!/bin/sh\nexec ${progDir}/lib/${basename(ldso)} --library-path ${progDir}/lib ${progDir}/bin/${prog} "$@"\n`
      const at = `/usr/local/bin/${prog}`
      await inVmOk(
        ['sh', '-c', 'mkdir -p "${1%/*}" && cat > "$1.$$" && chmod +x "$1.$$" && mv "$1.$$" "$1"', 'sh', at],
        wrapper,
      )
    }
    const hash = createHash('sha256')
    for (const file of shippedFiles()) hash.update(file).update(readFileSync(join(repoRoot, file)))
    const cli = `/opt/dcsnap-${hash.digest('hex').slice(0, 16)}`
    if (!(await vmTest('-f', `${cli}/bin/run.js`))) await unpackAs(cli, repoRoot, [...SHIPPED, PLUGIN])
    return `${cli}/bin/run.js`
  })()
  return installed
}

/** Every file the CLI ships, relative to the repository. */
function shippedFiles(): string[] {
  const out: string[] = []
  const walk = (rel: string): void => {
    const st = statSync(join(repoRoot, rel))
    if (!st.isDirectory()) return void out.push(rel)
    for (const e of readdirSync(join(repoRoot, rel))) walk(join(rel, e))
  }
  for (const p of SHIPPED) walk(p)
  return out.sort()
}

// A capabilities cache of this test file's own in the VM, as cli.ts gives dcsnap here.
const vmCacheHome = `/tmp/dcsnap-cache-${process.pid}-${Date.now()}`

/** Runs `dcsnap ...args` where the builds run; cwd is a directory there (see put). */
export async function dcsnap(args: string[], opts: {cwd?: string; env?: Record<string, string>} = {}): Promise<Result> {
  if (!inVm) return dcsnapHere(args, opts)
  const cli = await install()
  const env = Object.entries({PATH: VM_PATH, XDG_CACHE_HOME: vmCacheHome, NO_COLOR: '1', ...opts.env}).map(
    ([k, v]) => `${k}=${v}`,
  )
  const r = await execa(
    vm('exec'),
    ['sh', '-c', 'cd "$1" && shift && exec env "$@"', 'sh', opts.cwd ?? '/', ...env, 'node', cli, ...args],
    {reject: false, stdin: 'ignore', encoding: 'utf8'},
  )
  return {stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? 1}
}

/** Runs dcsnap with --json where the builds run and parses stdout as T. */
export async function dcsnapJson<T = unknown>(
  args: string[],
  opts: Parameters<typeof dcsnap>[1] = {},
): Promise<{exitCode: number; json: T; stderr: string}> {
  return jsonOf<T>(await dcsnap([...args, '--json'], opts))
}

/** Copies a directory made on this machine to the same path where the builds run (nothing to do on zfs-fuse). */
export async function put(dir: string): Promise<void> {
  if (!inVm) return
  await sendTar(dir, ['.'], 'mkdir -p "$1" && tar -C "$1" -xf -', dir)
}

/** Writes a file where the builds run. */
export async function writeThere(file: string, content: string): Promise<void> {
  if (!inVm) return writeFileSync(file, content)
  await inVmOk(['sh', '-c', 'mkdir -p "${1%/*}" && cat > "$1"', 'sh', file], content)
}

/** Reads a file where the builds run. */
export async function readThere(file: string): Promise<string> {
  return inVm ? inVmOk(['cat', file]) : readFileSync(file, 'utf8')
}

/** Whether a path exists where the builds run. */
export async function existsThere(path: string): Promise<boolean> {
  if (!inVm) return existsSync(path)
  return vmTest('-e', path)
}

/** Removes a directory here and where the builds run. */
export async function removeThere(dir: string): Promise<void> {
  rmSync(dir, {recursive: true, force: true})
  if (inVm) await inVmOk(['rm', '-rf', dir])
}
