/**
 * The lifecycle, reliability and query suites, once per store (issue 16): a representative subset of
 * test/e2e.test.ts, test/recovery.test.ts and the query tests (test/audit-query.test.ts,
 * test/audit-verify.test.ts, test/runs-query.test.ts), run through the real CLI and daemon against the
 * runtime files and against a throwaway PostgreSQL, with the same expectations.
 * What the file suites check by reading runtime files is read here through the commands (`hub audit`,
 * `hub runs`), which answer from either store.
 */
import {spawn} from 'node:child_process'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type HubEvent, SseParser} from '../src/lib/client.js'
import {BIN, childEnv, type DaemonProcess, hub, removeRoot, startDaemonProcess, tempRoot, waitFor} from './helpers.js'
import {findPostgres, type PgCluster, startCluster} from './pg-cluster.js'

const PG_BIN = findPostgres()
if (!PG_BIN) {
  process.stderr.write(
    '\n!!! SKIPPING the PostgreSQL half of test/postgres-suites.test.ts: no PostgreSQL server binaries found.\n' +
      '!!! Install the Debian `postgresql` package or set HUB_TEST_PG_BIN.\n\n',
  )
}

let cluster: PgCluster | undefined

beforeAll(async () => {
  if (PG_BIN) cluster = await startCluster(PG_BIN)
}, 120_000)

afterAll(async () => {
  await cluster?.stop()
})

const STORES = [
  {name: 'files', skip: false},
  {name: 'postgres', skip: !PG_BIN},
] as const

