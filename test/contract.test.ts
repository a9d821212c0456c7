/**
 * The daemon contract that agents' integrations, the terminal and the console build on (SPEC §6.1,
 * §7.1, §7.6): approvals bound to the command shown, edit-then-approve, requests the agent runs
 * itself, withdrawal, totals, and what an agent token may see.
 */
import {createHash} from 'node:crypto'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {OpenHub} from '../src/daemon/server.js'

import {apiCaller, openTestHub, readLines, removeRoot, tempRoot} from './helpers.js'

let root: string
let hub: OpenHub
const call = apiCaller(() => hub)
const op = (): string => hub.tokens.operator
const sha = (s: string): string => createHash('sha256').update(s).digest('hex')

async function plan(command: string, extra: Record<string, unknown> = {}, token?: string): Promise<string> {
  const r = await call('POST', '/plan', {body: {command, ...extra}, ...(token ? {token} : {})})
  expect(r.status, JSON.stringify(r.body)).toBe(200)
  return r.body.pending_id as string
}

async function audit(): Promise<Array<Record<string, unknown>>> {
  return readLines(join(root, 'runtime', 'audit.log'))
}

beforeEach(async () => {
  root = await tempRoot()
  hub = await openTestHub(root, {AGENT_HUB_MAX_PENDING_PER_AGENT: '5'})
})
afterEach(async () => {
  await hub.close(0)
  await removeRoot(root)
})

describe('an approval is bound to the command shown', () => {
  it('answers the hash with the plan; refuses an approval for another hash with 409 and an audit line', async () => {
    const r = await call('POST', '/plan', {body: {command: 'echo shown'}})
    expect(r.body.command_sha256).toBe(sha('echo shown'))
    const id = r.body.pending_id as string
    const wrong = await call('POST', `/approve/${id}`, {body: {command_sha256: sha('echo other')}, token: op()})
    expect(wrong.status).toBe(409)
    expect(wrong.body.error).toMatchObject({code: 'conflict', reason: 'command_changed'})
    expect((await call('GET', `/requests/${id}`)).body.state).toBe('pending')
    expect((await audit()).at(-1)).toMatchObject({event: 'approval_refused', pending_id: id, reason: 'command_changed'})
    const ok = await call('POST', `/approve/${id}`, {body: {command_sha256: sha('echo shown')}, token: op()})
    expect(ok.body).toMatchObject({exit_code: 0, stdout: 'shown\n'})
  })

  it('runs the command that was queued, whatever is written into pending/<id>.json afterwards', async () => {
    const id = await plan('echo original')
    const file = join(root, 'runtime', 'pending', `${id}.json`)
    const rewritten = {
      ...JSON.parse(await readFile(file, 'utf8')),
      command: 'echo rewritten',
      command_sha256: sha('echo rewritten'),
    }
    await writeFile(file, JSON.stringify(rewritten))
    const shown = await call('GET', `/pending/${id}`, {token: op()})
    expect(shown.body.command).toBe('echo original')
    const ran = await call('POST', `/approve/${id}`, {token: op()})
    expect(ran.body).toMatchObject({command: 'echo original', stdout: 'original\n'})
  })
})

describe('edit, then approve', () => {
  it('runs the edited command, audits both versions, and tells the agent', async () => {
    const id = await plan('echo asked')
    const r = await call('POST', `/approve/${id}`, {
      body: {command: 'echo edited', command_sha256: sha('echo asked'), note: 'safer'},
      token: op(),
    })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({command: 'echo edited', stdout: 'edited\n', original_command: 'echo asked'})
    const lines = await audit()
    const edited = lines.find((l) => l.event === 'command_edited')
    expect(edited).toMatchObject({
      pending_id: id,
      original: 'echo asked',
      command: 'echo edited',
      command_sha256: sha('echo edited'),
    })
    const approved = lines.find((l) => l.event === 'command_approved')
    expect(approved!.seq).toBe((edited!.seq as number) + 1)
    const status = await call('GET', `/requests/${id}`)
    expect(status.body).toMatchObject({
      state: 'finished',
      edited: true,
      original_command: 'echo asked',
      command: 'echo edited',
    })
  })

  it('keeps a deny a deny: an edit the policy refuses is 403, audited, and the request stays pending', async () => {
    const id = await plan('echo asked')
    const r = await call('POST', `/approve/${id}`, {body: {command: 'rm -rf /'}, token: op()})
    expect(r.status).toBe(403)
    expect(r.body.error).toMatchObject({code: 'policy_denied'})
    expect((await call('GET', `/requests/${id}`)).body.state).toBe('pending')
    expect((await audit()).at(-1)).toMatchObject({event: 'approval_refused', pending_id: id})
  })
})

