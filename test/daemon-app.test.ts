/**
 * The HTTP API through `createApp().request()`, on a real runtime directory and real processes.
 */
import {readdir, readFile, stat} from 'node:fs/promises'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {OpenHub} from '../src/daemon/server.js'

import {apiCaller, type Json, openTestHub, readLines, removeRoot, tempRoot, waitFor} from './helpers.js'

let root: string
let hub: OpenHub

beforeEach(async () => {
  root = await tempRoot()
  hub = await openTestHub(root)
})
afterEach(async () => {
  await hub.close(0)
  await removeRoot(root)
})

const call = apiCaller(() => hub)

const op = (): string => hub.tokens.operator

async function snapshot(): Promise<string> {
  const parts: string[] = []
  for (const d of ['pending', 'denied', 'claimed', 'runs'])
    parts.push(`${d}:${(await readdir(join(root, 'runtime', d))).sort().join(',')}`)
  const audit = await readFile(join(root, 'runtime', 'audit.log'), 'utf8').catch(() => '')
  return parts.join('|') + '|' + audit
}

describe('GET /status', () => {
  it('answers without a token', async () => {
    const r = await call('GET', '/status', {token: null})
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ok: true, pending_count: 0, denied_count: 0, token_required: true})
    expect(typeof r.body.version).toBe('string')
  })
})

describe('authentication', () => {
  it('refuses a missing or wrong token with 401, and accepts Bearer', async () => {
    expect((await call('GET', '/pending', {token: null})).status).toBe(401)
    expect((await call('GET', '/pending', {token: 'x'.repeat(43)})).body.error?.code).toBe('unauthorized')
    expect(
      (await call('GET', '/pending', {token: null, headers: {authorization: `Bearer ${hub.tokens.agent}`}})).status,
    ).toBe(200)
  })

  it('gives 403 to an agent on approve and deny', async () => {
    const plan = await call('POST', '/plan', {body: {command: 'echo hi'}})
    const id = plan.body.pending_id as string
    expect((await call('POST', `/approve/${id}`)).status).toBe(403)
    expect((await call('POST', `/deny/${id}`)).status).toBe(403)
    expect((await stat(join(root, 'runtime', 'pending', `${id}.json`))).isFile()).toBe(true)
  })
})

describe('GET /health', () => {
  it('has the seed fields plus more, and says why it is not healthy', async () => {
    const r = await call('GET', '/health')
    // Healthy, or degraded only because this machine cannot contain runs (it says so).
    const reasons = r.body.reasons as string[]
    expect(reasons.filter((why) => !why.startsWith('Runs are not contained'))).toEqual([])
    expect(r.body.status).toBe(reasons.length === 0 ? 'healthy' : 'degraded')
    expect(r.body).toMatchObject({pending_count: 0, runs_count: 0})
    expect(typeof r.body.uptime_seconds).toBe('number')
    expect(r.body.memory_mb).toBeGreaterThan(0)
    expect(r.body.timestamp).toMatch(/Z$/)
    expect(r.body).toHaveProperty('version')
    expect(r.body).toHaveProperty('active_runs', 0)
  })

  it('answers without a token as the seed did: counts and status, no commands or paths', async () => {
    await call('POST', '/plan', {body: {command: 'echo /secret/path', cwd: '.'}})
    const r = await call('GET', '/health', {token: null})
    expect(r.status).toBe(200)
    expect(Object.keys(r.body).sort()).toEqual(
      [
        'memory_mb',
        'pending_count',
        'reasons',
        'runs_count',
        'status',
        'timestamp',
        'uptime_seconds',
        'version',
      ].sort(),
    )
    expect(JSON.stringify(r.body)).not.toContain(root)
    expect(JSON.stringify(r.body)).not.toContain('/secret/path')
  })
})

