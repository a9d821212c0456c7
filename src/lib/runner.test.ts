import {execFileSync} from 'node:child_process'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {childEnv, isSecretName, runCommand, RunQueue, shellInvocation} from './runner.js'

let cwd: string
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'hub-runner-'))
})
afterAll(async () => {
  await rm(cwd, {recursive: true, force: true})
})

const base = {shell: 'bash', timeoutMs: 10_000, outputLimitBytes: 1 << 20, env: childEnv(process.env)}

describe('runCommand', () => {
  it('runs in the given directory and captures both streams and the exit code', async () => {
    const r = await runCommand({...base, cwd, command: 'pwd; echo err >&2; exit 3'})
    expect(r.exitCode).toBe(3)
    expect(r.stdout.trim()).toBe(cwd)
    expect(r.stderr).toBe('err\n')
    expect(r.timedOut).toBe(false)
    expect(r.durationMs).toBeGreaterThan(0)
  })

  it('closes standard input and gives no TTY', async () => {
    const r = await runCommand({...base, cwd, command: 'cat; test -t 1 && echo tty || echo notty'})
    expect(r.stdout).toBe('notty\n')
    expect(r.exitCode).toBe(0)
  })

  it('keeps output up to the limit and counts the rest', async () => {
    const r = await runCommand({
      ...base,
      cwd,
      outputLimitBytes: 1000,
      command: String.raw`head -c 500000 /dev/zero | tr "\0" a`,
    })
    expect(r.stdout).toHaveLength(1000)
    expect(r.stdoutBytes).toBe(500_000)
    expect(r.stdoutTruncated).toBe(true)
  })

  it('stops the whole process group on timeout, grandchildren included, with exit code 124', async () => {
    const marker = `hub-timeout-${process.pid}-${Date.now()}`
    const r = await runCommand({
      ...base,
      cwd,
      timeoutMs: 500,
      killGraceMs: 300,
      command: `bash -c 'sleep 30; echo ${marker}' & sleep 30 # ${marker}`,
    })
    expect(r.timedOut).toBe(true)
    expect(r.exitCode).toBe(124)
    expect(r.durationMs).toBeLessThan(5000)
    await new Promise((res) => setTimeout(res, 500))
    const ps = execFileSync('ps', ['-eo', 'args']).toString()
    expect(ps).not.toContain(marker)
  })

  it('stops background jobs the command left behind when it exits', async () => {
    const marker = `hub-bg-${process.pid}-${Date.now()}`
    const r = await runCommand({...base, cwd, killGraceMs: 300, command: `(sleep 30; echo ${marker}) & echo started`})
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toBe('started\n')
    await new Promise((res) => setTimeout(res, 500))
    expect(execFileSync('ps', ['-eo', 'args']).toString()).not.toContain(marker)
  })

  it('samples memory and CPU of a command that runs long enough', async () => {
    const r = await runCommand({...base, cwd, command: 'for i in $(seq 1 200000); do :; done'})
    expect(r.peakRssMb).toBeGreaterThan(0)
    expect(r.cpuMs).toBeGreaterThanOrEqual(0)
  })

  it('reports a shell that cannot start as exit 127 with a message', async () => {
    const r = await runCommand({...base, cwd, shell: '/nonexistent/shell', command: 'true'})
    expect(r.exitCode).toBe(127)
    expect(r.stderr).toMatch(/could not start|ENOENT/)
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
          await new Promise((r) => setTimeout(r, 20))
          active--
        }),
      ),
    )
    expect(peak).toBe(2)
    expect(order).toEqual([0, 1, 2, 3, 4, 5])
  })
})
