/**
 * `hub approve` and `hub deny` from scripts (no terminal), with ids as people type them, several ids,
 * and `--all` narrowed by `--agent`/`--match`; and `hub denied`, which reads the files with no daemon
 * (issue 13). Requests are queued through the daemon's own HTTP API, as an agent would.
 */
import {mkdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type HubEvent, SseParser} from '../src/lib/client.js'
import {type DaemonProcess, hub, removeRoot, startDaemonProcess, tempRoot, waitFor} from './helpers.js'

let root: string
let daemon: DaemonProcess
let agentToken: string

beforeAll(async () => {
  root = await tempRoot('hub-approve-bulk-')
  // A flood of requests is the point of some tests here: the agent's rate limit is not.
  daemon = await startDaemonProcess(root, {AGENT_HUB_RATE_LIMIT_REQUESTS: '100000'})
  agentToken = (await readFile(join(root, 'runtime', 'agent_hub_token.txt'), 'utf8')).trim()
})
afterAll(async () => {
  await daemon?.stop()
  await removeRoot(root)
})

async function plan(command: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await fetch(`${daemon.base}/plan`, {
    method: 'POST',
    headers: {'content-type': 'application/json', 'x-agent-token': agentToken},
    body: JSON.stringify({command, note: 'bulk test', ...extra}),
  })
  const body = (await res.json()) as {pending_id: string}
  expect(res.status, JSON.stringify(body)).toBe(200)
  return body.pending_id
}

async function waiting(): Promise<string[]> {
  const r = await hub(['pending', '--json', '--limit', '10000'], {root})
  return (JSON.parse(r.stdout) as Array<{pending_id: string}>).map((p) => p.pending_id)
}

async function clearQueue(): Promise<void> {
  const ids = await waiting()
  if (ids.length > 0) expect((await hub(['deny', ...ids, '--reason', 'clean-up'], {root})).code).toBe(0)
}

describe('ids as people type them', () => {
  it('a unique end or start of an id is enough, for approve and deny', async () => {
    const a = await plan('echo by-suffix')
    const b = await plan('echo by-prefix')
    const approved = await hub(['approve', a.slice(-6)], {root})
    expect(approved.code, approved.stderr).toBe(0)
    expect(approved.stdout).toContain('by-suffix')
    expect(approved.stdout).toMatch(/exit 0/)
    const denied = await hub(['deny', b.slice(0, -1), '--json'], {root})
    expect(denied.code, denied.stderr).toBe(0)
    expect(JSON.parse(denied.stdout)).toMatchObject({pending_id: b, by: 'operator'})
  })

  it('an ambiguous one lists the candidates with their commands and is a usage error; nothing is decided', async () => {
    const a = await plan('echo candidate-one')
    const b = await plan('echo candidate-two')
    const common = a.slice(0, 9) // the day: every request of today starts with it
    const r = await hub(['approve', common], {root})
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`${a}  echo candidate-one`)
    expect(r.stderr).toContain(`${b}  echo candidate-two`)
    expect(r.stderr).toMatch(/fits 2 waiting requests/)
    const json = await hub(['deny', common, '--json'], {root})
    expect(json.code).toBe(2)
    const err = (JSON.parse(json.stdout) as {error: {candidates: string[]; code: string}}).error
    expect(err.code).toBe('usage')
    expect(err.candidates.sort()).toEqual([a, b].sort())
    expect((await waiting()).sort()).toEqual([a, b].sort())
    await clearQueue()
  })

  it('too short, not an id at all, or not waiting: not found (exit 4)', async () => {
    await plan('echo still-here')
    for (const typed of ['abc', '../../etc/passwd', 'ffffffffff'])
      expect((await hub(['deny', typed], {root})).code, typed).toBe(4)
    await clearQueue()
  })
})