describe('plan → approve → run', () => {
  it('queues, stores the verdict, runs on approval and records every seed field', async () => {
    const plan = await call('POST', '/plan', {body: {command: 'echo hi', note: 'greet'}})
    expect(plan.status).toBe(200)
    expect(plan.body).toMatchObject({queued: true, command: 'echo hi', decision: 'ask'})
    const id = plan.body.pending_id as string
    expect(id).toMatch(/^\d{8}_\d{6}_[0-9a-f]{8}$/)

    const pending = JSON.parse(await readFile(join(root, 'runtime', 'pending', `${id}.json`), 'utf8')) as Json
    expect(pending).toMatchObject({pending_id: id, command: 'echo hi', note: 'greet', timeout_s: 300})
    for (const f of ['cwd', 'ts', 'queued_at', 'expires_at', 'policy']) expect(pending).toHaveProperty(f)
    expect(pending.policy).toMatchObject({decision: 'ask'})

    const list = await call('GET', '/pending')
    expect(list.body).toHaveLength(1)
    expect((await call('GET', `/pending/${id}`)).body).toMatchObject({pending_id: id})
    expect((await call('GET', `/requests/${id}`)).body).toMatchObject({state: 'pending'})

    const run = await call('POST', `/approve/${id}`, {token: op(), body: {note: 'ok'}})
    expect(run.status).toBe(200)
    expect(run.body).toMatchObject({
      command: 'echo hi',
      exit_code: 0,
      stdout: 'hi\n',
      stderr: '',
      pending_id: id,
      timed_out: false,
    })
    for (const f of [
      'run_id',
      'cwd',
      'ts',
      'duration_ms',
      'approved_by',
      'stdout_truncated',
      'stderr_truncated',
      'peak_rss_mb',
      'cpu_ms',
      'policy',
    ])
      expect(run.body).toHaveProperty(f)
    const runId = run.body.run_id as string
    const record = JSON.parse(await readFile(join(root, 'runtime', 'runs', runId, 'record.json'), 'utf8')) as Json
    expect(record).toEqual(run.body)
    expect(typeof record.ts).toBe('number')

    expect((await call('GET', `/requests/${id}`)).body).toMatchObject({state: 'finished', run_id: runId, exit_code: 0})
    expect((await call('GET', `/runs/${runId}`)).body).toMatchObject({run_id: runId})
    expect((await call('GET', '/runs')).body).toHaveLength(1)
    expect(await readFile(join(root, 'runtime', 'runs.index'), 'utf8')).toMatch(new RegExp(`^${runId} \\d+ \\S+\\n$`))
    expect(await hub.store.files.newestRunIdsFromIndex(5)).toEqual([runId])
    expect((await call('GET', '/pending')).body).toHaveLength(0)

    const audit = await readLines(join(root, 'runtime', 'audit.log'))
    expect(audit.map((l) => l.event)).toEqual(['command_queued', 'command_approved', 'run_started', 'command_executed'])
    const executed = audit[3]!
    expect(executed).toMatchObject({
      event: 'command_executed',
      run_id: runId,
      command: 'echo hi',
      exit_code: 0,
      pending_id: id,
    })
    expect(typeof executed.duration_ms).toBe('number')
    expect(executed.ts).toMatch(/Z$/)
    expect(audit[1]!.actor).toMatchObject({role: 'operator'})
    expect(JSON.stringify(audit)).not.toContain(hub.tokens.operator)
  })

  it('lets exactly one of two approvals win; the other gets 409', async () => {
    const id = (await call('POST', '/plan', {body: {command: 'echo once'}})).body.pending_id as string
    const [a, b] = await Promise.all([
      call('POST', `/approve/${id}`, {token: op()}),
      call('POST', `/approve/${id}`, {token: op()}),
    ])
    expect([a.status, b.status].sort()).toEqual([200, 409])
    expect((await call('POST', `/approve/${id}`, {token: op()})).status).toBe(409)
    expect(await readdir(join(root, 'runtime', 'runs'))).toHaveLength(1)
  })

  it('answers 202 with the run id when asked not to wait', async () => {
    const id = (await call('POST', '/plan', {body: {command: 'sleep 0.2; echo late'}})).body.pending_id as string
    const r = await call('POST', `/approve/${id}?wait=0`, {token: op()})
    expect(r.status).toBe(202)
    expect(r.body).toMatchObject({pending_id: id, state: 'running'})
    const done = await call('GET', `/requests/${id}?wait=5`)
    expect(['running', 'finished']).toContain(done.body.state)
    const final = await call('GET', `/requests/${id}?wait=5`)
    expect(final.body).toMatchObject({state: 'finished', run_id: r.body.run_id})
  })

  it('lets a run approved without waiting finish when the daemon closes right after answering', async () => {
    // The process starts on the next turn of the event loop (issue 13): a shutdown that begins in between
    // must still wait for it and record it, never lose the approved run.
    const id = (await call('POST', '/plan', {body: {command: 'sleep 0.3; echo late'}})).body.pending_id as string
    const r = await call('POST', `/approve/${id}?wait=0`, {token: op()})
    expect(r.status).toBe(202)
    await hub.gateway.close(10_000)
    const record = JSON.parse(
      await readFile(join(root, 'runtime', 'runs', r.body.run_id as string, 'record.json'), 'utf8'),
    )
    expect(record).toMatchObject({pending_id: id, exit_code: 0, stdout: 'late\n'})
  })

  it('times out a long command with exit code 124', async () => {
    const id = (await call('POST', '/plan', {body: {command: 'sleep 20', timeout_s: 1}})).body.pending_id as string
    const r = await call('POST', `/approve/${id}`, {token: op()})
    expect(r.body).toMatchObject({exit_code: 124, timed_out: true})
  })

  it('runs in a cwd inside the workspace, and blocks one outside it', async () => {
    const {mkdir} = await import('node:fs/promises')
    await mkdir(join(root, 'workspace', 'app'))
    const id = (await call('POST', '/plan', {body: {command: 'pwd', cwd: 'app'}})).body.pending_id as string
    const r = await call('POST', `/approve/${id}`, {token: op()})
    expect(r.body.stdout).toBe(join(hub.workspace, 'app') + '\n')
    const out = await call('POST', '/plan', {body: {command: 'pwd', cwd: '../runtime'}})
    expect(out.status).toBe(403)
    expect(out.body.error).toMatchObject({code: 'policy_denied', reason: 'cwd:outside-workspace'})
  })
})

