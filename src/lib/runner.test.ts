import {execFileSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdir, mkdtemp, readFile, rm, symlink, writeFile} from 'node:fs/promises'
import {createServer, type Server} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {SandboxPlan} from './sandbox/index.js'

import {childEnv, isSecretName, killAllRuns, liveRunCount, runCommand, RunQueue, shellInvocation} from './runner.js'

const linux = process.platform === 'linux'
let root: string
let cwd: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hub-runner-'))
  cwd = join(root, 'ws')
  await mkdir(cwd)
})
afterAll(async () => {
  await rm(root, {recursive: true, force: true})
})

const base = {shell: 'bash', timeoutMs: 10_000, outputLimitBytes: 1 << 20, env: childEnv(process.env)}

/** Polls until `check` holds, for up to `ms` (generous: the machine may be busy). */
async function eventually(check: () => boolean, ms = 15_000): Promise<boolean> {
  const deadline = Date.now() + ms
  for (;;) {
    if (check()) return true
    if (Date.now() > deadline) return false
    await new Promise((r) => {
      setTimeout(r, 50)
    })
  }
}

function processes(): string {
  return execFileSync('ps', ['-eo', 'args']).toString()
}

/** How many `sleep <marker>` processes exist (the process itself, not a shell whose script names it). */
function sleepers(m: string): number {
  return processes()
    .split('\n')
    .filter((l) => l.trim() === `sleep ${m}`).length
}

/** A marker unlikely to be anywhere else in the process table: `sleep <marker>` is the survivor. */
function marker(): string {
  return String(900_000 + Math.floor(Math.random() * 99_999))
}

function plan(extra: Partial<SandboxPlan> = {}): SandboxPlan {
  return {kind: 'bwrap', network: true, hide: [], rw: [], workspace: cwd, ...extra}
}

const modes: Array<[string, () => SandboxPlan | undefined]> = [
  ['uncontained', () => undefined],
  ...(linux ? [['in bwrap', () => plan()] as [string, () => SandboxPlan]] : []),
]

