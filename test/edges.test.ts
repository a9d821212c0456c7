/**
 * Abuse at the edges (issue 10), each attack against the real daemon process: invisible characters,
 * umask, Host names, rotation with open streams, list endpoints as a memory attack, and a full disk
 * that must not make a record lie.
 */
import {execFileSync} from 'node:child_process'
import {mkdir, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {request as httpRequest} from 'node:http'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {RuntimeStore} from '../src/lib/store.js'
import {type DaemonProcess, hub, removeRoot, startDaemonProcess, tempRoot, waitFor} from './helpers.js'

let root: string
let daemon: DaemonProcess | undefined

beforeEach(async () => {
  root = await tempRoot()
})
afterEach(async () => {
  await daemon?.stop('SIGKILL')
  daemon = undefined
  await removeRoot(root)
})

async function token(role: 'agent' | 'operator', dir = join(root, 'runtime')): Promise<string> {
  return (await readFile(join(dir, role === 'agent' ? 'agent_hub_token.txt' : 'operator_token.txt'), 'utf8')).trim()
}

async function post(path: string, body: unknown, tok: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(daemon!.base + path, {
    method: 'POST',
    headers: {'content-type': 'application/json', 'x-agent-token': tok, ...headers},
    body: JSON.stringify(body),
  })
}

describe('invisible characters', () => {
  it('refuses each family in a command with 422, naming the character; nothing is written', async () => {
    daemon = await startDaemonProcess(root)
    const agent = await token('agent')
    const families: Record<string, string> = {
      'tag space': '\u{E0020}',
      'Hangul filler': '\u3164',
      'soft hyphen': '\u00AD',
      'Arabic letter mark': '\u061C',
      'Mongolian vowel separator': '\u180E',
      'combining grapheme joiner': '\u034F',
      'variation selector': '\uFE0F',
      'inhibit symmetric swapping': '\u206A',
      'zero-width joiner': '\u200D',
      'right-to-left override': '\u202E',
      'no-break space': '\u00A0',
      escape: '\u001B',
    }
    const before = await readFile(join(root, 'runtime', 'audit.log'), 'utf8')
    for (const [name, ch] of Object.entries(families)) {
      const res = await post('/plan', {command: `bash env.sh${ch}`}, agent)
      expect(res.status, name).toBe(422)
      const body = (await res.json()) as {error: {field: string; message: string}}
      expect(body.error.field, name).toBe('command')
      const cp = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')
      expect(body.error.message, name).toContain(`U+${cp}`)
    }

    expect(await readFile(join(root, 'runtime', 'audit.log'), 'utf8')).toBe(before)
    expect(await readdir(join(root, 'runtime', 'pending'))).toEqual([])
  })
})

describe('what the daemon creates', () => {
  it('is its user’s alone, whatever umask it was started with', async () => {
    daemon = await startDaemonProcess(root, {}, {}, [], 'umask 000')
    const agent = await token('agent')
    await post('/plan', {command: 'echo hi'}, agent)
    const runtime = join(root, 'runtime')
    const modes: Record<string, number> = {}
    for (const name of [
      '.',
      'audit.log',
      'pending',
      'denied',
      'agent_hub_token.txt',
      'operator_token.txt',
      'daemon.json',
    ]) {
      modes[name] = (await stat(join(runtime, name))).mode & 0o777
    }

    for (const [name, mode] of Object.entries(modes)) expect(mode & 0o077, `${name} is ${mode.toString(8)}`).toBe(0)
    expect((await stat(join(root, 'workspace'))).mode & 0o077).toBe(0)
  })

  it('refuses Host names that only resolve to loopback by a resolver’s choice (*.localhost)', async () => {
    daemon = await startDaemonProcess(root)
    // fetch will not send a Host of its choosing; a raw request does, as a rebinding browser would.
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {host: '127.0.0.1', port: daemon!.port, path: '/status', headers: {host: `evil.localhost:${daemon!.port}`}},
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      req.end()
    })
    expect(status).toBe(403)
  })
})

describe('token rotation', () => {
  it('ends every event stream opened with the old token', async () => {
    daemon = await startDaemonProcess(root)
    const agent = await token('agent')
    const res = await fetch(daemon.base + '/events', {headers: {'x-agent-token': agent}})
    const reader = res.body!.getReader()
    await reader.read() // the stream is open
    const rotated = await hub(['token', 'rotate', '--agent'], {root})
    expect(rotated.code, rotated.stderr).toBe(0)
    const ended = await waitFor(async () => {
      const {done} = await reader.read()
      return done || undefined
    }, 'the old token’s stream to end')
    expect(ended).toBe(true)
    expect((await fetch(daemon.base + '/pending', {headers: {'x-agent-token': agent}})).status).toBe(401)
  })
})