describe('long-poll', () => {
  it('does not miss a change that happens while the current state is being read', async () => {
    const id = (await call('POST', '/plan', {body: {command: 'echo x'}})).body.pending_id as string
    const t0 = Date.now()
    const waiting = hub.views.waitForChange(id, 20, {role: 'operator', token: 'test'})
    // The change arrives before the first read has finished.
    hub.gateway.emit('change', id)
    await waiting
    expect(Date.now() - t0).toBeLessThan(5000)
  })
})

describe('deny', () => {
  it('moves the request to denied/ with the seed fields and audits it', async () => {
    const id = (await call('POST', '/plan', {body: {command: 'echo nope', note: 'agent cleanup request'}})).body
      .pending_id as string
    const r = await call('POST', `/deny/${id}`, {token: op(), body: {reason: 'not today'}})
    expect(r.status).toBe(200)
    const denied = JSON.parse(await readFile(join(root, 'runtime', 'denied', `${id}.json`), 'utf8')) as Json
    expect(denied).toMatchObject({
      command: 'echo nope',
      note: 'agent cleanup request',
      pending_id: id,
      reason: 'not today',
      by: 'operator',
    })
    for (const f of ['ts', 'denied_ts', 'denied_at']) expect(denied).toHaveProperty(f)
    expect(await readdir(join(root, 'runtime', 'pending'))).toHaveLength(0)
    expect((await call('POST', `/deny/${id}`, {token: op()})).status).toBe(409)
    expect((await call('POST', `/approve/${id}`, {token: op()})).status).toBe(409)
    expect((await call('GET', `/requests/${id}`)).body).toMatchObject({state: 'denied', reason: 'not today'})
    const audit = await readLines(join(root, 'runtime', 'audit.log'))
    expect(audit.at(-1)).toMatchObject({event: 'command_denied', pending_id: id, reason: 'not today'})
  })
})

describe('policy at the door', () => {
  it('refuses rm -rf / with 403, reason deny:<rule>, and a command_blocked line with the seed fields', async () => {
    const r = await call('POST', '/plan', {body: {command: 'rm -rf /'}})
    expect(r.status).toBe(403)
    expect(r.body.error).toMatchObject({code: 'policy_denied'})
    expect(String(r.body.error?.reason)).toMatch(/^deny:/)
    const audit = await readLines(join(root, 'runtime', 'audit.log'))
    expect(audit).toHaveLength(1)
    const line = audit[0]!
    expect(line).toMatchObject({event: 'command_blocked', command: 'rm -rf /', reason: r.body.error?.reason})
    expect(line).toHaveProperty('run_id')
    expect(line).toHaveProperty('ts')
    expect(await readdir(join(root, 'runtime', 'pending'))).toHaveLength(0)
    expect((await call('GET', `/requests/${String(r.body.error?.pending_id)}`)).body).toMatchObject({state: 'blocked'})
  })

  it('refuses the seed PowerShell example', async () => {
    const r = await call('POST', '/plan', {body: {command: String.raw`Remove-Item C:\Windows\*`}})
    expect(r.status).toBe(403)
  })
})