describe('several ids and --all', () => {
  it('several ids without a terminal are each decided, in one process', async () => {
    const ids = [await plan('echo s-1'), await plan('echo s-2'), await plan('echo s-3')]
    const r = await hub(['deny', ...ids.map((id) => id.slice(-8)), '--reason', 'batch'], {root})
    expect(r.code, r.stderr).toBe(0)
    for (const id of ids) expect(r.stdout).toContain(`denied ${id}: batch`)
    expect(r.stdout).toContain('3 denied.')
    expect(await waiting()).toEqual([])
  })

  it('one that fails does not stop the others; the exit code says one failed', async () => {
    const ok = await plan('echo survivor')
    const r = await hub(['deny', ok, '20250101_000000_00000000', '--json'], {root})
    expect(r.code).toBe(4)
    const results = JSON.parse(r.stdout) as Array<{error?: {code: string}; pending_id: string}>
    expect(results[0]).toMatchObject({pending_id: ok})
    expect(results[1]?.error?.code).toBe('not_found')
  })

  it('--all needs --yes without a terminal; --agent and --match narrow it; 55 are denied in one go', async () => {
    const flood: string[] = []
    for (let i = 0; i < 55; i++) flood.push(await plan(`curl -s https://example.invalid/${i}`))
    const keep = await plan('echo keep-me', {client: 'mcp'})
    const noYes = await hub(['deny', '--all', '--match', 'curl'], {root})
    expect(noYes.code).toBe(2)
    expect(noYes.stderr).toContain('add --yes')
    expect((await waiting()).length).toBe(56)
    const none = await hub(['deny', '--all', '--agent', 'cursor', '--yes'], {root})
    expect(none.code).toBe(0)
    expect(none.stdout).toContain('No waiting request matches.')
    const started = Date.now()
    const r = await hub(['deny', '--all', '--agent', 'http', '--match', '/^curl -s https:/', '--yes', '--json'], {
      root,
    })
    const took = Date.now() - started
    expect(r.code, r.stderr).toBe(0)
    const denied = JSON.parse(r.stdout) as Array<{pending_id: string}>
    expect(denied.map((d) => d.pending_id)).toEqual(flood)
    expect(await waiting()).toEqual([keep])
    // One process for all 55 (issue 13 measured 45 s one by one); generous for a loaded machine.
    expect(took).toBeLessThan(30_000)
    console.log(`hub deny --all: 55 requests in ${took} ms`)
    const approved = await hub(['approve', '--all', '--agent', 'mcp', '--yes', '--json'], {root})
    expect(approved.code, approved.stderr).toBe(0)
    expect(JSON.parse(approved.stdout)).toMatchObject([{pending_id: keep, state: 'finished', exit_code: 0}])
  })

  it('words and flags that do not go together are usage errors', async () => {
    for (const args of [
      ['approve'],
      ['deny'],
      ['approve', '--agent', 'http'],
      ['deny', '--match', 'x', '20250101_000000_00000000'],
      ['approve', '--all', '20250101_000000_00000000'],
      ['deny', '--all', '--match', '/(/', '--yes'],
    ]) {
      const r = await hub(args, {root})
      expect(r.code, args.join(' ')).toBe(2)
    }
  })
})

