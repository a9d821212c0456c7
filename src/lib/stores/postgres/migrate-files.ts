/**
 * `hub store migrate --to postgres://…`: copies a runtime directory — its audit chain, waiting
 * requests, decisions, claims and runs with their outputs — into an empty team database, in one
 * transaction, then walks the copied chain and compares its end with the file's.
 *
 * The audit lines are copied as their exact text, so the chain (seq, prev, HMAC hash under this host's
 * key) is the same chain, and `hub audit --json` prints the same bytes before and after. The key
 * stays in the runtime directory (audit-key.ts): the database gets its id, and a head signed with it.
 *
 * Refused: a runtime directory whose daemon is running (it would go on writing to the files), a chain
 * that does not verify (it would be copied broken, and then look like the database's fault), and a
 * database that already holds requests, runs or lines — two chains cannot be merged, and no `--force`
 * is offered because the only way to "force" would be to throw one of them away.
 */
import {createReadStream} from 'node:fs'
import {createInterface} from 'node:readline'

import type {ClaimedRequest, DeniedRequest, PendingRequest, RunRecord} from '../../records.js'

import {readAuditKey} from '../../audit/key.js'
import {verifyAuditFile} from '../../audit/verify.js'
import {HubError} from '../../errors.js'
import {runtimePaths, RuntimeStore} from '../../store.js'
import {isFailedRun} from '../history.js'
import {hostKeyPath, signHead} from './audit-key.js'
import {connectPool, describeUrl} from './pool.js'
import {LOCKS, META, migrate} from './schema.js'
import {agentOf} from './store.js'
import {verifyPostgresChain} from './verify.js'

const BATCH = 1000

function str(v: unknown): null | string {
  return typeof v === 'string' ? v : null
}

export interface MigrateReport {
  audit_lines: number
  claimed: number
  decided: number
  /** The copied chain's end, as verified in the database. */
  last_hash: string
  last_seq: number
  pending: number
  runs: number
  to: string
}

/** Whether this runtime directory's daemon runs (on this machine). */
async function daemonRunning(files: RuntimeStore): Promise<number | undefined> {
  const info = await files.readDaemonInfo().catch(() => undefined)
  if (!info || !Number.isInteger(info.pid)) return undefined
  try {
    process.kill(info.pid, 0)
    return info.pid
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? info.pid : undefined
  }
}

async function readAll<T>(ids: string[], read: (id: string) => Promise<T | undefined>): Promise<T[]> {
  const out: T[] = []
  for (const id of ids) {
    const doc = await read(id)
    if (doc) out.push(doc)
  }

  return out
}

