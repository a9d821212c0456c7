/**
 * End to end, as a new user would: the built CLI starts the real daemon in an empty folder, a second
 * CLI plans with --wait, a third lists and approves, and the first prints the output and exits with
 * the command's own exit code.
 */
import {spawn} from 'node:child_process'
import {readdir, readFile, stat} from 'node:fs/promises'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type HubEvent, SseParser} from '../src/lib/client.js'
import {
  BIN,
  childEnv,
  type DaemonProcess,
  hub,
  readLines,
  removeRoot,
  startDaemonProcess,
  tempRoot,
  waitFor,
} from './helpers.js'

let root: string
let daemon: DaemonProcess

beforeAll(async () => {
  root = await tempRoot('hub-e2e-')
  daemon = await startDaemonProcess(root)
})
afterAll(async () => {
  await daemon?.stop()
  await removeRoot(root)
})

function planWait(command: string): Promise<{code: number; stderr: string; stdout: string}> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'plan', command, '--wait', '--note', 'e2e'], {
      cwd: root,
      env: childEnv(root),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString()
    })
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString()
    })
    child.on('close', (code) => resolve({code: code ?? -1, stdout, stderr}))
  })
}

async function waitForPending(n: number): Promise<Array<{command: string; pending_id: string}>> {
  return waitFor(async () => {
    const r = await hub(['pending', '--json'], {root})
    const list = JSON.parse(r.stdout) as Array<{command: string; pending_id: string}>
    return list.length >= n ? list : undefined
  }, `${n} pending request(s)`)
}

