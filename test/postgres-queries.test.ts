/**
 * History on PostgreSQL (issue 16), on a real throwaway cluster:
 * - `hub audit` (filters, --json, --stats) and `hub runs` (list, show, --json) with --store answer
 *   what they answer on the files for the same lifecycle: bytes compared after normalising ids,
 *   times, hashes and tokens, which differ between two runs by nature;
 * - `hub tail` on daemon A sees events written by daemon B, also after its LISTEN connection is cut;
 * - `hub audit verify --store` catches rows rewritten with recomputed hashes, rows cut off the end,
 *   and a removed or forged head; a daemon without the team's key is refused;
 * - `hub store migrate --to` copies a runtime directory: the same bytes from `hub audit --json` and
 *   `hub runs --json`, the chain verified, and a daemon that goes on from there.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {createHmac, randomBytes} from 'node:crypto'
import {copyFile, mkdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import pg from 'pg'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {migrate} from '../src/lib/stores/postgres/schema.js'
import {BIN, childEnv, type DaemonProcess, hub, removeRoot, startDaemonProcess, tempRoot, waitFor} from './helpers.js'
import {findPostgres, type PgCluster, startCluster} from './pg-cluster.js'

const PG_BIN = findPostgres()
if (!PG_BIN) {
  process.stderr.write(
    '\n!!! SKIPPING test/postgres-queries.test.ts: no PostgreSQL server binaries (initdb, pg_ctl) found.\n' +
      '!!! Install the Debian `postgresql` package or set HUB_TEST_PG_BIN.\n\n',
  )
}

const BASE_ENV = {
  AGENT_HUB_HOST_NAME: 'host-q',
  AGENT_HUB_SANDBOX: 'none',
  AGENT_HUB_MAX_PENDING_PER_AGENT: '1000',
  AGENT_HUB_RATE_LIMIT_REQUESTS: '100000',
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

async function startNode(root: string, env: Record<string, string>, keyFrom?: string): Promise<Node> {
  if (keyFrom) {
    await mkdir(join(root, 'runtime'), {recursive: true, mode: 0o700})
    await copyFile(join(keyFrom, 'runtime', 'audit.key'), join(root, 'runtime', 'audit.key'))
  }

  const daemon = await startDaemonProcess(root, {...BASE_ENV, ...env})
  return {root, env, daemon, agent: await token(root, 'agent_hub_token.txt')}
}

async function plan(node: Node, command: string): Promise<{body: Record<string, unknown>; status: number}> {
  const res = await fetch(`${node.daemon.base}/plan`, {
    method: 'POST',
    headers: {'content-type': 'application/json', 'x-agent-token': node.agent},
    body: JSON.stringify({command, note: 'query test'}),
  })
  return {status: res.status, body: (await res.json()) as Record<string, unknown>}
}

async function cli(node: {env: Record<string, string>; root: string}, args: string[]): Promise<string> {
  const r = await hub(args, {root: node.root, env: node.env})
  expect(r.code, `hub ${args.join(' ')}: ${r.stderr}${r.stdout}`).toBe(0)
  return r.stdout
}

/** The same steps on any store: run, refused by policy, denied, failed run, left waiting. */
async function lifecycle(node: Node): Promise<void> {
  const ok = await plan(node, 'echo one')
  await cli(node, ['approve', ok.body.pending_id as string, '--json'])
  const blocked = await plan(node, 'rm -rf /')
  expect(blocked.status).toBeGreaterThanOrEqual(400)
  const denied = await plan(node, 'echo two')
  await cli(node, ['deny', denied.body.pending_id as string, '--reason', 'not now'])
  const failing = await plan(node, 'ls /nonexistent-dir-for-hub-test')
  await cli(node, ['approve', failing.body.pending_id as string, '--json'])
  expect((await plan(node, 'echo three')).status).toBe(200)
}

/**
 * What differs between two runs by nature: ids, times, hashes, keys, tokens, roots, and measured
 * figures (a run too short to be sampled has null for its peak RSS and CPU).
 */