describe('list endpoints', () => {
  it('keep the daemon small however big the records: 16 agents asking for 500 runs of 2 MiB each', async () => {
    const store = new RuntimeStore(join(root, 'runtime'))
    await store.init()
    const big = 'x'.repeat(1 << 20)
    for (let i = 0; i < 60; i++) {
      const id = `20261201_0000${String(i).padStart(2, '0')}_${i.toString(16).padStart(8, '0')}`
      await store.writeRun({
        run_id: id,
        cwd: '/w',
        command: 'yes',
        exit_code: 0,
        stdout: big,
        stderr: big,
        ts: 1,
        duration_ms: 1,
        pending_id: null,
        note: '',
        approved_by: null,
        timed_out: false,
        interrupted: false,
        stdout_truncated: true,
        stderr_truncated: true,
        stdout_bytes: 1 << 20,
        stderr_bytes: 1 << 20,
        peak_rss_mb: null,
        cpu_ms: null,
        policy: {decision: 'ask', rule: null, reason: ''},
        started_at: '',
        finished_at: '2026-12-01T00:00:00Z',
      })
    }

    // Summaries are built from the records once; remove them to make the daemon do it under the attack.
    for (const id of await store.listRunIds()) await rm(store.summaryPath(id), {force: true})
    daemon = await startDaemonProcess(root)
    const operator = await token('operator')
    const t0 = Date.now()
    const answers = await Promise.all(
      Array.from({length: 16}, () => fetch(daemon!.base + '/runs?limit=500', {headers: {'x-agent-token': operator}})),
    )
    const bodies = await Promise.all(answers.map((a) => a.json() as Promise<unknown[]>))
    for (const b of bodies) expect(b).toHaveLength(60)
    const rssKb = Number(
      execFileSync('ps', ['-o', 'rss=', '-p', String(daemon.child.pid)])
        .toString()
        .trim(),
    )
    expect(rssKb / 1024).toBeLessThan(300)
    expect(Date.now() - t0).toBeLessThan(60_000)
    expect(JSON.stringify(bodies[0])).not.toContain('xxxxxxxx')
  })
})

const canMount = process.getuid?.() === 0 && process.platform === 'linux'

describe.skipIf(!canMount)('a full disk', () => {
  let mount: string | undefined
  afterEach(async () => {
    if (mount) execFileSync('umount', ['-l', mount])
    mount = undefined
  })

  it('records a run that ran but could not be recorded as such, and writes it when room returns', async () => {
    mount = join(root, 'rt')
    await mkdir(mount)
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mount])
    daemon = await startDaemonProcess(root, {AGENT_HUB_RUNTIME_DIR: join(mount, 'runtime')})
    const runtime = join(mount, 'runtime')
    const agent = await token('agent', runtime)
    const operator = await token('operator', runtime)
    const plan = (await (
      await post(
        '/plan',
        {command: String.raw`head -c 1500000 /dev/zero | tr "\0" a; echo done > side-effect.txt`},
        agent,
      )
    ).json()) as {pending_id: string}
    // Leave room for the claim and a few lines, not for a record holding 1 MiB of output.
    const free = (): number => Number(execFileSync('df', ['--output=avail', '-B1', mount!]).toString().split('\n')[1])
    await writeFile(join(mount, 'filler'), Buffer.alloc(Math.max(0, free() - 300_000)))
    const res = await post(`/approve/${plan.pending_id}`, {}, operator)
    expect(res.status).toBe(200)
    const record = (await res.json()) as {exit_code: number; record_error: string; run_id: string}
    expect(record.exit_code).toBe(0)
    expect(record.record_error).toMatch(/^ran; its record could not be written at .*ENOSPC/)
    expect(await readFile(join(root, 'workspace', 'side-effect.txt'), 'utf8')).toBe('done\n')
    const health = (await (await fetch(daemon.base + '/health')).json()) as {reasons: string[]; status: string}
    expect(health.status).toBe('degraded')
    expect(health.reasons.join(' ')).toMatch(/could not be recorded yet/)

    await rm(join(mount, 'filler'))
    const written = await waitFor(async () => {
      const text = await readFile(join(runtime, 'runs', record.run_id, 'record.json'), 'utf8').catch(() => '')
      return text ? (JSON.parse(text) as {exit_code: number; record_error: string; stdout_bytes: number}) : undefined
    }, 'the late record')
    expect(written.exit_code).toBe(0)
    expect(written.stdout_bytes).toBe(1_500_000)
    expect(written.record_error).toMatch(/ENOSPC; written at /)
    const status = (await (
      await fetch(`${daemon.base}/requests/${plan.pending_id}`, {headers: {'x-agent-token': agent}})
    ).json()) as {state: string}
    expect(status.state).toBe('finished')
  })

  it('after a restart, records from its note a run whose record never fit — never as interrupted', async () => {
    mount = join(root, 'rt')
    await mkdir(mount)
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mount])
    const env = {AGENT_HUB_RUNTIME_DIR: join(mount, 'runtime')}
    daemon = await startDaemonProcess(root, env)
    const runtime = join(mount, 'runtime')
    const agent = await token('agent', runtime)
    const operator = await token('operator', runtime)
    const plan = (await (
      await post('/plan', {command: String.raw`head -c 1500000 /dev/zero | tr "\0" a; exit 3`}, agent)
    ).json()) as {pending_id: string}
    const free = (): number => Number(execFileSync('df', ['--output=avail', '-B1', mount!]).toString().split('\n')[1])
    await writeFile(join(mount, 'filler'), Buffer.alloc(Math.max(0, free() - 300_000)))
    const record = (await (await post(`/approve/${plan.pending_id}`, {}, operator)).json()) as {run_id: string}
    await daemon.stop('SIGKILL')
    await rm(join(mount, 'filler'))
    daemon = await startDaemonProcess(root, env)
    const written = JSON.parse(await readFile(join(runtime, 'runs', record.run_id, 'record.json'), 'utf8')) as Record<
      string,
      unknown
    >
    expect(written).toMatchObject({exit_code: 3, interrupted: false, stdout_bytes: 1_500_000})
    expect(written.record_error).toMatch(/could not be written .*ENOSPC; recorded from its note .* the output was lost/)
    const lines = (await readFile(join(runtime, 'audit.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines.some((l) => l.event === 'run_interrupted')).toBe(false)
    expect(lines.find((l) => l.event === 'command_executed' && l.run_id === record.run_id)).toMatchObject({
      exit_code: 3,
      recorded_late: true,
    })
  })
})
