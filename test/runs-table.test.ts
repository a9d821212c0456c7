/**
 * `hub runs` names the client (issue 14) like the pending table: a Client column once any run came
 * through an integration, the agent's own runs marked, and on a narrow terminal the optional columns
 * left out before the command is squeezed. The real CLI on a runtime written by the store, at 80 and
 * 200 columns.
 */
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {RunRecord} from '../src/lib/records.js'

import {newId} from '../src/lib/ids.js'
import {RuntimeStore} from '../src/lib/store.js'
import {hub, removeRoot, tempRoot} from './helpers.js'

let root: string
const ids: string[] = []
const LONG = `npm test -- --reporter verbose ${'--grep "a long pattern" '.repeat(8)}> /tmp/out.txt`

function record(runId: string, ts: number, over: Partial<RunRecord>): RunRecord {
  return {
    run_id: runId,
    cwd: '/work/space',
    command: 'echo hi',
    exit_code: 0,
    stdout: '',
    stderr: '',
    ts,
    duration_ms: 1500,
    pending_id: null,
    note: '',
    approved_by: {role: 'operator', token: '9f8e7d6c'},
    timed_out: false,
    interrupted: false,
    stdout_truncated: false,
    stderr_truncated: false,
    stdout_bytes: 0,
    stderr_bytes: 0,
    peak_rss_mb: null,
    cpu_ms: null,
    policy: {decision: 'ask', rule: null, reason: 'no rule matched'},
    started_at: new Date(ts * 1000).toISOString(),
    finished_at: new Date(ts * 1000 + 1500).toISOString(),
    ...over,
  }
}

beforeAll(async () => {
  root = await tempRoot('hub-runs-table-')
  const store = new RuntimeStore(join(root, 'runtime'))
  await store.init()
  const start = Date.now() - 3_600_000
  const runs: Array<Partial<RunRecord>> = [
    {command: 'ls -la'},
    {command: 'git status', client: 'claude-code'},
    {command: 'make', client: 'codex', executor: 'codex', exit_code: 2},
    {command: LONG, client: 'mcp'},
  ]
  for (const [i, over] of runs.entries()) {
    const ts = (start + i * 60_000) / 1000
    const id = newId(new Date(ts * 1000))
    ids.push(id)
    await store.writeRun(record(id, ts, over))
  }
})

afterAll(async () => {
  await removeRoot(root)
})

async function table(columns: number, extra: string[] = []): Promise<string[]> {
  const r = await hub(['runs', ...extra], {root, env: {COLUMNS: String(columns)}})
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
  return r.stdout.trimEnd().split('\n')
}

const rowOf = (rows: string[], id: string): string => rows.find((r) => r.startsWith(id)) ?? ''

describe('hub runs: the client column', () => {
  it('at 200 columns: Client after RunId, agent runs marked, plain API runs as http', async () => {
    const rows = await table(200)
    expect(rows[0]).toMatch(/^RunId\s+Client\s+Command\s+ExitCode\s+DurationMs\s+Started \(.+\)\s+Age$/)
    expect(rowOf(rows, ids[0]!)).toMatch(/\shttp\s+ls -la\s/)
    expect(rowOf(rows, ids[1]!)).toMatch(/\sclaude-code\s+git status\s/)
    expect(rowOf(rows, ids[2]!)).toMatch(/\scodex \(ran it\)\s+make\s+2\s/)
    expect(rowOf(rows, ids[3]!)).toMatch(/\smcp\s+npm test/)
    // Too long even at 200: cut with the mark that says how much and where to see it whole.
    expect(rows.join('\n')).toMatch(new RegExp(`… \\+\\d+ chars, hub runs show ${ids[3]}`))
    for (const line of rows) expect(line.length).toBeLessThanOrEqual(200)
  })

  it('at 80 columns: Client (then Age, Started) left out before the command is squeezed; nothing wider', async () => {
    const rows = await table(80)
    expect(rows[0]).toMatch(/^RunId\s+Command\s+ExitCode\s+DurationMs$/)
    expect(rows.join('\n')).not.toContain('claude-code')
    expect(rowOf(rows, ids[1]!)).toMatch(/\sgit status\s+0\s/)
    expect(rows.join('\n')).toMatch(/… \+\d+ chars/)
    for (const line of rows) expect(line.length).toBeLessThanOrEqual(80)
  })

  it('--json keeps client and executor', async () => {
    const r = await hub(['runs', '--json'], {root})
    const list = JSON.parse(r.stdout) as RunRecord[]
    expect(list.find((x) => x.run_id === ids[2])).toMatchObject({client: 'codex', executor: 'codex'})
  })

  it('hub runs show names the client and who ran it', async () => {
    const r = await hub(['runs', 'show', ids[2]!], {root})
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/client\s+codex/)
    expect(r.stdout).toMatch(/run by\s+codex \(the agent ran it\)/)
  })
})