describe.each(STORES)('on $name', ({name, skip}) => {
  let root: string
  let daemon: DaemonProcess
  const env: Record<string, string> = {AGENT_HUB_SANDBOX: 'none'}
  const run = (args: string[]): ReturnType<typeof hub> => hub(args, {root, env})

  const start = async (): Promise<void> => {
    daemon = await startDaemonProcess(root, env)
  }

  const planWait = (command: string): Promise<{code: number; stderr: string; stdout: string}> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, 'plan', command, '--wait'], {
        cwd: root,
        env: childEnv(root, env),
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

  const waitForPending = (command: string): Promise<string> =>
    waitFor(async () => {
      const r = await run(['pending', '--json'])
      const list = JSON.parse(r.stdout) as Array<{command: string; pending_id: string}>
      return list.find((p) => p.command === command)?.pending_id
    }, `${command} to be pending`)

  const planId = async (command: string): Promise<string> => {
    const r = await run(['plan', command, '--json'])
    expect(r.code, r.stderr).toBe(0)
    return (JSON.parse(r.stdout) as {pending_id: string}).pending_id
  }

  beforeAll(async () => {
    if (skip) return
    root = await tempRoot(`hub-suites-${name}-`)
    if (name === 'postgres') env.AGENT_HUB_STORE = await cluster!.url('hub_suites')
    await start()
  }, 120_000)

  afterAll(async () => {
    if (skip) return
    await daemon?.stop('SIGKILL')
    await removeRoot(root)
  })

  it.skipIf(skip)('plan --wait → approve prints the output and exits with the command’s own code', async () => {
    const planned = planWait('echo out; exit 7')
    const id = await waitForPending('echo out; exit 7')
    const approved = await run(['approve', id])
    expect(approved.stdout).toContain('out')
    const result = await planned
    expect(result.code).toBe(7)
    expect(result.stdout).toBe('out\n')
  })

  it.skipIf(skip)('deny ends a waiting plan with exit 8; a blocked plan exits 8 and queues nothing', async () => {
    const planned = planWait('echo never')
    const id = await waitForPending('echo never')
    expect((await run(['deny', id, '--reason', 'no'])).code).toBe(0)
    const result = await planned
    expect(result.code).toBe(8)
    expect(result.stderr).toContain('denied')

    const blocked = await run(['plan', 'rm -rf /', '--json'])
    expect(blocked.code).toBe(8)
    expect(JSON.parse(blocked.stdout)).toMatchObject({error: {code: 'policy_denied'}})
    const pending = JSON.parse((await run(['pending', '--json'])).stdout) as Array<{command: string}>
    expect(pending.map((p) => p.command)).not.toContain('rm -rf /')
    const lines = JSON.parse((await run(['audit', '--blocked', '--json'])).stdout) as Array<{command: string}>
    expect(lines.map((l) => l.command)).toEqual(['rm -rf /'])
  })

  it.skipIf(skip)('approving twice gives the conflict exit code 5; unknown ids are not found (4)', async () => {
    const id = await planId('true')
    expect((await run(['approve', id])).code).toBe(0)
    const again = await run(['approve', id, '--json'])
    expect(again.code).toBe(5)
    expect(JSON.parse(again.stdout)).toMatchObject({error: {code: 'conflict'}})
    expect((await run(['approve', '20250115_143122_e5f6a7b8'])).code).toBe(4)
  })

  it.skipIf(skip)('streams events over SSE with ids, and replays what a client missed', async () => {
    const token = (await readFile(join(root, 'runtime', 'operator_token.txt'), 'utf8')).trim()
    const audit = JSON.parse((await run(['audit', '--json'])).stdout) as Array<{seq: number}>
    const after = audit.at(-3)!.seq
    const res = await fetch(`${daemon.base}/events`, {
      headers: {'x-agent-token': token, 'last-event-id': String(after)},
    })
    const reader = res.body!.getReader()
    const parser = new SseParser()
    const got: HubEvent[] = []
    const planned = run(['plan', 'echo live', '--json'])
    while (!got.some((e) => e.type === 'command_queued' && e.data.command === 'echo live')) {
      const {value, done} = await reader.read()
      if (done) break
      got.push(...parser.push(Buffer.from(value)))
    }

    await reader.cancel()
    await planned
    expect(got.slice(0, 2).map((e) => e.id)).toEqual([after + 1, after + 2])
    const ids = got.map((e) => e.id!)
    expect(ids).toEqual([...ids].sort((a, b) => a - b))
    await run(['deny', got.find((e) => e.data.command === 'echo live')!.data.pending_id as string])
  })

  it.skipIf(skip)(
    'kill -9 mid-run: the run is recorded interrupted at the next start and never runs again',
    async () => {
      const id = await planId('sleep 30')
      const approved = await run(['approve', id, '--no-wait', '--json'])
      expect(approved.code, approved.stderr).toBe(0)
      await waitFor(async () => {
        const lines = JSON.parse((await run(['audit', '--json', '--event', 'run_started'])).stdout) as Array<{
          pending_id: string
        }>
        return lines.some((l) => l.pending_id === id)
      }, 'the run to start')
      await daemon.stop('SIGKILL')
      await start()

      const state = await waitFor(async () => {
        const token = (await readFile(join(root, 'runtime', 'agent_hub_token.txt'), 'utf8')).trim()
        const res = await fetch(`${daemon.base}/requests/${id}`, {headers: {'x-agent-token': token}})
        const body = (await res.json()) as {run_id?: string; state: string}
        return body.state === 'interrupted' ? body : undefined
      }, 'the run to be recorded interrupted')
      const record = JSON.parse((await run(['runs', 'show', state.run_id!, '--json'])).stdout) as Record<
        string,
        unknown
      >
      expect(record).toMatchObject({pending_id: id, interrupted: true, exit_code: null})
      expect((await run(['approve', id])).code).toBe(5)
      const failed = JSON.parse((await run(['runs', '--failed', '--json'])).stdout) as Array<{run_id: string}>
      expect(failed.map((r) => r.run_id)).toContain(state.run_id)
    },
  )

  it.skipIf(skip)('keeps every audit line chained; hub audit and hub runs answer the seed questions', async () => {
    const verify = await run(['audit', 'verify', '--json'])
    expect(verify.code, verify.stdout).toBe(0)
    const audit = JSON.parse((await run(['audit', '--json'])).stdout) as Array<{seq: number}>
    expect(audit.map((l) => l.seq)).toEqual(audit.map((_, i) => i + 1))
    const stats = JSON.parse((await run(['audit', '--executed', '--stats', '--json'])).stdout) as {
      duration_ms: {count: number}
    }
    expect(stats.duration_ms.count).toBeGreaterThanOrEqual(2)
    const runs = await run(['runs'])
    expect(runs.stdout).toContain('RunId')
    expect(runs.stdout).toContain('echo out; exit 7')
  })
})