describe('hub denied', () => {
  it('lists refused, denied, expired newest first, reasons whole and wrapped, with rule and who denied', async () => {
    const blocked = await fetch(`${daemon.base}/plan`, {
      method: 'POST',
      headers: {'content-type': 'application/json', 'x-agent-token': agentToken},
      body: JSON.stringify({command: 'rm -rf /'}),
    })
    expect(blocked.status).toBe(403)
    const blockedId = ((await blocked.json()) as {error: {pending_id: string}}).error.pending_id
    const long = `${'because '.repeat(36)}the end`
    const id = await plan('echo long-reason')
    expect((await hub(['deny', id, '--reason', long], {root})).code).toBe(0)
    // A file the original tool wrote: only the seed's fields.
    const seedId = '20250115_143122_e5f6a7b8'
    await mkdir(join(root, 'runtime', 'denied'), {recursive: true})
    const seed = {
      command: 'echo from-the-seed',
      note: 'old',
      pending_id: seedId,
      ts: 1_736_951_482,
      denied_ts: 1_736_955_082,
      denied_at: '2025-01-15T15:31:22',
      by: 'expired',
      reason: 'expired: not decided in time',
    }
    await writeFile(join(root, 'runtime', 'denied', `${seedId}.json`), JSON.stringify(seed))

    const r = await hub(['denied', '--limit', '100'], {root, env: {COLUMNS: '80', TZ: ''}})
    expect(r.code, r.stderr).toBe(0)
    const out = r.stdout
    expect(out.indexOf(id)).toBeLessThan(out.indexOf(blockedId))
    expect(out.indexOf(blockedId)).toBeLessThan(out.indexOf(seedId))
    const entry = out.slice(out.indexOf(id), out.indexOf('\n\n', out.indexOf(id)))
    expect(entry).toMatch(/reason: {2}because/)
    for (const line of entry.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80)
    expect(entry.replaceAll(/\s+/g, ' ')).toContain(long)
    expect(entry).toMatch(/by: {6}operator [\da-f]{8}/)
    const blockedEntry = out.slice(out.indexOf(blockedId), out.indexOf('\n\n', out.indexOf(blockedId)))
    expect(blockedEntry).toContain('blocked by policy')
    expect(blockedEntry).toMatch(/rule: {4}\S+/)
    const seedEntry = out.slice(out.indexOf(seedId))
    expect(seedEntry).toContain('expired')
    expect(seedEntry).toContain('2025-01-15 15:31:22 UTC')
    expect(out).toMatch(/\d+ in .*runtime\.\n$/)

    const json = await hub(['denied', '--json', '--limit', '100'], {root})
    const files = JSON.parse(json.stdout) as Array<Record<string, unknown>>
    expect(files.find((f) => f.pending_id === seedId)).toEqual(seed)
    expect(files.find((f) => f.pending_id === id)).toMatchObject({reason: long, by: 'operator'})

    const recent = JSON.parse(
      (await hub(['denied', '--json', '--since', '1h', '--limit', '1000'], {root})).stdout,
    ) as Array<{
      pending_id: string
    }>
    expect(recent.map((f) => f.pending_id)).not.toContain(seedId)
    expect(recent.map((f) => f.pending_id)).toContain(id)
    const one = await hub(['denied', '--limit', '1'], {root})
    expect(one.stdout).toMatch(/1 of \d+ \(newest first; --limit \d+ shows all\)/)
    expect(JSON.parse((await hub(['denied', '--json', '--agent', 'cursor'], {root})).stdout)).toEqual([])
  })

  it('needs no daemon, and says which runtime it read when it finds nothing', async () => {
    const empty = await tempRoot('hub-denied-empty-')
    try {
      const r = await hub(['denied'], {root: empty, env: {AGENT_HUB_BASE: 'http://127.0.0.1:9'}})
      expect(r.code).toBe(0)
      expect(r.stdout).toContain(`No refused, denied or expired requests in ${join(empty, 'runtime')}`)
      expect((await hub(['denied', '--since', 'yesterday-ish'], {root: empty})).code).toBe(2)
    } finally {
      await removeRoot(empty)
    }
  })
})

/** Reads an event stream into `got` until `stop` aborts it. */
async function follow(path: string, got: HubEvent[], stop: AbortSignal, opened: () => void): Promise<void> {
  const token = (await readFile(join(root, 'runtime', 'operator_token.txt'), 'utf8')).trim()
  const res = await fetch(`${daemon.base}${path}`, {headers: {'x-agent-token': token}, signal: stop})
  opened()
  const parser = new SseParser()
  try {
    for await (const chunk of res.body!) got.push(...parser.push(Buffer.from(chunk as Uint8Array)))
  } catch {
    // aborted: the test is done with it
  }
}

describe('live output on /events', () => {
  it('?output=1 carries run_output before run_finished; a character split between chunks arrives whole', async () => {
    const withOutput: HubEvent[] = []
    const without: HubEvent[] = []
    const stop = new AbortController()
    let open = 0
    const streams = [
      follow('/events?output=1', withOutput, stop.signal, () => open++),
      follow('/events', without, stop.signal, () => open++),
    ]
    await waitFor(() => open === 2, 'both streams open')
    // "x" and the first byte of "é" (C3 A9), then — once the test saw "x" — the second byte.
    const id = await plan(String.raw`printf 'x\303'; while [ ! -e go-utf8 ]; do sleep 0.05; done; printf '\251y\n'`)
    expect((await hub(['approve', id, '--yes', '--no-wait'], {root})).code).toBe(0)
    const mine = (e: HubEvent): boolean => e.data.pending_id === id
    await waitFor(() => withOutput.some((e) => mine(e) && e.type === 'run_output'), 'the first chunk')
    await writeFile(join(root, 'workspace', 'go-utf8'), '')
    await waitFor(() => withOutput.some((e) => mine(e) && e.type === 'run_finished'), 'run_finished')
    await waitFor(() => without.some((e) => mine(e) && e.type === 'run_finished'), 'run_finished without output')
    stop.abort()
    await Promise.all(streams)
    const types = withOutput.filter((e) => mine(e)).map((e) => e.type)
    expect(types.lastIndexOf('run_output')).toBeLessThan(types.indexOf('run_finished'))
    const text = withOutput
      .filter((e) => mine(e) && e.type === 'run_output')
      .map((e) => e.data.data)
      .join('')
    expect(text).toBe('x\u00E9y\n')
    expect(without.filter((e) => e.type === 'run_output')).toEqual([])
  })
})
