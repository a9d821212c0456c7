/**
 * Crash recovery (SPEC §6.4): files lost or half-done at a crash are rebuilt from the audit log,
 * runs in flight become `interrupted`, and nothing acknowledged is lost or runs twice.
 */
import {readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {OpenHub} from '../src/daemon/server.js'

import {openTestHub, readLines, removeRoot, tempRoot} from './helpers.js'

let root: string
const hubs: OpenHub[] = []

beforeEach(async () => {
  root = await tempRoot('hub-recovery-')
})
afterEach(async () => {
  for (const h of hubs.splice(0)) await h.close(0).catch(() => {})
  await removeRoot(root)
})

async function open(): Promise<OpenHub> {
  const h = await openTestHub(root)
  hubs.push(h)
  return h
}

async function post(h: OpenHub, path: string, body: unknown, token = h.tokens.agent): Promise<Record<string, unknown>> {
  const res = await h.app.request(path, {
    method: 'POST',
    headers: {'content-type': 'application/json', 'x-agent-token': token},
    body: JSON.stringify(body),
  })
  return (await res.json()) as Record<string, unknown>
}

const runtime = (...p: string[]): string => join(root, 'runtime', ...p)

describe('after a crash', () => {
  it('rebuilds a pending file that was lost, from its audit line, with the whole command', async () => {
    const first = await open()
    const long = 'echo ' + 'x'.repeat(400)
    const a = (await post(first, '/plan', {command: long, note: 'long one'})).pending_id as string
    const b = (await post(first, '/plan', {command: 'echo b'})).pending_id as string
    // The crash: no clean close, and one acknowledged file never reached the disk.
    await rm(runtime('pending', `${a}.json`))
    const second = await open()
    const rebuilt = JSON.parse(await readFile(runtime('pending', `${a}.json`), 'utf8')) as Record<string, unknown>
    expect(rebuilt).toMatchObject({pending_id: a, command: long, note: 'long one'})
    expect((await readdir(runtime('pending'))).sort()).toEqual([`${a}.json`, `${b}.json`].sort())
    // And it can be approved like any other.
    const run = await post(second, `/approve/${a}`, {}, second.tokens.operator)
    expect(run).toMatchObject({exit_code: 0, stdout: 'x'.repeat(400) + '\n'})
  })

  it('records a run that was in flight as interrupted and never runs it again', async () => {
    const first = await open()
    const id = (await post(first, '/plan', {command: 'sleep 30'})).pending_id as string
    // Approve without waiting, then "crash" while it runs.
    await first.app.request(`/approve/${id}?wait=0`, {
      method: 'POST',
      headers: {'x-agent-token': first.tokens.operator},
    })
    const claimed = JSON.parse(await readFile(runtime('claimed', `${id}.json`), 'utf8')) as {
      run_id: string
      state: string
    }
    expect(claimed.state).toBe('running')
    // Stop the real process as a crash would, without letting the gateway record it.
    await first.gateway.close(0).catch(() => {})
    await rm(runtime('runs', claimed.run_id), {recursive: true, force: true})
    await writeFile(
      runtime('claimed', `${id}.json`),
      JSON.stringify({...JSON.parse(await readFile(runtime('claimed', `${id}.json`), 'utf8')), state: 'running'}),
    )
    hubs.splice(0)
    // A crash closes nothing and writes no checkpoint: the audit log is left as it is.

    const second = await open()
    const record = JSON.parse(await readFile(runtime('runs', claimed.run_id, 'record.json'), 'utf8')) as Record<
      string,
      unknown
    >
    expect(record).toMatchObject({run_id: claimed.run_id, pending_id: id, interrupted: true, exit_code: null})
    const res = await second.app.request(`/requests/${id}`, {headers: {'x-agent-token': second.tokens.agent}})
    expect(await res.json()).toMatchObject({state: 'interrupted', run_id: claimed.run_id})
    const audit = await readLines(runtime('audit.log'))
    expect(
      audit.filter((l) => l.event === 'run_interrupted' && l.run_id === claimed.run_id).length,
    ).toBeGreaterThanOrEqual(1)
    const again = await second.app.request(`/approve/${id}`, {
      method: 'POST',
      headers: {'x-agent-token': second.tokens.operator},
    })
    expect(again.status).toBe(409)
  })

  it('finishes a deny that crashed between its two writes: the request stays denied, not pending', async () => {
    const first = await open()
    const id = (await post(first, '/plan', {command: 'echo d'})).pending_id as string
    const pendingText = await readFile(runtime('pending', `${id}.json`), 'utf8')
    await post(first, `/deny/${id}`, {reason: 'no'}, first.tokens.operator)
    // The crash left the old pending file in place and lost the denied file.
    await writeFile(runtime('pending', `${id}.json`), pendingText)
    await rm(runtime('denied', `${id}.json`))
    await open()
    expect(await readdir(runtime('pending'))).toEqual([])
    const denied = JSON.parse(await readFile(runtime('denied', `${id}.json`), 'utf8')) as Record<string, unknown>
    expect(denied).toMatchObject({pending_id: id, by: 'operator', reason: 'no', command: 'echo d'})
  })

  it('skips the replay after a clean stop (checkpoint), and keeps the chain going', async () => {
    const first = await open()
    await post(first, '/plan', {command: 'echo c'})
    await first.close(0)
    hubs.splice(0)
    const checkpoint = JSON.parse(await readFile(runtime('checkpoint.json'), 'utf8')) as {seq: number}
    expect(checkpoint.seq).toBe(1)
    const second = await open()
    await post(second, '/plan', {command: 'echo d'})
    const audit = await readLines(runtime('audit.log'))
    expect(audit.map((l) => l.seq)).toEqual([1, 2])
    expect(audit[1]!.prev).toBe(audit[0]!.hash)
  })
})