export async function migrateFiles(o: {host: string; runtimeDir: string; url: string}): Promise<MigrateReport> {
  const files = new RuntimeStore(o.runtimeDir)
  const paths = runtimePaths(o.runtimeDir)
  const pid = await daemonRunning(files)
  if (pid !== undefined) {
    throw new HubError(
      'conflict',
      `The daemon of ${o.runtimeDir} is running (pid ${pid}): it would go on writing to the files.`,
      {
        hint: 'Stop it (Ctrl-C, or kill the pid), migrate, then start it with --store.',
      },
    )
  }

  const chain = await verifyAuditFile(paths.audit)
  if (chain.missing) {
    throw new HubError('not_found', `No audit log at ${paths.audit}: nothing to migrate.`, {
      hint: 'Point --root or --runtime-dir at the runtime directory to copy.',
    })
  }

  if (!chain.ok) {
    throw new HubError(
      'conflict',
      `The audit chain of ${paths.audit} is broken (${chain.first_break!.reason}); it was not copied.`,
      {
        hint:
          'Run `hub audit verify` for the details; ' +
          'a broken chain copied would look like the database was tampered with.',
      },
    )
  }

  const keyState = await readAuditKey(hostKeyPath(o.runtimeDir))
  if (keyState.state !== 'ok') {
    throw new HubError(
      'conflict',
      `The audit key ${keyState.path} is ${keyState.state}: the chain could not go on after the copy.`,
      {
        hint: 'Run the migration as the user that runs the daemon, on its runtime directory.',
      },
    )
  }

  const {key} = keyState
  const pool = await connectPool(o.url, 2)
  try {
    const client = await pool.connect()
    const counts = {audit_lines: 0, claimed: 0, decided: 0, pending: 0, runs: 0}
    try {
      await migrate(client)
      await client.query('BEGIN')
      await client.query('SELECT pg_advisory_xact_lock($1)', [LOCKS.audit])
      const held = await client.query<{n: string}>(
        `SELECT (SELECT count(*) FROM hub_audit) + (SELECT count(*) FROM hub_requests) +
                (SELECT count(*) FROM hub_decisions) + (SELECT count(*) FROM hub_runs) AS n`,
      )
      if (Number(held.rows[0]!.n) > 0) {
        throw new HubError('conflict', `${describeUrl(o.url)} already holds hub data; nothing was copied.`, {
          hint: 'Migrate into a new, empty database (CREATE DATABASE …): two audit chains cannot be merged.',
        })
      }

      const live = await client.query<{host: string}>(
        "SELECT host FROM hub_hosts WHERE seen_at > now() - interval '60 seconds'",
      )
      if (live.rows.length > 0) {
        throw new HubError(
          'conflict',
          `A daemon uses ${describeUrl(o.url)} (host ${live.rows[0]!.host}); nothing was copied.`,
          {
            hint: 'Stop the daemons on that database first, or migrate into a new one.',
          },
        )
      }

      counts.audit_lines = await copyAudit(client, paths.audit)
      const pending = await readAll(await files.listPendingIds(), (id) => files.readPending(id))
      const claimed = await readAll(await files.listClaimedIds(), (id) => files.readClaimed(id))
      const denied = await readAll(await files.listDeniedIds(), (id) => files.readDenied(id))
      const runIds = await files.listRunIds()
      await insertRequests(client, o.host, pending, true)
      await insertRequests(client, o.host, claimed, false)
      await insertClaims(client, o.host, claimed)
      await insertDecisions(client, denied)
      for (let i = 0; i < runIds.length; i += 100) {
        const runs = await readAll(runIds.slice(i, i + 100), (id) => files.readRun(id).catch(() => undefined))
        await insertRuns(client, o.host, runs)
        counts.runs += runs.length
      }

      counts.pending = pending.length
      counts.claimed = claimed.length
      counts.decided = denied.length
      const keyedFrom = chain.checkpoint?.keyed_from ?? chain.keyed_from ?? chain.last_seq + 1
      await client.query(
        `INSERT INTO hub_meta (name, value) VALUES ($1, $2), ($3, $4)
         ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`,
        [
          META.keyId,
          key.id,
          META.head,
          signHead(key, {seq: chain.last_seq, hash: chain.last_hash, keyed_from: keyedFrom}),
        ],
      )
      await client.query('DELETE FROM hub_meta WHERE name = $1', [META.legacyKey])
      await client.query('COMMIT')
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
    }

    const copied = await verifyPostgresChain(pool, o.url, o.runtimeDir)
    if (!copied.ok || copied.last_seq !== chain.last_seq || copied.last_hash !== chain.last_hash) {
      const why = copied.first_break?.reason ?? `it ends at seq ${copied.last_seq}, the file at ${chain.last_seq}`
      throw new HubError('internal', `The copied chain does not verify in ${describeUrl(o.url)}: ${why}.`, {
        hint: 'The runtime directory is unchanged; report this, and drop the hub_* tables before trying again.',
      })
    }

    return {...counts, last_seq: copied.last_seq, last_hash: copied.last_hash, to: describeUrl(o.url)}
  } finally {
    await pool.end().catch(() => {})
  }
}

