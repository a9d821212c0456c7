/**
 * Team mode on a real PostgreSQL (issue 16): two daemons — two roots, two ports, two host names —
 * on one throwaway database. A request planned on A and approved from B's CLI runs on A; 30
 * concurrent approvals from both give one run; kill -9 of one daemon mid-burst loses no acknowledged
 * request; the audit chain verifies.
 */
import {copyFile, mkdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'
import pg from 'pg'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type DaemonProcess, hub, removeRoot, startDaemonProcess, tempRoot, waitFor} from './helpers.js'
import {findPostgres, type PgCluster, startCluster} from './pg-cluster.js'

const PG_BIN = findPostgres()
if (!PG_BIN) {
  process.stderr.write(
    '\n!!! SKIPPING test/postgres-team.test.ts: no PostgreSQL server binaries (initdb, pg_ctl) found.\n' +
      '!!! Install the Debian `postgresql` package or set HUB_TEST_PG_BIN.\n\n',
  )
}

interface Node {
  agent: string
  daemon: DaemonProcess
  env: Record<string, string>
  root: string
}

async function token(root: string, file: string): Promise<string> {
  return (await readFile(join(root, 'runtime', file), 'utf8')).trim()
}

async function plan(node: Node, command: string): Promise<{body: Record<string, unknown>; status: number}> {
  const res = await fetch(`${node.daemon.base}/plan`, {
    method: 'POST',
    headers: {'content-type': 'application/json', 'x-agent-token': node.agent},
    body: JSON.stringify({command}),
  })
  return {status: res.status, body: (await res.json()) as Record<string, unknown>}
}