function normalise(text: string, root: string): string {
  const ids = new Map<string, string>()
  return (
    text
      .replaceAll(root, '<root>')
      .replaceAll(/\d{8}_\d{6}_[\da-f]{8}/g, (id) => {
        if (!ids.has(id)) ids.set(id, `<id${ids.size + 1}>`)
        return ids.get(id)!
      })
      .replaceAll(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g, '<time>')
      .replaceAll(/\b[\da-f]{64}\b/g, '<hash>')
      .replaceAll(/"key_id":"[\da-f]{16}"/g, '"key_id":"<key>"')
      .replaceAll(/"token":(\s*)"[^"]*"/g, '"token":$1"<token>"')
      .replaceAll(/"agent":(\s*)"[\da-f]{8}"/g, '"agent":$1"<agent>"')
      // Where it was read from (--stats names it): a file path or the database.
      .replace(/"path": "[^"]*"/, '"path": <where>')
      .replaceAll(
        /"(duration_ms|cpu_ms|peak_rss_mb|ts|denied_ts|average|p50|p95|p99|max|min|total)":(\s*)(?:[\d.e+-]+|null)/g,
        '"$1":$2<n>',
      )
  )
}

describe.skipIf(!PG_BIN)('history on PostgreSQL', () => {
  let cluster: PgCluster
  const roots: string[] = []
  const daemons: DaemonProcess[] = []
  let files: Node
  let team: Node
  let teamUrl: string

  const newRoot = async (name: string): Promise<string> => {
    const root = await tempRoot(`hub-pgq-${name}-`)
    roots.push(root)
    return root
  }

  const started = async (root: string, env: Record<string, string>, keyFrom?: string): Promise<Node> => {
    const node = await startNode(root, env, keyFrom)
    daemons.push(node.daemon)
    return node
  }

  beforeAll(async () => {
    cluster = await startCluster(PG_BIN!)
    teamUrl = await cluster.url('hub_compat')
    ;[files, team] = await Promise.all([
      started(await newRoot('files'), {}),
      started(await newRoot('pg'), {AGENT_HUB_STORE: teamUrl}),
    ])
    await Promise.all([lifecycle(files), lifecycle(team)])
    // Stopped, so that both histories hold still while they are compared.
    await Promise.all([files.daemon.stop(), team.daemon.stop()])
  }, 180_000)

  afterAll(async () => {
    for (const d of daemons) await d.stop('SIGKILL')
    await cluster?.stop()
    for (const root of roots) await removeRoot(root)
  })

  it('hub audit and hub runs print the same JSON from PostgreSQL as from the files', async () => {
    const fp = async (node: Node): Promise<string> => {
      const lines = JSON.parse(await cli(node, ['audit', '--json', '--event', 'command_queued'])) as Array<{
        actor: {token: string}
      }>
      return lines[0]!.actor.token
    }

    const queries: Array<(node: Node) => Promise<string[]>> = [
      async () => ['audit', '--json'],
      async () => ['audit', '--json', '--blocked'],
      async () => ['audit', '--json', '--event', 'command_denied,command_executed'],
      async () => ['audit', '--json', '--client', 'http'],
      async (n) => ['audit', '--json', '--agent', await fp(n)],
      async () => ['audit', '--json', '--since', '1h'],
      async () => ['audit', '--json', '--grep', '^echo t'],
      async () => ['audit', '--json', '--limit', '3'],
      async () => ['audit', '--json', '--executed', '--limit', '1'],
      async () => ['audit', '--json', '--stats'],
      async () => ['runs', '--json'],
      async () => ['runs', '--json', '--failed'],
    ]
    const compare = async (query: (node: Node) => Promise<string[]>): Promise<void> => {
      const [fileArgs, pgArgs] = await Promise.all([query(files), query(team)])
      const [fromFiles, fromPg] = await Promise.all([
        cli(files, fileArgs).then((out) => normalise(out, files.root)),
        cli(team, pgArgs).then((out) => normalise(out, team.root)),
      ])
      expect(fromPg, `hub ${pgArgs.join(' ')}`).toBe(fromFiles)
      expect(fromFiles.length, `hub ${fileArgs.join(' ')}`).toBeGreaterThan(2)
    }

    // Two at a time (four CLI processes): the machine is shared.
    for (let i = 0; i < queries.length; i += 2) await Promise.all(queries.slice(i, i + 2).map((q) => compare(q)))

    // The table and `runs show` read the database too.
    const [newest] = JSON.parse(await cli(team, ['runs', '--json', '--last', '1'])) as Array<{run_id: string}>
    const show = await cli(team, ['runs', 'show', newest!.run_id, '--json'])
    expect(JSON.parse(show)).toMatchObject({run_id: newest!.run_id})
    expect(await cli(team, ['audit', '--blocked'])).toContain('rm -rf /')
    const missing = await hub(['runs', 'show', '20000101_000000_00000000'], {root: team.root, env: team.env})
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toContain('No run')
  })

  it('hub tail on daemon A sees what daemon B writes, also after its LISTEN connection is cut', async () => {
    const url = await cluster.url('hub_tail')
    const a = await started(await newRoot('ta'), {AGENT_HUB_STORE: url, AGENT_HUB_HOST_NAME: 'host-ta'})
    const b = await started(await newRoot('tb'), {AGENT_HUB_STORE: url, AGENT_HUB_HOST_NAME: 'host-tb'}, a.root)
    let out = ''
    const tail: ChildProcess = spawn(process.execPath, [BIN, 'tail', '--json', '--since', '0'], {
      cwd: a.root,
      env: childEnv(a.root, a.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    tail.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
    })
    try {
      // Replayed from seq 0, then followed live.
      const first = await plan(a, 'echo from-a')
      await waitFor(() => out.includes(first.body.pending_id as string), 'the tail to connect')
      const fromB = await plan(b, 'echo from-b')
      await waitFor(() => out.includes(fromB.body.pending_id as string), "B's line on A's tail")

      // A missed notification: every LISTEN connection is cut; A catches up from the table.
      const db = new pg.Client({connectionString: url})
      await db.connect()
      const cut = await db.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity ' +
          "WHERE query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()",
      )
      await db.end()
      expect(cut.rows.length).toBeGreaterThanOrEqual(2)
      const after = await plan(b, 'echo after-the-cut')
      await waitFor(() => out.includes(after.body.pending_id as string), "B's line after the cut on A's tail")
      const events = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as {pending_id?: string; type?: string})
      expect(events.filter((e) => e.pending_id === after.body.pending_id).length).toBeGreaterThanOrEqual(1)
    } finally {
      tail.kill('SIGTERM')
    }

    // A host without the team's key is refused: it could only write lines nobody can verify.
    await expect(
      startNode(await newRoot('tc'), {AGENT_HUB_STORE: url, AGENT_HUB_HOST_NAME: 'host-tc'}),
    ).rejects.toThrow(/keyed with key_id [\da-f]{16}/)

    // A database made by an earlier hub kept the key in hub_meta: the first daemon moves it to its host.
    const keyBytes = await readFile(join(a.root, 'runtime', 'audit.key'))
    const db = new pg.Client({connectionString: url})
    await db.connect()
    await db.query("DELETE FROM hub_meta WHERE name = 'audit_key_id'")
    await db.query("INSERT INTO hub_meta (name, value) VALUES ('audit_key', $1)", [keyBytes.toString('base64')])
    const d = await started(await newRoot('td'), {AGENT_HUB_STORE: url, AGENT_HUB_HOST_NAME: 'host-td'})
    expect((await readFile(join(d.root, 'runtime', 'audit.key'))).equals(keyBytes)).toBe(true)
    const meta = await db.query<{name: string}>("SELECT name FROM hub_meta WHERE name LIKE 'audit_key%' ORDER BY name")
    await db.end()
    expect(meta.rows.map((r) => r.name)).toEqual(['audit_key_id'])
    expect((await plan(d, 'echo with the moved key')).status).toBe(200)
    expect((await hub(['audit', 'verify', '--store', url], {root: d.root})).code).toBe(0)
  })

  it("an agent's limit holds across a transaction's requests: 6 at once with a limit of 3 give 3", async () => {
    const url = await cluster.url('hub_limit')
    const node = await started(await newRoot('lim'), {AGENT_HUB_STORE: url, AGENT_HUB_MAX_PENDING_PER_AGENT: '3'})
    const answers = await Promise.all(Array.from({length: 6}, (_, i) => plan(node, `echo limit-${i}`)))
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 429, 429, 429])
    expect((await plan(node, 'echo one more')).status).toBe(429)
    // A decision frees a place.
    const id = answers.find((a) => a.status === 200)!.body.pending_id as string
    await cli(node, ['deny', id])
    expect((await plan(node, 'echo after a decision')).status).toBe(200)
  })

  it('an older schema is brought up to date (version 2 fills the new columns from the rows)', async () => {
    const url = await cluster.url('hub_upgrade')
    const root = await newRoot('up')
    const none = await hub(['audit', '--json', '--store', url], {root})
    expect(none.code, none.stdout + none.stderr).toBe(4)
    expect(none.stdout + none.stderr).toContain('No hub tables')

    // Version 1 as an earlier hub left it: no client/actor/failed columns.
    const db = new pg.Client({connectionString: url})
    await db.connect()
    // migrate() opens and commits its own transaction; it takes a pool's client, which a Client serves as.
    await migrate(db as unknown as pg.PoolClient)
    await db.query('DELETE FROM hub_schema WHERE version > 1')
    await db.query('ALTER TABLE hub_audit DROP COLUMN client, DROP COLUMN actor')
    await db.query('ALTER TABLE hub_runs DROP COLUMN failed')
    const line = JSON.stringify({event: 'command_queued', client: 'mcp', actor: {role: 'agent', token: 'ab12'}, seq: 1})
    await db.query("INSERT INTO hub_audit (seq, ts, event, line) VALUES (1, now(), 'command_queued', $1)", [line])
    const summary = JSON.stringify({run_id: '20250101_000000_00000001', exit_code: 3})
    await db.query(
      "INSERT INTO hub_runs (run_id, finished_at, summary, doc) VALUES ('20250101_000000_00000001', now(), $1, $1)",
      [summary],
    )

    expect(JSON.parse(await cli({root, env: {AGENT_HUB_STORE: url}}, ['audit', '--json', '--client', 'mcp']))).toEqual([
      JSON.parse(line),
    ])
    const agent = await cli({root, env: {AGENT_HUB_STORE: url}}, ['audit', '--json', '--agent', 'ab12'])
    expect(JSON.parse(agent)).toHaveLength(1)
    const failed = await cli({root, env: {AGENT_HUB_STORE: url}}, ['runs', '--failed', '--json'])
    expect(JSON.parse(failed)).toEqual([JSON.parse(summary)])
    const versions = await db.query<{version: number}>('SELECT version FROM hub_schema ORDER BY version')
    await db.end()
    expect(versions.rows.map((r) => r.version)).toEqual([1, 2])
  })

  it('hub audit verify --store catches rewritten rows, rows cut off the end and a forged head', async () => {
    const db = new pg.Pool({connectionString: teamUrl, max: 2})
    const verify = async (): Promise<{code: number; kind?: string}> => {
      const r = await hub(['audit', 'verify', '--json', '--store', teamUrl], {root: team.root})
      const report = JSON.parse(r.stdout) as {first_break?: {kind: string}; ok: boolean}
      expect(report.ok).toBe(r.code === 0)
      return {code: r.code, kind: report.first_break?.kind}
    }

    const saved = await db.query<{line: string; seq: string}>('SELECT seq, line FROM hub_audit ORDER BY seq')
    const head = await db.query<{value: string}>("SELECT value FROM hub_meta WHERE name = 'audit_head'")
    const restore = async (): Promise<void> => {
      await db.query('DELETE FROM hub_audit WHERE seq > 0')
      for (const r of saved.rows)
        await db.query("INSERT INTO hub_audit (seq, ts, event, line) VALUES ($1, now(), 'x', $2)", [r.seq, r.line])
      await db.query(
        "INSERT INTO hub_meta (name, value) VALUES ('audit_head', $1) ON CONFLICT (name) DO UPDATE SET value = $1",
        [head.rows[0]!.value],
      )
    }

    try {
      expect(await verify()).toEqual({code: 0, kind: undefined})

      // Rewritten from a line on, every hash recomputed: with a guessed key, then with plain SHA-256.
      const victim = saved.rows.find((r) => r.line.includes('"echo two"'))!
      for (const hashOf of [
        (body: string): string => createHmac('sha256', randomBytes(32)).update(body).digest('hex'),
        (body: string): string => createHmac('sha256', '').update(body).digest('hex'),
      ]) {
        let prev: string | undefined
        for (const r of saved.rows.filter((x) => Number(x.seq) >= Number(victim.seq))) {
          let body = r.line.slice(0, r.line.lastIndexOf(',"hash":"')) + '}'
          if (r === victim) body = body.replace('"echo two"', '"echo TWO"')
          if (prev) body = body.replace(/"prev":"[\da-f]{64}"/, `"prev":"${prev}"`)
          prev = hashOf(body)
          await db.query('UPDATE hub_audit SET line = $2 WHERE seq = $1', [
            r.seq,
            `${body.slice(0, -1)},"hash":"${prev}"}`,
          ])
        }

        expect(await verify()).toEqual({code: 1, kind: 'hash_mismatch'})
        await restore()
      }

      expect((await verify()).code).toBe(0)
      await db.query('DELETE FROM hub_audit WHERE seq > $1', [saved.rows.length - 3])
      expect(await verify()).toEqual({code: 1, kind: 'truncated'})
      await db.query('TRUNCATE hub_audit')
      expect(await verify()).toEqual({code: 1, kind: 'truncated'})
      await restore()

      await db.query("DELETE FROM hub_meta WHERE name = 'audit_head'")
      expect(await verify()).toEqual({code: 1, kind: 'checkpoint_missing'})
      const forged = {...(JSON.parse(head.rows[0]!.value) as Record<string, unknown>), seq: 1}
      await db.query("INSERT INTO hub_meta (name, value) VALUES ('audit_head', $1)", [JSON.stringify(forged)])
      expect(await verify()).toEqual({code: 1, kind: 'checkpoint_invalid'})
      // Emptied altogether, head included: not mistaken for a new database.
      await db.query("DELETE FROM hub_meta WHERE name = 'audit_head'")
      await db.query('TRUNCATE hub_audit')
      expect(await verify()).toEqual({code: 1, kind: 'checkpoint_missing'})
      await restore()
      expect(await verify()).toEqual({code: 0, kind: undefined})
    } finally {
      await db.end()
    }
  })

  it('store migrate copies a runtime directory; the same bytes come back; a daemon goes on from there', async () => {
    const url = await cluster.url('hub_migrated')
    const report = JSON.parse(await cli(files, ['store', 'migrate', '--to', url, '--json'])) as Record<string, number>
    expect(report).toMatchObject({pending: 1, claimed: 2, decided: 2, runs: 2})
    expect(report.audit_lines).toBeGreaterThan(8)
    const withStore = {env: {AGENT_HUB_STORE: url}, root: files.root}
    for (const args of [
      ['audit', '--json'],
      ['audit', '--json', '--stats'],
      ['runs', '--json'],
    ]) {
      // Only where it was read from differs (--stats names it).
      const where = /"path": "[^"]*"/
      const fromPg = (await cli(withStore, args)).replace(where, '')
      expect(fromPg, args.join(' ')).toBe((await cli(files, args)).replace(where, ''))
    }

    const fileVerify = JSON.parse(await cli(files, ['audit', 'verify', '--json'])) as {last_hash: string}
    const pgVerify = JSON.parse(await cli(withStore, ['audit', 'verify', '--json'])) as {last_hash: string; ok: boolean}
    expect(pgVerify).toMatchObject({ok: true, last_hash: fileVerify.last_hash})

    // Refused, writing nothing: a running daemon, a broken chain, not a database URL.
    const busy = await newRoot('busy')
    await mkdir(join(busy, 'runtime'), {recursive: true})
    const info = {pid: process.pid, base: 'http://127.0.0.1:1', host: 'x', port: 1, started_at: '', version: ''}
    await writeFile(join(busy, 'runtime', 'daemon.json'), JSON.stringify(info))
    const running = await hub(['store', 'migrate', '--to', url], {root: busy})
    expect(running.code).not.toBe(0)
    expect(running.stderr).toContain('is running')
    const broken = await newRoot('broken')
    await mkdir(join(broken, 'runtime'), {recursive: true})
    await writeFile(join(broken, 'runtime', 'audit.log'), 'not a line\n')
    const torn = await hub(['store', 'migrate', '--to', await cluster.url('hub_never')], {root: broken})
    expect(torn.code).not.toBe(0)
    expect(torn.stderr).toContain('is broken')
    expect((await hub(['store', 'migrate', '--to', 'mysql://x'], {root: broken})).code).toBe(2)

    const again = await hub(['store', 'migrate', '--to', url], {root: files.root})
    expect(again.code).not.toBe(0)
    expect(again.stderr).toContain('already holds hub data')

    // The migrated host's daemon goes on with the chain in the database.
    const node = await started(files.root, {AGENT_HUB_STORE: url})
    const waiting = JSON.parse(await cli(node, ['pending', '--json'])) as Array<{command: string}>
    expect(waiting.map((w) => w.command)).toEqual(['echo three'])
    expect((await plan(node, 'echo after-migration')).status).toBe(200)
    const after = JSON.parse(await cli(withStore, ['audit', 'verify', '--json'])) as {last_seq: number; ok: boolean}
    expect(after.ok).toBe(true)
    expect(after.last_seq).toBe(report.last_seq! + 1)
  })
})