/** The log's lines as their exact text, in batches (a log of millions of lines never sits in memory). */
async function copyAudit(client: import('pg').PoolClient, path: string): Promise<number> {
  const cols = {
    seq: [] as number[],
    ts: [] as string[],
    event: [] as string[],
    pending: [] as Array<null | string>,
    run: [] as Array<null | string>,
    client: [] as Array<null | string>,
    actor: [] as Array<null | string>,
    line: [] as string[],
  }
  let n = 0
  const flush = async (): Promise<void> => {
    if (cols.seq.length === 0) return
    await client.query(
      `INSERT INTO hub_audit (seq, ts, event, pending_id, run_id, client, actor, line)
       SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[],
                            $7::text[], $8::text[])`,
      [cols.seq, cols.ts, cols.event, cols.pending, cols.run, cols.client, cols.actor, cols.line],
    )
    for (const c of Object.values(cols)) c.length = 0
  }

  const lines = createInterface({
    input: createReadStream(path, {encoding: 'utf8'}),
    crlfDelay: Number.POSITIVE_INFINITY,
  })
  for await (const line of lines) {
    if (line === '') continue
    // The chain verified just before, so every line is a chained JSON object.
    const e = JSON.parse(line) as Record<string, unknown>
    cols.seq.push(e.seq as number)
    cols.ts.push(str(e.ts) ?? new Date(0).toISOString())
    cols.event.push(String(e.event))
    cols.pending.push(str(e.pending_id))
    cols.run.push(str(e.run_id))
    cols.client.push(str(e.client))
    cols.actor.push(str((e.actor as undefined | {token?: unknown})?.token))
    cols.line.push(line)
    n++
    if (cols.seq.length >= BATCH) await flush()
  }

  await flush()
  return n
}

type Tx = import('pg').PoolClient

async function insertRequests(tx: Tx, host: string, docs: PendingRequest[], waiting: boolean): Promise<void> {
  for (const r of docs) {
    await tx.query(
      'INSERT INTO hub_requests (pending_id, host, agent, waiting, expires_ms, doc) VALUES ($1, $2, $3, $4, $5, $6)',
      [r.pending_id, r.host ?? host, agentOf(r.actor), waiting, Date.parse(r.expires_at) || 0, JSON.stringify(r)],
    )
  }
}

async function insertClaims(tx: Tx, host: string, docs: ClaimedRequest[]): Promise<void> {
  for (const c of docs) {
    // Started: this host's daemon ran (or runs) them; one cut short is recovered as with files.
    await tx.query(
      'INSERT INTO hub_claims (pending_id, run_id, host, state, started, doc) VALUES ($1, $2, $3, $4, TRUE, $5)',
      [c.pending_id, c.run_id, c.host ?? host, c.state, JSON.stringify(c)],
    )
  }
}

async function insertDecisions(tx: Tx, docs: DeniedRequest[]): Promise<void> {
  for (const d of docs) {
    await tx.query(
      'INSERT INTO hub_decisions (pending_id, agent, refused, decided_ms, doc) VALUES ($1, $2, $3, $4, $5)',
      [d.pending_id, agentOf(d.actor), d.by === 'policy', Date.parse(d.denied_at) || 0, JSON.stringify(d)],
    )
  }
}

async function insertRuns(tx: Tx, host: string, records: RunRecord[]): Promise<void> {
  for (const r of records) {
    const {stdout: _o, stderr: _e, ...summary} = r
    await tx.query(
      `INSERT INTO hub_runs (run_id, pending_id, agent, host, finished_at, summary, doc, failed)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        r.run_id,
        r.pending_id ?? null,
        r.requested_by ? agentOf(r.requested_by) : null,
        host,
        r.finished_at ?? new Date(0).toISOString(),
        JSON.stringify(summary),
        JSON.stringify(r),
        isFailedRun(r),
      ],
    )
  }
}