describe.skipIf(!PG_BIN)('team mode: two daemons on one PostgreSQL', () => {
  let cluster: PgCluster
  let url: string
  let db: pg.Pool
  const nodes: Node[] = []
  let a: Node
  let b: Node

  async function startNode(name: string, root?: string): Promise<Node> {
    const dir = root ?? (await tempRoot(`hub-team-${name}-`))
    // The chain's key stays on the hosts, never in the database: every host after the first gets a copy.
    if (!root && nodes.length > 0) {
      await mkdir(join(dir, 'runtime'), {recursive: true, mode: 0o700})
      await copyFile(join(nodes[0]!.root, 'runtime', 'audit.key'), join(dir, 'runtime', 'audit.key'))
    }

    const env = {
      AGENT_HUB_STORE: url,
      AGENT_HUB_HOST_NAME: `host-${name}`,
      AGENT_HUB_SANDBOX: 'none',
      AGENT_HUB_MAX_PENDING_PER_AGENT: '1000',
      AGENT_HUB_RATE_LIMIT_REQUESTS: '100000',
    }
    const daemon = await startDaemonProcess(dir, env)
    const node = {root: dir, env, daemon, agent: await token(dir, 'agent_hub_token.txt')}
    nodes.push(node)
    return node
  }

  beforeAll(async () => {
    cluster = await startCluster(PG_BIN!)
    url = await cluster.url('hub_team')
    db = new pg.Pool({connectionString: url, max: 2})
    a = await startNode('a')
    b = await startNode('b')
  }, 120_000)

  afterAll(async () => {
    for (const n of nodes) await n.daemon.stop('SIGKILL')
    await db?.end()
    await cluster?.stop()
    for (const root of new Set(nodes.map((n) => n.root))) await removeRoot(root)
  })

  it('a request planned on A, approved from B, runs on A; hub pending on B shows the host', async () => {
    const planned = await plan(a, 'pwd')
    expect(planned.status).toBe(200)
    const id = planned.body.pending_id as string

    const pending = await hub(['pending', '--json'], {root: b.root})
    expect(pending.code).toBe(0)
    const listed = (JSON.parse(pending.stdout) as Array<{host?: string; pending_id: string}>).find(
      (r) => r.pending_id === id,
    )
    expect(listed?.host).toBe('host-a')
    const table = await hub(['pending'], {root: b.root})
    expect(table.stdout).toContain('host-a')

    const approved = await hub(['approve', id, '--json'], {root: b.root})
    expect(approved.code, approved.stderr + approved.stdout + a.daemon.output() + b.daemon.output()).toBe(0)
    const record = JSON.parse(approved.stdout) as {cwd: string; exit_code: number; stdout: string}
    expect(record.exit_code).toBe(0)
    // It ran in A's workspace, by A's daemon.
    expect(record.stdout.trim()).toContain(join(a.root, 'workspace'))
    expect(a.daemon.output()).toContain(`Starting run`)
    const {rows} = await db.query<{host: string}>('SELECT host FROM hub_runs WHERE pending_id = $1', [id])
    expect(rows).toEqual([{host: 'host-a'}])
  })

  it("B's console shows the shared audit: lines A recorded, and the database chain's state", async () => {
    const marker = `echo console-sees-${Date.now()}`
    expect((await plan(a, marker)).status).toBe(200)
    const link = await hub(['open', '--print-url'], {root: b.root})
    expect(link.code, link.stderr).toBe(0)
    const url = link.stdout.trim().split('\n').at(-1)!
    const code = url.slice(url.indexOf('#code=') + 6)
    const login = await fetch(`${b.daemon.base}/console/login`, {
      method: 'POST',
      headers: {'content-type': 'application/json', origin: b.daemon.base},
      body: JSON.stringify({code}),
    })
    expect(login.status).toBe(200)
    const cookie = /hub_session=[^;]+/.exec(String(login.headers.get('set-cookie')))![0]
    const page = await fetch(`${b.daemon.base}/console/audit`, {headers: {cookie}})
    expect(page.status).toBe(200)
    const html = await page.text()
    // Planned on A: only the database has it, B's runtime directory has no audit of its own.
    expect(html).toContain(marker)
    expect(html).toContain('Intact:')
  })

  it('30 concurrent approvals from both daemons give exactly one run', async () => {
    const planned = await plan(a, 'echo once')
    const id = planned.body.pending_id as string
    const operators = [await token(a.root, 'operator_token.txt'), await token(b.root, 'operator_token.txt')]
    const answers = await Promise.all(
      Array.from({length: 30}, async (_, i) => {
        const node = i % 2 === 0 ? a : b
        const res = await fetch(`${node.daemon.base}/approve/${id}?wait=0`, {
          method: 'POST',
          headers: {'content-type': 'application/json', 'x-agent-token': operators[i % 2]!},
          body: '{}',
        })
        await res.arrayBuffer()
        return res.status
      }),
    )
    expect(
      answers.filter((s) => s === 200 || s === 202),
      JSON.stringify(answers),
    ).toHaveLength(1)
    expect(answers.filter((s) => s === 409)).toHaveLength(29)
    await waitFor(async () => {
      const {rows} = await db.query('SELECT 1 FROM hub_runs WHERE pending_id = $1', [id])
      return rows.length === 1
    }, 'the one run')
    const approvals = await db.query("SELECT 1 FROM hub_audit WHERE event = 'command_approved' AND pending_id = $1", [
      id,
    ])
    expect(approvals.rows).toHaveLength(1)
    const claims = await db.query('SELECT host FROM hub_claims WHERE pending_id = $1', [id])
    expect(claims.rows).toEqual([{host: 'host-a'}])
  })

  it('kill -9 of one daemon mid-burst loses no acknowledged request; the chain verifies', async () => {
    const acknowledged: string[] = []
    const state = {stop: false}
    const burst = async (node: Node, tag: string): Promise<void> => {
      for (let i = 0; !state.stop && i < 400; i++) {
        try {
          const r = await plan(node, `echo ${tag}-${i}`)
          if (r.status === 200) acknowledged.push(r.body.pending_id as string)
        } catch {
          // The killed daemon's connections fail: those were never acknowledged.
        }
      }
    }

    const clients = [...Array.from({length: 4}, () => burst(a, 'a')), ...Array.from({length: 4}, () => burst(b, 'b'))]
    await waitFor(() => acknowledged.length >= 80, 'the burst to get going')
    a.daemon.child.kill('SIGKILL')
    await waitFor(() => acknowledged.length >= 160, 'more acknowledged on B')
    state.stop = true
    await Promise.all(clients)

    const {rows} = await db.query<{pending_id: string}>(
      'SELECT pending_id FROM hub_requests WHERE pending_id = ANY($1)',
      [acknowledged],
    )
    expect(rows.length).toBe(acknowledged.length)
    const queued = await db.query<{n: string}>(
      "SELECT count(DISTINCT pending_id) AS n FROM hub_audit WHERE event = 'command_queued' AND pending_id = ANY($1)",
      [acknowledged],
    )
    expect(Number(queued.rows[0]!.n)).toBe(acknowledged.length)

    // A comes back on the same root and host name and takes requests again.
    a = await startNode('a', a.root)
    expect((await plan(a, 'echo back')).status).toBe(200)

    const verify = await hub(['audit', 'verify', '--json', '--store', url], {root: b.root})
    expect(verify.code, verify.stdout + verify.stderr).toBe(0)
    const report = JSON.parse(verify.stdout) as {lines: number; ok: boolean}
    expect(report.ok).toBe(true)
    expect(report.lines).toBeGreaterThan(acknowledged.length)
  })
})