describe('bad input gets the right status and changes no file', () => {
  const cases: Array<[string, {body?: unknown; headers?: Record<string, string>; raw?: string}, number, string]> = [
    ['malformed JSON', {raw: '{"command": '}, 400, 'invalid_json'],
    ['a body over 64 KiB', {raw: JSON.stringify({command: 'x'.repeat(70_000)})}, 413, 'payload_too_large'],
    ['no command', {body: {}}, 422, 'validation_failed'],
    ['an empty command', {body: {command: ''}}, 422, 'validation_failed'],
    ['a command over 10,000 characters', {body: {command: 'x'.repeat(10_001)}}, 422, 'validation_failed'],
    ['a number as command', {body: {command: 5}}, 422, 'validation_failed'],
    ['timeout 0', {body: {command: 'ls', timeout_s: 0}}, 422, 'validation_failed'],
    ['timeout as a string', {body: {command: 'ls', timeout_s: '30'}}, 422, 'validation_failed'],
    ['timeout over an hour', {body: {command: 'ls', timeout_s: 3601}}, 422, 'validation_failed'],
    ['a note over 1,000', {body: {command: 'ls', note: 'n'.repeat(1001)}}, 422, 'validation_failed'],
    ['a cwd over 500', {body: {command: 'ls', cwd: 'c'.repeat(501)}}, 422, 'validation_failed'],
    ['a NUL byte', {body: {command: 'ls\u0000 -la'}}, 422, 'validation_failed'],
    ['an array body', {body: ['ls']}, 422, 'validation_failed'],
    ['a __proto__ key', {raw: '{"command":"ls","__proto__":{"x":1}}'}, 422, 'validation_failed'],
    ['text/plain', {raw: '{"command":"ls"}', headers: {'content-type': 'text/plain'}}, 415, 'unsupported_media_type'],
  ]
  for (const [name, input, status, code] of cases) {
    it(name, async () => {
      const before = await snapshot()
      const r = await call('POST', '/plan', input)
      expect(r.status).toBe(status)
      expect(r.body.error?.code).toBe(code)
      expect(typeof r.body.error?.message).toBe('string')
      expect(await snapshot()).toBe(before)
    })
  }

  it('names the invalid field', async () => {
    const r = await call('POST', '/plan', {body: {command: 'ls', timeout_s: 0}})
    expect(r.body.error).toMatchObject({field: 'timeout_s'})
  })

  it('treats ids that could name a path as not found', async () => {
    for (const id of ['..%2F..%2Fetc%2Fpasswd', '%2e%2e', '20250115_143122_zzzzzzzz', 'x'.repeat(300)]) {
      const before = await snapshot()
      // `%2e%2e` is a dot segment: the URL parser resolves `/pending/%2e%2e` to `/`, the console's
      // queue page, which sends a client without a console session to sign in (303), never a list.
      const read = id === '%2e%2e' ? 303 : 404
      expect((await call('GET', `/pending/${id}`)).status).toBe(read)
      expect((await call('POST', `/approve/${id}`, {token: op()})).status).toBe(404)
      expect((await call('POST', `/deny/${id}`, {token: op()})).status).toBe(404)
      expect((await call('GET', `/runs/${id}`)).status).toBe(read)
      expect(await snapshot()).toBe(before)
    }
  })

  it('checks query parameters', async () => {
    expect((await call('GET', '/pending?limit=abc')).status).toBe(422)
    expect((await call('GET', '/pending?limit=0')).status).toBe(422)
  })
})

describe('browser defences', () => {
  it('refuses a foreign Host (DNS rebinding) and a foreign Origin', async () => {
    expect((await call('GET', '/status', {headers: {host: 'evil.example:8787'}})).status).toBe(403)
    expect(
      (await call('POST', '/plan', {body: {command: 'ls'}, headers: {origin: 'https://evil.example'}})).status,
    ).toBe(403)
    const ok = await call('GET', '/status', {headers: {origin: 'http://localhost:3000'}})
    expect(ok.status).toBe(200)
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:3000')
  })
})

describe('pending list', () => {
  it('is newest first and honours ?limit', async () => {
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      ids.push((await call('POST', '/plan', {body: {command: `echo ${i}`}})).body.pending_id as string)
      // Ids order by millisecond: the next one must come from a later one.
      const now = Date.now()
      await waitFor(() => Date.now() > now, 'the next millisecond')
    }

    const list = (await call('GET', '/pending?limit=2')).body as unknown as Array<{pending_id: string}>
    expect(list.map((p) => p.pending_id)).toEqual([ids[2], ids[1]])
  })
})