describe.each(modes)('runCommand %s', (_name, sandbox) => {
  it('runs in the given directory and captures both streams and the exit code', async () => {
    const r = await runCommand({...base, sandbox: sandbox(), cwd, command: 'pwd; echo err >&2; exit 3'})
    expect(r.exitCode).toBe(3)
    expect(r.stdout.trim()).toBe(cwd)
    expect(r.stderr).toBe('err\n')
    expect(r.timedOut).toBe(false)
    expect(r.durationMs).toBeGreaterThan(0)
    expect(r.spawnError).toBeUndefined()
  })

  it('closes standard input and gives no TTY', async () => {
    const r = await runCommand({
      ...base,
      sandbox: sandbox(),
      cwd,
      command: 'cat; test -t 1 && echo tty || echo notty',
    })
    expect(r.stdout).toBe('notty\n')
    expect(r.exitCode).toBe(0)
  })

  it('keeps output up to the limit and counts the rest', async () => {
    const r = await runCommand({
      ...base,
      sandbox: sandbox(),
      cwd,
      outputLimitBytes: 1000,
      command: String.raw`head -c 500000 /dev/zero | tr "\0" a`,
    })
    expect(r.stdout).toHaveLength(1000)
    expect(r.stdoutBytes).toBe(500_000)
    expect(r.stdoutTruncated).toBe(true)
  })

  it('stops the whole run on timeout, grandchildren included, with exit code 124', async () => {
    const m = marker()
    const r = await runCommand({
      ...base,
      sandbox: sandbox(),
      cwd,
      timeoutMs: 500,
      killGraceMs: 300,
      command: `bash -c 'sleep ${m}' & sleep ${m}`,
    })
    expect(r.timedOut).toBe(true)
    expect(r.exitCode).toBe(124)
    expect(r.durationMs).toBeLessThan(10_000)
    expect(await eventually(() => !processes().includes(`sleep ${m}`))).toBe(true)
  })

  it('sends TERM first, and KILL after the grace period to what ignores it', async () => {
    const polite = await runCommand({
      ...base,
      sandbox: sandbox(),
      cwd,
      timeoutMs: 300,
      killGraceMs: 5000,
      command: `trap 'echo got-term; exit 7' TERM; sleep 30 & wait`,
    })
    expect(polite.stdout).toBe('got-term\n')
    expect(polite.durationMs).toBeLessThan(5000)
    const m = marker()
    const stubborn = await runCommand({
      ...base,
      sandbox: sandbox(),
      cwd,
      timeoutMs: 300,
      killGraceMs: 300,
      command: `trap '' TERM; sleep ${m} & wait`,
    })
    expect(stubborn.exitCode).toBe(124)
    expect(await eventually(() => !processes().includes(`sleep ${m}`))).toBe(true)
  })

  it('stops background jobs the command left behind when it exits', async () => {
    const m = marker()
    const r = await runCommand({
      ...base,
      sandbox: sandbox(),
      cwd,
      killGraceMs: 300,
      command: `(sleep ${m}; echo late) & echo started`,
    })
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toBe('started\n')
    expect(await eventually(() => !processes().includes(`sleep ${m}`))).toBe(true)
  })

  it('samples memory and CPU of a command that runs long enough', async () => {
    const r = await runCommand({...base, sandbox: sandbox(), cwd, command: 'for i in $(seq 1 200000); do :; done'})
    expect(r.peakRssMb).toBeGreaterThan(0)
    expect(r.cpuMs).toBeGreaterThanOrEqual(0)
  })

  it('reports a shell that cannot start as exit 127 with a message', async () => {
    const r = await runCommand({...base, sandbox: sandbox(), cwd, shell: '/nonexistent/shell', command: 'true'})
    expect(r.exitCode).toBe(127)
    expect(r.stderr).toMatch(/could not start|ENOENT|No such file/)
    expect(r.spawnError).toBeTruthy()
  })

  it('stops when its signal aborts, and says interrupted', async () => {
    const ac = new AbortController()
    const running = runCommand({...base, sandbox: sandbox(), cwd, signal: ac.signal, command: 'sleep 30'})
    await eventually(() => liveRunCount() > 0)
    ac.abort()
    const r = await running
    expect(r.interrupted).toBe(true)
    expect(r.durationMs).toBeLessThan(10_000)
  })

  it('is killed, whole, by killAllRuns (the daemon on its way out)', async () => {
    const m = marker()
    const running = runCommand({...base, sandbox: sandbox(), cwd, command: `sleep ${m} & sleep ${m}; echo never`})
    expect(await eventually(() => sleepers(m) === 2)).toBe(true)
    expect(killAllRuns()).toBe(1)
    const r = await running
    expect(r.stdout).toBe('')
    expect(r.durationMs).toBeLessThan(base.timeoutMs)
    expect(await eventually(() => sleepers(m) === 0)).toBe(true)
    expect(liveRunCount()).toBe(0)
  })

  it('is killed by killAllRuns at any moment of its start, with nothing left behind', async () => {
    const m = marker()
    // From right after the spawn to well after bwrap's set-up, half a millisecond further each time,
    // with the event loop blocked as it is when a fatal error unwinds: nothing bwrap reported is read.
    const blocked = new Int32Array(new SharedArrayBuffer(4))
    for (let i = 0; i < 40; i++) {
      const running = runCommand({...base, sandbox: sandbox(), cwd, command: `sleep ${m}`})
      Atomics.wait(blocked, 0, 0, i / 2)
      killAllRuns()
      const r = await running
      expect(r.durationMs).toBeLessThan(base.timeoutMs)
    }

    expect(await eventually(() => sleepers(m) === 0, 2000)).toBe(true)
  })
})