describe('requests the agent runs itself (hook integrations)', () => {
  it('approves without running, then records the outcome the agent reports', async () => {
    const id = await plan('echo by-agent', {
      client: 'claude-code',
      session_id: 'sess-1',
      tool_use_id: 'tu-1',
      executor: 'agent',
    })
    const approved = await call('POST', `/approve/${id}`, {token: op()})
    expect(approved.body).toMatchObject({state: 'approved', executor: 'agent'})
    expect((await call('GET', `/requests/${id}`)).body).toMatchObject({state: 'approved', executor: 'agent'})
    const early = await call('POST', `/requests/${id}/outcome`, {
      body: {exit_code: 0, excerpt: 'by-agent\n'},
      token: op(),
    })
    expect(early.status).toBe(200)
    const again = await call('POST', `/requests/${id}/outcome`, {body: {exit_code: 0}})
    expect(again.status).toBe(409)
    const status = await call('GET', `/requests/${id}`)
    expect(status.body).toMatchObject({state: 'executed', exit_code: 0})
    const runId = status.body.run_id as string
    const record = await call('GET', `/runs/${runId}`)
    expect(record.body).toMatchObject({
      executor: 'claude-code',
      client: 'claude-code',
      session_id: 'sess-1',
      stdout: 'by-agent\n',
    })
    const lines = await audit()
    expect(lines.find((l) => l.event === 'command_approved')).toMatchObject({
      executor: 'claude-code',
      client: 'claude-code',
    })
    expect(lines.find((l) => l.event === 'command_executed_by_agent')).toMatchObject({
      pending_id: id,
      exit_code: 0,
      client: 'claude-code',
      session_id: 'sess-1',
    })
    expect(lines.filter((l) => l.pending_id === id).every((l) => l.client === 'claude-code')).toBe(true)
  })
})

describe('withdrawal', () => {
  it('lets the agent take back its pending request, once', async () => {
    const id = await plan('echo later')
    const r = await call('POST', `/requests/${id}/withdraw`, {body: {reason: 'client cancelled'}})
    expect(r.body).toMatchObject({state: 'withdrawn'})
    expect((await call('GET', `/requests/${id}`)).body).toMatchObject({state: 'withdrawn', reason: 'client cancelled'})
    expect((await call('POST', `/requests/${id}/withdraw`)).status).toBe(409)
    expect((await call('POST', `/approve/${id}`, {token: op()})).status).toBe(409)
    expect((await audit()).at(-1)).toMatchObject({event: 'command_withdrawn', pending_id: id})
  })
})

describe('lists count right', () => {
  it('returns every waiting request by default, with the total in X-Total-Count, and pages on request', async () => {
    for (let i = 0; i < 12; i++) await plan(`echo ${i}`, {}, op())
    const all = await call('GET', '/pending', {token: op()})
    expect(all.body).toHaveLength(12)
    expect(all.headers.get('x-total-count')).toBe('12')
    const page = await call('GET', '/pending?limit=2&offset=1', {token: op()})
    expect((page.body as unknown as Array<{command: string}>).map((p) => p.command)).toEqual(['echo 10', 'echo 9'])
    expect(page.headers.get('x-total-count')).toBe('12')
  })

  it('lists runs as summaries, without their output', async () => {
    const id = await plan('echo out')
    await call('POST', `/approve/${id}`, {token: op()})
    const runs = await call('GET', '/runs', {token: op()})
    const [first] = runs.body as unknown as Array<Record<string, unknown>>
    expect(first).toMatchObject({command: 'echo out', exit_code: 0})
    expect(first).not.toHaveProperty('stdout')
    expect(runs.headers.get('x-total-count')).toBe('1')
  })
})

describe('what an agent token may see', () => {
  it('sees its own requests and runs, not the operator’s', async () => {
    const mine = await plan('echo mine')
    const theirs = await plan('echo theirs', {}, op())
    const listed = (await call('GET', '/pending')).body as unknown as Array<{pending_id: string}>
    expect(listed.map((p) => p.pending_id)).toEqual([mine])
    expect((await call('GET', `/requests/${theirs}`)).status).toBe(404)
    expect((await call('GET', `/pending/${theirs}`)).status).toBe(404)
    await call('POST', `/approve/${theirs}`, {token: op()})
    const runs = (await call('GET', '/runs')).body as unknown as unknown[]
    expect(runs).toEqual([])
    const run = (await call('GET', '/runs', {token: op()})).body as unknown as Array<{run_id: string}>
    expect((await call('GET', `/runs/${run[0]!.run_id}`)).status).toBe(404)
    expect((await call('POST', `/requests/${theirs}/withdraw`)).status).toBe(404)
  })
})

describe('the refusal budget', () => {
  it('counts refusals against the agent: past the limit a refused flood writes nothing more', async () => {
    for (let i = 0; i < 5; i++)
      expect((await call('POST', '/plan', {body: {command: `rm -rf /etc/x${i}`}})).status).toBe(403)
    const deniedBefore = (await call('GET', '/denied', {token: op()})).headers.get('x-total-count')
    const over = await call('POST', '/plan', {body: {command: 'rm -rf /etc/y'}})
    expect(over.status).toBe(429)
    expect(over.headers.get('retry-after')).toBeTruthy()
    expect((await call('GET', '/denied', {token: op()})).headers.get('x-total-count')).toBe(deniedBefore)
    // The operator is never limited.
    expect((await call('POST', '/plan', {body: {command: 'rm -rf /etc/z'}, token: op()})).status).toBe(403)
  })
})

describe('every line about a request names its client', () => {
  it('defaults to http and keeps the agent’s session id', async () => {
    const id = await plan('echo hi', {session_id: 's-42'})
    await call('POST', `/deny/${id}`, {body: {reason: 'no'}, token: op()})
    const lines = (await audit()).filter((l) => l.pending_id === id)
    expect(lines.map((l) => l.event)).toEqual(['command_queued', 'command_denied'])
    for (const l of lines) expect(l).toMatchObject({client: 'http', session_id: 's-42', agent: expect.any(String)})
    const denied = (await call('GET', '/denied')).body as unknown as Array<Record<string, unknown>>
    expect(denied[0]).toMatchObject({pending_id: id, by: 'operator', reason: 'no'})
  })
})
