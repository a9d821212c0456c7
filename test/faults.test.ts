/**
 * Fault injection against the real daemon process (issue 6): kill -9 mid-burst, racing decisions,
 * floods of output, runaway process trees, and a runtime directory that stops taking writes.
 */
import {execFileSync} from 'node:child_process'
import {chmod, chown, readdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {request} from 'undici'
import {afterEach, describe, expect, it} from 'vitest'

import {type DaemonProcess, readLines, removeRoot, startDaemonProcess, tempRoot, waitFor} from './helpers.js'

let root: string | undefined
let daemon: DaemonProcess | undefined

afterEach(async () => {
  await daemon?.stop('SIGKILL')
  daemon = undefined
  if (root) await removeRoot(root)
  root = undefined
})

async function tokens(r: string): Promise<{agent: string; operator: string}> {
  return {
    agent: (await readFile(join(r, 'runtime', 'agent_hub_token.txt'), 'utf8')).trim(),
    operator: (await readFile(join(r, 'runtime', 'operator_token.txt'), 'utf8')).trim(),
  }
}

async function post(
  base: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<{body: Record<string, unknown>; status: number}> {
  const res = await request(base + path, {
    method: 'POST',
    headers: {'x-agent-token': token, ...(body === undefined ? {} : {'content-type': 'application/json'})},
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.body.text()
  return {status: res.statusCode, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}}
}

async function get(
  base: string,
  path: string,
  token: string,
): Promise<{body: Record<string, unknown>; status: number}> {
  const res = await request(base + path, {headers: {'x-agent-token': token}})
  return {status: res.statusCode, body: (await res.body.json()) as Record<string, unknown>}
}

const burstEnv = {AGENT_HUB_RATE_LIMIT_REQUESTS: '100000', AGENT_HUB_MAX_PENDING_PER_AGENT: '100000'}

describe('fault injection', () => {
  it('kill -9 mid-burst: every acknowledged request is on disk with its audit line after restart', async () => {
    root = await tempRoot('hub-fault-kill-')
    daemon = await startDaemonProcess(root, burstEnv)
    const t = await tokens(root)
    const acked: string[] = []
    let stop = false
    const {base} = daemon
    const workers = Array.from({length: 16}, async () => {
      // `stop` is set by the test body once the daemon is killed.
      for (;;) {
        if (stop) break
        try {
          const r = await post(base, '/plan', t.agent, {command: `echo ${acked.length}`})
          if (r.status === 200) acked.push(r.body.pending_id as string)
        } catch {
          return // the daemon is gone
        }
      }
    })
    await waitFor(() => acked.length >= 150, '150 acknowledged plans', 120_000)
    daemon.child.kill('SIGKILL')
    stop = true
    await Promise.all(workers)
    await daemon.stop('SIGKILL')

    daemon = await startDaemonProcess(root, burstEnv)
    const pending = new Set((await readdir(join(root, 'runtime', 'pending'))).map((f) => f.replace(/\.json$/, '')))
    const queued = new Set(
      (await readLines(join(root, 'runtime', 'audit.log')))
        .filter((l) => l.event === 'command_queued')
        .map((l) => l.pending_id as string),
    )
    for (const id of acked) {
      expect(pending.has(id)).toBe(true)
      expect(queued.has(id)).toBe(true)
    }

    const audit = await readLines(join(root, 'runtime', 'audit.log'))
    expect(audit.map((l) => l.seq)).toEqual(audit.map((_, i) => i + 1))
  })

  it('30 concurrent approvals of one request: one run, 29 conflicts; approve racing deny: one winner', async () => {
    root = await tempRoot('hub-fault-race-')
    daemon = await startDaemonProcess(root)
    const t = await tokens(root)
    const {body} = await post(daemon.base, '/plan', t.agent, {command: 'echo once >> count.txt'})
    const id = body.pending_id as string
    const results = await Promise.all(Array.from({length: 30}, () => post(daemon!.base, `/approve/${id}`, t.operator)))
    expect(results.filter((r) => r.status === 200)).toHaveLength(1)
    expect(results.filter((r) => r.status === 409)).toHaveLength(29)
    expect(await readFile(join(root, 'workspace', 'count.txt'), 'utf8')).toBe('once\n')

    for (let i = 0; i < 5; i++) {
      const p = (await post(daemon.base, '/plan', t.agent, {command: 'echo race'})).body.pending_id as string
      const [a, d] = await Promise.all([
        post(daemon.base, `/approve/${p}`, t.operator),
        post(daemon.base, `/deny/${p}`, t.operator),
      ])
      expect([a.status, d.status].filter((s) => s === 200)).toHaveLength(1)
      expect([a.status, d.status].filter((s) => s === 409)).toHaveLength(1)
    }
  })

  it('a command writing 50 MB leaves the daemon memory flat and the record capped', async () => {
    root = await tempRoot('hub-fault-flood-')
    daemon = await startDaemonProcess(root, {AGENT_HUB_OUTPUT_LIMIT_BYTES: '65536'})
    const t = await tokens(root)
    const before = (await get(daemon.base, '/health', t.agent)).body.memory_mb as number
    const id = (await post(daemon.base, '/plan', t.agent, {command: 'head -c 52428800 /dev/zero'})).body
      .pending_id as string
    const run = await post(daemon.base, `/approve/${id}`, t.operator)
    expect(run.body).toMatchObject({exit_code: 0, stdout_truncated: true, stdout_bytes: 52_428_800})
    expect((run.body.stdout as string).length).toBe(65_536)
    const after = (await get(daemon.base, '/health', t.agent)).body.memory_mb as number
    expect(after - before).toBeLessThan(40)
  })

  it('a timeout stops grandchildren and background jobs, checked in the process table', async () => {
    root = await tempRoot('hub-fault-tree-')
    daemon = await startDaemonProcess(root)
    const t = await tokens(root)
    const marker = `hubtree${Date.now()}`
    const id = (
      await post(daemon.base, '/plan', t.agent, {
        command: `(sleep 600; echo ${marker}) & bash -c 'sleep 601 # ${marker}' & sleep 602 # ${marker}`,
        timeout_s: 1,
      })
    ).body.pending_id as string
    const run = await post(daemon.base, `/approve/${id}`, t.operator)
    expect(run.body).toMatchObject({timed_out: true, exit_code: 124})
    // They would live ten minutes if the timeout left them: wait (well under that) for all to be gone.
    await waitFor(
      () => !execFileSync('ps', ['-eo', 'args']).toString().includes(marker),
      'no process of the run left',
      60_000,
    )
  })

  it('a runtime directory that refuses writes: 503, nothing acknowledged, reads still served', async () => {
    root = await tempRoot('hub-fault-ro-')
    // Root ignores permissions, so as root the daemon runs as nobody over a directory nobody owns.
    const asRoot = process.getuid?.() === 0
    if (asRoot) {
      await chown(root, 65_534, 65_534)
      await chmod(root, 0o755)
    }

    daemon = await startDaemonProcess(root, {}, asRoot ? {uid: 65_534, gid: 65_534} : {})
    const t = await tokens(root)
    const queued = (await post(daemon.base, '/plan', t.agent, {command: 'echo before'})).body.pending_id as string
    const auditBefore = await readFile(join(root, 'runtime', 'audit.log'), 'utf8')
    for (const d of ['pending', 'denied', 'claimed', 'runs']) await chmod(join(root, 'runtime', d), 0o555)
    await chmod(join(root, 'runtime'), 0o555)
    try {
      const r = await post(daemon.base, '/plan', t.agent, {command: 'echo after'})
      expect(r.status).toBe(503)
      expect(r.body).toMatchObject({error: {code: 'storage_unavailable'}})
      const a = await post(daemon.base, `/approve/${queued}`, t.operator)
      expect(a.status).toBe(503)
      expect((await get(daemon.base, '/pending', t.agent)).status).toBe(200)
      expect((await get(daemon.base, '/health', t.agent)).body).toMatchObject({status: 'degraded'})
      expect(await readFile(join(root, 'runtime', 'audit.log'), 'utf8')).toBe(auditBefore)
      expect(await readdir(join(root, 'runtime', 'pending'))).toEqual([`${queued}.json`])
    } finally {
      await chmod(join(root, 'runtime'), 0o700)
      for (const d of ['pending', 'denied', 'claimed', 'runs']) await chmod(join(root, 'runtime', d), 0o700)
    }
  })

  it('expiry: an undecided request moves to denied/ as expired, audited and announced; approval fails', async () => {
    root = await tempRoot('hub-fault-ttl-')
    daemon = await startDaemonProcess(root, {AGENT_HUB_PENDING_TTL_SECONDS: '1'})
    const t = await tokens(root)
    const planned = await post(daemon.base, '/plan', t.agent, {command: 'echo late'})
    const id = planned.body.pending_id as string
    const expiresAt = Date.parse(planned.body.expires_at as string)
    await waitFor(() => Date.now() > expiresAt, 'the request’s expiry time')
    const a = await post(daemon.base, `/approve/${id}`, t.operator)
    expect(a.status).toBe(409)
    const denied = JSON.parse(await readFile(join(root, 'runtime', 'denied', `${id}.json`), 'utf8')) as Record<
      string,
      unknown
    >
    expect(denied).toMatchObject({pending_id: id, by: 'expired'})
    const audit = await readLines(join(root, 'runtime', 'audit.log'))
    expect(audit.filter((l) => l.event === 'command_expired' && l.pending_id === id)).toHaveLength(1)
    expect((await get(daemon.base, `/requests/${id}`, t.agent)).body).toMatchObject({state: 'expired'})
  })
})

describe('shutdown and queueing', () => {
  it('SIGTERM lets a run use its grace period, then records it as interrupted, and exits 0', async () => {
    root = await tempRoot('hub-fault-term-')
    daemon = await startDaemonProcess(root, {}, {}, ['--grace-seconds', '1'])
    const t = await tokens(root)
    const id = (await post(daemon.base, '/plan', t.agent, {command: 'sleep 30'})).body.pending_id as string
    const started = await post(daemon.base, `/approve/${id}?wait=0`, t.operator)
    expect(started.status).toBe(202)
    const runId = started.body.run_id as string
    const code = await daemon.stop('SIGTERM')
    expect(code).toBe(0)
    const record = JSON.parse(await readFile(join(root, 'runtime', 'runs', runId, 'record.json'), 'utf8')) as Record<
      string,
      unknown
    >
    expect(record).toMatchObject({run_id: runId, interrupted: true})
    const audit = await readLines(join(root, 'runtime', 'audit.log'))
    expect(audit.at(-1)).toMatchObject({event: 'run_interrupted', run_id: runId})
    expect(JSON.parse(await readFile(join(root, 'runtime', 'checkpoint.json'), 'utf8'))).toMatchObject({
      seq: audit.length,
    })
  })

  it('runs over the concurrency limit wait in order and show as waiting', async () => {
    root = await tempRoot('hub-fault-queue-')
    daemon = await startDaemonProcess(root, {AGENT_HUB_MAX_CONCURRENT_RUNS: '1'})
    const t = await tokens(root)
    const ids: string[] = []
    for (const c of ['sleep 1; echo first', 'echo second', 'echo third'])
      ids.push((await post(daemon.base, '/plan', t.agent, {command: `${c} >> order.txt`})).body.pending_id as string)
    for (const id of ids) expect((await post(daemon.base, `/approve/${id}?wait=0`, t.operator)).status).toBe(202)
    const second = await get(daemon.base, `/requests/${ids[1]}`, t.agent)
    expect(second.body).toMatchObject({state: 'running', waiting: true})
    for (const id of ids) {
      let st = await get(daemon.base, `/requests/${id}?wait=10`, t.agent)
      while (st.body.state !== 'finished') st = await get(daemon.base, `/requests/${id}?wait=10`, t.agent)
    }

    expect(await readFile(join(root, 'workspace', 'order.txt'), 'utf8')).toBe('first\nsecond\nthird\n')
  })
})