describe.runIf(linux)('runCommand in bwrap: containment', () => {
  it('leaves nothing running after the shell exits, whatever it detached (setsid, double fork, nohup)', async () => {
    const m = marker()
    const r = await runCommand({
      ...base,
      sandbox: plan(),
      cwd,
      command: [
        `(setsid sleep ${m} &)`,
        `(sleep ${m} &) &`,
        `nohup sleep ${m} >/dev/null 2>&1 &`,
        `setsid bash -c 'sleep ${m} & disown' &`,
        `until [ "$(pgrep -xc sleep)" -ge 4 ]; do sleep 0.05; done`,
        'echo ok',
      ].join('\n'),
    })
    expect(r.stdout).toBe('ok\n')
    expect(r.exitCode).toBe(0)
    // The namespace is gone once bwrap has exited: no wait is needed, and none is given.
    expect(sleepers(m)).toBe(0)
  })

  it('hides directories and files as empty, read-only, and keeps the rest of the file system read-only', async () => {
    const secretDir = join(root, 'secret-dir')
    const secretFile = join(root, 'secret.txt')
    await mkdir(secretDir, {recursive: true})
    await writeFile(join(secretDir, 'key'), 'hidden-content-1')
    await writeFile(secretFile, 'hidden-content-2')
    const r = await runCommand({
      ...base,
      sandbox: plan({hide: [secretDir, secretFile]}),
      cwd,
      command: [
        `ls -A ${secretDir}`,
        `cat ${secretDir}/key ${secretFile}`,
        `echo planted > ${secretDir}/key`,
        `echo planted > ${secretFile}`,
        `touch ${root}/outside`,
        'touch /etc/hub-test-outside',
        'echo ws > in-workspace',
        'echo done',
      ].join('; '),
    })
    expect(r.stdout).toBe('done\n')
    expect(r.stderr).toMatch(/Read-only file system/)
    expect(await readFile(join(secretDir, 'key'), 'utf8')).toBe('hidden-content-1')
    expect(await readFile(secretFile, 'utf8')).toBe('hidden-content-2')
    expect(existsSync(join(root, 'outside'))).toBe(false)
    expect(existsSync('/etc/hub-test-outside')).toBe(false)
    expect(await readFile(join(cwd, 'in-workspace'), 'utf8')).toBe('ws\n')
  })

  it('binds the extra read-write paths', async () => {
    const cache = join(root, 'cache')
    await mkdir(cache, {recursive: true})
    const r = await runCommand({...base, sandbox: plan({rw: [cache]}), cwd, command: `echo c > ${cache}/f && echo ok`})
    expect(r.stdout).toBe('ok\n')
    expect(await readFile(join(cache, 'f'), 'utf8')).toBe('c\n')
  })

  it('gives the run its own /tmp, /proc and no capabilities', async () => {
    const hostFile = join(tmpdir(), `hub-host-${marker()}`)
    await writeFile(hostFile, 'host')
    const inside = `/tmp/hub-inside-${marker()}`
    try {
      const r = await runCommand({
        ...base,
        sandbox: plan(),
        cwd,
        command: [
          `test -e ${hostFile} && echo host-tmp-visible`,
          `echo x > ${inside}`,
          String.raw`ls /proc | grep -c '^[0-9]*$'`,
          String.raw`tr "\0" " " < /proc/1/cmdline | cut -c1-5`,
          `test -e /proc/${process.pid}/environ && grep -c . /proc/${process.pid}/cmdline`,
          'grep CapEff /proc/self/status',
        ].join('; '),
      })
      const lines = r.stdout.trim().split('\n')
      expect(lines).not.toContain('host-tmp-visible')
      expect(Number(lines[0])).toBeLessThan(10)
      expect(lines[1]).toBe('bwrap')
      expect(r.stdout).toContain('CapEff:\t0000000000000000')
      expect(existsSync(inside)).toBe(false)
    } finally {
      await rm(hostFile, {force: true})
    }
  })

  it('enters the working directory inside the sandbox: a symlink leads only to what the sandbox shows', async () => {
    // Out of the sandbox's view (the host's /tmp): the run does not start, and nothing is read.
    const secretDir = join(root, 'secret-cwd')
    await mkdir(secretDir, {recursive: true})
    await writeFile(join(secretDir, 'token'), 'do-not-read')
    await symlink(secretDir, join(cwd, 'to-secret'))
    const hidden = await runCommand({...base, sandbox: plan(), cwd: join(cwd, 'to-secret'), command: 'cat token'})
    expect(hidden.exitCode).toBe(127)
    expect(hidden.spawnError).toMatch(/chdir/)
    expect(hidden.stdout + hidden.stderr).not.toContain('do-not-read')
    // Into the read-only rest of the file system: the run is there, and can change nothing.
    await symlink('/usr', join(cwd, 'to-usr'))
    const ro = await runCommand({...base, sandbox: plan(), cwd: join(cwd, 'to-usr'), command: 'pwd -P; touch x'})
    expect(ro.stdout).toBe('/usr\n')
    expect(ro.stderr).toMatch(/Read-only file system/)
  })

  it('reports a sandbox that cannot start the command (a vanished cwd) as exit 127 with bwrap’s reason', async () => {
    const r = await runCommand({...base, sandbox: plan(), cwd: join(cwd, 'no-such-dir'), command: 'echo ran'})
    expect(r.exitCode).toBe(127)
    expect(r.stdout).toBe('')
    expect(r.spawnError).toMatch(/chdir/)
  })

  it('passes only the environment it is given', async () => {
    const r = await runCommand({
      ...base,
      sandbox: plan(),
      cwd,
      env: {PATH: '/usr/bin:/bin', TERM: 'dumb'},
      command: 'env | sort',
    })
    expect(r.stdout.trim().split('\n').sort()).toEqual([
      'PATH=/usr/bin:/bin',
      'PWD=' + cwd,
      'SHLVL=1',
      'TERM=dumb',
      '_=/usr/bin/env',
    ])
  })

  describe('network', () => {
    let server: Server
    let port: number
    let connections = 0
    beforeAll(async () => {
      server = createServer((s) => {
        connections++
        s.end('hello\n')
      })
      await new Promise<void>((r) => {
        server.listen(0, '127.0.0.1', () => r())
      })
      port = (server.address() as {port: number}).port
    })
    afterAll(async () => {
      await new Promise((r) => {
        server.close(r)
      })
    })

    it('is on by default, and off when the plan says so: no socket reaches a listener outside', async () => {
      const connect = `exec 3<>/dev/tcp/127.0.0.1/${port} && head -1 <&3`
      const on = await runCommand({...base, sandbox: plan({network: true}), cwd, command: connect})
      expect(on.stdout).toBe('hello\n')
      const before = connections
      const off = await runCommand({...base, sandbox: plan({network: false}), cwd, command: connect})
      expect(off.exitCode).not.toBe(0)
      expect(off.stdout).toBe('')
      expect(off.stderr).toMatch(/Connection refused|Network is unreachable/)
      expect(connections).toBe(before)
    })
  })
})