describe('a new user, end to end', () => {
  it('creates the runtime, tokens (0600) and workspace on first start, and writes daemon.json', async () => {
    for (const f of ['agent_hub_token.txt', 'operator_token.txt'])
      expect((await stat(join(root, 'runtime', f))).mode & 0o777).toBe(0o600)
    expect((await stat(join(root, 'workspace'))).isDirectory()).toBe(true)
    const info = JSON.parse(await readFile(join(root, 'runtime', 'daemon.json'), 'utf8')) as {pid: number; port: number}
    expect(info.port).toBe(daemon.port)
    expect(daemon.output()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \| INFO \| hub\.daemon \| Listening on/m)
  })

  it('plan --wait → pending → approve prints hi and exits 0', async () => {
    const planned = planWait('echo hi')
    const [req] = await waitForPending(1)
    const table = await hub(['pending'], {root})
    expect(table.code).toBe(0)
    expect(table.stdout).toContain(req!.pending_id)
    expect(table.stdout).toContain('echo hi')
    const approved = await hub(['approve', req!.pending_id], {root})
    expect(approved.code).toBe(0)
    expect(approved.stdout).toContain('exit 0')
    expect(approved.stdout).toContain('hi')
    const result = await planned
    expect(result.stdout).toBe('hi\n')
    expect(result.code).toBe(0)
  })

  it('plan --wait exits with the command’s own exit code', async () => {
    const planned = planWait('echo out; exit 7')
    const [req] = await waitForPending(1)
    await hub(['approve', req!.pending_id], {root})
    const result = await planned
    expect(result.code).toBe(7)
    expect(result.stdout).toBe('out\n')
  })

  it('deny ends a waiting plan with exit 8 and writes the denied file', async () => {
    const planned = planWait('echo never')
    const [req] = await waitForPending(1)
    const denied = await hub(['deny', req!.pending_id, '--reason', 'no'], {root})
    expect(denied.code).toBe(0)
    const result = await planned
    expect(result.code).toBe(8)
    expect(result.stderr).toContain('denied')
    const file = JSON.parse(
      await readFile(join(root, 'runtime', 'denied', `${req!.pending_id}.json`), 'utf8'),
    ) as Record<string, unknown>
    expect(file).toMatchObject({command: 'echo never', pending_id: req!.pending_id, reason: 'no', by: 'operator'})
  })

  it('a blocked plan exits 8 with the reason, and nothing is queued', async () => {
    const r = await hub(['plan', 'rm -rf /'], {root})
    expect(r.code).toBe(8)
    expect(r.stderr).toMatch(/Blocked by policy/)
    const json = await hub(['plan', 'rm -rf /', '--json'], {root})
    expect(JSON.parse(json.stdout)).toMatchObject({error: {code: 'policy_denied'}})
  })

  it('approving twice: the second gets the conflict exit code 5', async () => {
    const r = await hub(['plan', 'true', '--json'], {root})
    const id = (JSON.parse(r.stdout) as {pending_id: string}).pending_id
    expect((await hub(['approve', id], {root})).code).toBe(0)
    const again = await hub(['approve', id, '--json'], {root})
    expect(again.code).toBe(5)
    expect(JSON.parse(again.stdout)).toMatchObject({error: {code: 'conflict'}})
  })

  it('unknown ids are "not found" (exit 4), bad flags are usage errors (exit 2)', async () => {
    expect((await hub(['approve', '20250115_143122_e5f6a7b8'], {root})).code).toBe(4)
    expect((await hub(['approve', '../../etc/passwd'], {root})).code).toBe(4)
    expect((await hub(['plan', 'ls', '--timeout', '0'], {root})).code).toBe(2)
  })

  it('hub health exits 0 and reports the seed fields; 3 when no daemon answers', async () => {
    const r = await hub(['health', '--json'], {root})
    expect(r.code).toBe(0)
    // Healthy, or degraded only because this machine cannot contain runs.
    const health = JSON.parse(r.stdout) as {reasons: string[]; status: string}
    expect(health.reasons.filter((why) => !why.startsWith('Runs are not contained'))).toEqual([])
    expect(['healthy', 'degraded']).toContain(health.status)
    const away = await hub(['health'], {root, env: {AGENT_HUB_BASE: 'http://127.0.0.1:9'}})
    expect(away.code).toBe(3)
    expect(away.stderr).toMatch(/No hub daemon answered/)
  })

  it('refuses a command holding a control character, naming it; marks one in a note before showing it', async () => {
    const refused = await hub(['plan', 'echo "\u001B[2Jgotcha"'], {root})
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('U+001B ESC')
    const r = await hub(['plan', 'echo gotcha', '--note', 'note \u001B]0;title\u0007'], {root})
    expect(r.code).toBe(0)
    const table = await hub(['pending', '--full'], {root})
    expect(table.stdout).not.toContain('\u001B')
    expect(table.stdout).toContain('⟨U+001B ESC⟩]0;title⟨U+0007 BEL⟩')
    const id = /queued (\S+)/.exec(r.stdout)![1]!
    await hub(['deny', id], {root})
  })

  it('streams events over SSE with ids, and replays what a client missed', async () => {
    const token = (await readFile(join(root, 'runtime', 'operator_token.txt'), 'utf8')).trim()
    const audit = await readLines(join(root, 'runtime', 'audit.log'))
    const after = audit.at(-3)!.seq as number
    const res = await fetch(`${daemon.base}/events`, {
      headers: {'x-agent-token': token, 'last-event-id': String(after)},
    })
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/)
    const reader = res.body!.getReader()
    const parser = new SseParser()
    const got: HubEvent[] = []
    const planned = hub(['plan', 'echo live', '--json'], {root})
    while (got.length < 3 || !got.some((e) => e.type === 'command_queued' && e.data.command === 'echo live')) {
      const {value, done} = await reader.read()
      if (done) break
      got.push(...parser.push(Buffer.from(value)))
    }

    await reader.cancel()
    await planned
    expect(got.slice(0, 2).map((e) => e.id)).toEqual([after + 1, after + 2])
    const ids = got.map((e) => e.id!)
    expect(ids).toEqual([...ids].sort((a, b) => a - b))
    const live = got.find((e) => e.data.command === 'echo live')!
    expect(live.type).toBe('command_queued')
    const pendingId = live.data.pending_id as string
    await hub(['deny', pendingId], {root})
  })

  it('hub token rotate replaces the agent token at once; the CLI picks up the new one by itself', async () => {
    const old = (await readFile(join(root, 'runtime', 'agent_hub_token.txt'), 'utf8')).trim()
    const r = await hub(['token', 'rotate', '--agent', '--json'], {root})
    expect(r.code).toBe(0)
    const fresh = (await readFile(join(root, 'runtime', 'agent_hub_token.txt'), 'utf8')).trim()
    expect(fresh).not.toBe(old)
    expect(r.stdout).not.toContain(fresh)
    expect(JSON.parse(r.stdout)).toMatchObject({role: 'agent', daemon: true})
    const withOld = await fetch(`${daemon.base}/pending`, {headers: {'x-agent-token': old}})
    expect(withOld.status).toBe(401)
    const planned = await hub(['plan', 'echo after-rotation', '--json'], {root})
    expect(planned.code).toBe(0)
    await hub(['deny', (JSON.parse(planned.stdout) as {pending_id: string}).pending_id], {root})
  })

  it('keeps each audit line chained and every run in a record', async () => {
    const audit = await readLines(join(root, 'runtime', 'audit.log'))
    expect(audit.map((l) => l.seq)).toEqual(audit.map((_, i) => i + 1))
    const runs = await readdir(join(root, 'runtime', 'runs'))
    expect(runs.length).toBeGreaterThanOrEqual(3)
  })
})
