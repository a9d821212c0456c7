/**
 * The runtime directory the query command tests read (`hub audit`, `hub audit verify`, `hub runs`,
 * `hub runs show`), with no daemon: eight audit lines of every kind, old and recent, and 15 runs. The
 * commands run in process through oclif's captureOutput.
 */
import {captureOutput} from '@oclif/test'
import {copyFile, mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'

import type {RunRecord} from '../src/lib/records.js'

import {AuditLog} from '../src/lib/audit/log.js'
import {newId} from '../src/lib/ids.js'
import {RuntimeStore} from '../src/lib/store.js'

export const REPO = resolve(import.meta.dirname, '..')

export interface Result {
  code: number
  stderr: string
  stdout: string
}

export type CommandClass = {run(argv: string[], opts?: string): Promise<unknown>}

export interface QueryRuntime {
  auditPath: string
  root: string
  /** Newest first, as `hub runs` lists them. */
  runIds: string[]
  runtime: string
}

/** Runs a command in process on `dir`, with NO_COLOR and no COLUMNS or TZ unless `env` sets them. */
export async function runQuery(
  cmd: CommandClass,
  args: string[],
  dir: string,
  env: Record<string, string | undefined> = {},
): Promise<Result> {
  const vars = {NO_COLOR: '1', COLUMNS: undefined, TZ: undefined, ...env}
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]))
  const set = (values: Record<string, string | undefined>): void => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }

  set(vars)
  try {
    const r = await captureOutput(() => cmd.run([...args, '--runtime-dir', dir], REPO))
    const err = r.error as (Error & {oclif?: {exit?: number}}) | undefined
    return {code: err ? (err.oclif?.exit ?? 1) : 0, stdout: r.stdout, stderr: r.stderr}
  } finally {
    set(saved)
  }
}

function record(runId: string, over: Partial<RunRecord> = {}): RunRecord {
  return {
    run_id: runId,
    cwd: '/work/space',
    command: 'echo hi',
    exit_code: 0,
    stdout: 'hi\n',
    stderr: '',
    ts: 1_705_329_082.456,
    duration_ms: 142.54,
    pending_id: null,
    note: '',
    approved_by: {role: 'operator', token: '9f8e7d6c'},
    timed_out: false,
    interrupted: false,
    stdout_truncated: false,
    stderr_truncated: false,
    stdout_bytes: 3,
    stderr_bytes: 0,
    peak_rss_mb: 12.5,
    cpu_ms: 30,
    policy: {decision: 'ask', rule: null, reason: 'no rule matched'},
    started_at: '2025-01-15T14:31:22.456Z',
    finished_at: '2025-01-15T14:31:22.599Z',
    ...over,
  }
}

const hoursAgo = (h: number): string => new Date(Date.now() - h * 3_600_000).toISOString()

export async function makeQueryRuntime(): Promise<QueryRuntime> {
  const root = await mkdtemp(join(tmpdir(), 'hub-query-'))
  const runtime = join(root, 'runtime')
  const store = new RuntimeStore(runtime)
  await store.init()
  const auditPath = store.paths.audit
  const log = await AuditLog.open(auditPath)
  // Three old executions, two recent ones, blocked commands old and new, and the other events.
  await log.append({
    event: 'command_executed',
    run_id: '20250115_143122_e5f6a7b8',
    command: 'Get-Process python',
    exit_code: 0,
    duration_ms: 100,
    ts: hoursAgo(30),
  })
  await log.append({
    event: 'command_blocked',
    run_id: '20250115_143200_a1b2c3d4',
    reason: String.raw`deny:\b(Remove-Item|del)`,
    command: String.raw`Remove-Item C:\Windows\*`,
    ts: hoursAgo(29),
  })
  await log.append({
    event: 'command_executed',
    run_id: '20250115_150000_00000001',
    command: 'npm test',
    exit_code: 1,
    duration_ms: 300,
    ts: hoursAgo(28),
  })
  await log.append({
    event: 'command_executed',
    run_id: '20250115_150000_00000002',
    command: 'ls',
    exit_code: 0,
    duration_ms: 200,
    ts: hoursAgo(5),
  })
  await log.append({
    event: 'command_queued',
    pending_id: '20250115_150000_00000003',
    command: 'git status',
    ts: hoursAgo(0.5),
  })
  await log.append({
    event: 'command_blocked',
    run_id: '20250115_150000_00000004',
    reason: 'deny:destructive.rm-root',
    command: 'rm -rf / \u001B[2J',
    ts: hoursAgo(0.4),
  })
  await log.append({
    event: 'command_executed',
    run_id: '20250115_150000_00000005',
    command: 'git status',
    exit_code: 0,
    duration_ms: 50,
    ts: hoursAgo(0.3),
  })
  await log.append({
    event: 'command_executed',
    run_id: '20250115_150000_00000006',
    command: 'git log',
    exit_code: 0,
    duration_ms: 150,
    ts: hoursAgo(0.2),
  })
  await log.close()

  const runIds: string[] = []
  // 15 runs, one a minute; every fourth failed; one timed out; the newest has control characters.
  const start = Date.UTC(2025, 0, 15, 14, 0, 0)
  for (let i = 0; i < 15; i++) {
    const id = newId(new Date(start + i * 60_000))
    runIds.push(id)
    const over: Partial<RunRecord> = {command: `job ${i}`, ts: (start + i * 60_000) / 1000}
    if (i % 4 === 0) over.exit_code = 2
    if (i === 13) Object.assign(over, {exit_code: 124, timed_out: true})
    if (i === 14)
      Object.assign(over, {
        command: 'printf "\u001B[31mred"',
        stdout: 'line 1\n\u001B[2Jline 2\n',
        stderr: 'warn\u0007\n',
        stdout_truncated: true,
        stdout_bytes: 5_000_000,
      })
    await store.writeRun(record(id, over))
  }

  runIds.reverse() // newest first, as listed
  return {auditPath, root, runIds, runtime}
}

export async function logLines(auditPath: string): Promise<Array<Record<string, unknown>>> {
  return (await readFile(auditPath, 'utf8'))
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

/** A copy of the runtime's audit log (edited by `edit`), with its key and head, to break on purpose. */
export async function copyRuntime(q: QueryRuntime, name: string, edit?: (text: string) => string): Promise<string> {
  const dir = join(q.root, name)
  await new RuntimeStore(dir).init()
  const text = await readFile(q.auditPath, 'utf8')
  await writeFile(join(dir, 'audit.log'), edit ? edit(text) : text)
  for (const f of ['audit.key', 'audit.head']) await copyFile(join(q.runtime, f), join(dir, f))
  return dir
}