describe('childEnv', () => {
  it('passes only the allow-list plus what the operator adds, never secrets or AGENT_HUB_*', () => {
    const env = childEnv(
      {
        PATH: '/bin',
        HOME: '/h',
        AGENT_HUB_TOKEN: 't',
        GITHUB_TOKEN: 'g',
        AWS_SECRET_ACCESS_KEY: 's',
        MY_VAR: 'v',
        DB_PASSWORD: 'p',
        OTHER: 'o',
      },
      ['MY_VAR', 'GITHUB_TOKEN', 'AGENT_HUB_TOKEN', 'DB_PASSWORD'],
    )
    expect(env).toEqual({PATH: '/bin', HOME: '/h', MY_VAR: 'v', TERM: 'dumb'})
  })

  it('recognises secret-like names', () => {
    for (const n of [
      'API_KEY',
      'OPENAI_API_KEY',
      'SSH_AUTH_SOCK',
      'aws_session_token',
      'PASSWORD',
      'AGENT_HUB_ROOT',
      'PRIVATE_KEY_PATH',
    ])
      expect(isSecretName(n)).toBe(true)
    for (const n of ['PATH', 'HOME', 'LANG', 'KEYBOARD_LAYOUT_X'.replace('KEY', 'KY')])
      expect(isSecretName(n)).toBe(false)
  })
})

describe('shellInvocation', () => {
  it('uses -c for POSIX shells and -Command for PowerShell', () => {
    expect(shellInvocation('bash', 'ls')).toEqual({file: 'bash', args: ['-c', 'ls']})
    expect(shellInvocation(String.raw`C:\Program Files\PowerShell\7\pwsh.exe`, 'ls').args).toContain('-Command')
  })
})

describe('RunQueue', () => {
  it('runs at most the limit at once, the rest in arrival order', async () => {
    const q = new RunQueue(2)
    const order: number[] = []
    let active = 0
    let peak = 0
    await Promise.all(
      Array.from({length: 6}, (_, i) =>
        q.run(async () => {
          active++
          peak = Math.max(peak, active)
          order.push(i)
          await new Promise((r) => {
            setTimeout(r, 20)
          })
          active--
        }),
      ),
    )
    expect(peak).toBe(2)
    expect(order).toEqual([0, 1, 2, 3, 4, 5])
  })
})
