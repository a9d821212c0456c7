/**
 * Every write of the PostgreSQL store goes through here: a state change and its audit line(s) in one
 * transaction, the audit chain extended under an advisory lock so that one writer at a time, across
 * every daemon on the database, reads the chain's tail and appends to it (SPEC §7.8).
 *
 * Group commit, as the file log does it: the transitions waiting when a transaction starts share it,
 * so 32 clients share one lock, one chain read and one WAL flush instead of queueing behind each
 * other's. A transition that is refused (a conflict, a limit) throws a HubError before it writes
 * anything, so the others in its transaction go on; an SQL error aborts the transaction, and the
 * transitions not yet settled are then tried again one transaction each, so one bad row cannot sink
 * its neighbours. A caller's promise resolves only after COMMIT.
 */
import type {Pool, PoolClient} from 'pg'

import type {AuditKey} from '../../audit/key.js'
import type {Logger} from '../../logger.js'

import {GENESIS_HASH, sealLine} from '../../audit/chain.js'
import {type AuditEntry, type AuditFields} from '../../audit/entry.js'
import {HubError} from '../../errors.js'
import {signHead} from './audit-key.js'
import {LOCKS, META, NOTIFY_CHANNEL} from './schema.js'

/** The transition: its statements (which must throw before writing when they refuse) and its lines. */
export type Work = (tx: PoolClient) => Promise<AuditFields[]>

/**
 * A new waiting request, the hot path (`POST /plan`): inserted with the others of its transaction in
 * one statement, after one count per agent for the whole batch, so a batch of 32 costs two round
 * trips instead of 32 (the round trips under the chain's lock are what limits throughput).
 */
export interface QueuedRow {
  agent: null | string
  doc: string
  expiresMs: number
  host: string
  lines: AuditFields[]
  maxPerAgent: number
  pendingId: string
  /** Refusals after this (epoch ms) count against the agent. */
  refusalsSince: number
  /** The error for an agent over its limit. */
  tooMany: () => HubError
}

interface Job {
  queued?: QueuedRow
  reject: (err: unknown) => void
  resolve: (entries: AuditEntry[]) => void
  settled: boolean
  work?: Work
}

/** Waiting requests plus recent refusals per agent, each count stopping at the limit. */
const LOAD_SQL = `SELECT a.agent,
  (SELECT count(*) FROM (SELECT 1 FROM hub_requests WHERE waiting AND agent = a.agent LIMIT $3) w) +
  (SELECT count(*) FROM (SELECT 1 FROM hub_decisions WHERE refused AND agent = a.agent AND decided_ms > $2 LIMIT $3) d)
  AS n FROM unnest($1::text[]) AS a(agent)`

/** More than this in one transaction only makes each caller wait longer. */
const MAX_BATCH = 128

export function unavailable(error: unknown): HubError {
  if (error instanceof HubError) return error
  const {message} = error as Error
  return new HubError(
    'storage_unavailable',
    `The PostgreSQL store refused the write (${message}); nothing was acknowledged.`,
    {
      hint: 'Check that the database is up and reachable (AGENT_HUB_STORE), then try again.',
      cause: error as Error,
    },
  )
}

function stringOrNull(v: unknown): null | string {
  return typeof v === 'string' ? v : null
}

/** Counts a new request against its agent, or throws the agent's limit error (before anything is written). */
function admitQueued(row: QueuedRow, load: Map<string, number>): void {
  if (row.agent === null) return
  const n = load.get(row.agent) ?? 0
  if (n >= row.maxPerAgent) throw row.tooMany()
  load.set(row.agent, n + 1)
}

export class AuditWriter {
  /** Set after a failed transaction: when; cleared by the next one that commits. */
  failedAt: string | undefined
  private closed = false
  private readonly committed: (entries: AuditEntry[]) => void
  private flushing: Promise<void> | undefined
  private readonly key: AuditKey
  /** From which seq the chain is keyed (1, or after the unkeyed lines of a migrated log). */
  private readonly keyedFrom: number
  private readonly log: Logger
  private readonly pool: Pool
  private queue: Job[] = []

  constructor(o: {
    committed: (entries: AuditEntry[]) => void
    key: AuditKey
    keyedFrom: number
    log: Logger
    pool: Pool
  }) {
    this.pool = o.pool
    this.key = o.key
    this.keyedFrom = o.keyedFrom
    this.committed = o.committed
    this.log = o.log
  }

  /** Waits for the queued transitions, then takes no more. */
  async close(): Promise<void> {
    this.closed = true
    while (this.flushing) await this.flushing
  }

  /** Runs `work` in a transaction with others and resolves with its sealed lines once committed. */
  run(work: Work): Promise<AuditEntry[]> {
    return this.enqueue({work})
  }

  /** Queues a new waiting request (see QueuedRow); resolves with its lines once committed. */
  runQueued(row: QueuedRow): Promise<AuditEntry[]> {
    return this.enqueue({queued: row})
  }

  /** How many waiting requests and recent refusals each agent of the batch's new requests has. */
  private async agentLoad(client: PoolClient, batch: Job[]): Promise<Map<string, number>> {
    const rows = batch.flatMap((j) => (j.queued?.agent ? [j.queued] : []))
    const load = new Map<string, number>()
    if (rows.length === 0) return load
    const {rows: counts} = await client.query<{agent: string; n: string}>(LOAD_SQL, [
      [...new Set(rows.map((r) => r.agent))],
      Math.min(...rows.map((r) => r.refusalsSince)),
      Math.max(...rows.map((r) => r.maxPerAgent)),
    ])
    for (const c of counts) load.set(c.agent, Number(c.n))
    return load
  }

  private async commit(batch: Job[]): Promise<void> {
    const client = await this.pool.connect()
    let broken = false
    try {
      // One round trip: the transaction, the chain's lock and its tail (constants only, so one text).
      const opened = (await client.query(
        `BEGIN; SELECT pg_advisory_xact_lock(${LOCKS.audit}); ` +
          "SELECT seq, line::json->>'hash' AS hash FROM hub_audit ORDER BY seq DESC LIMIT 1",
      )) as unknown as Array<{rows: Array<{hash: string; seq: string}>}>
      const tail = opened[2]!
      let seq = tail.rows[0] ? Number(tail.rows[0].seq) : 0
      let prev = tail.rows[0]?.hash ?? GENESIS_HASH
      const done: Array<{entries: AuditEntry[]; job: Job}> = []
      const rows: Record<'actor' | 'client' | 'pending' | 'run', Array<null | string>> & {
        event: string[]
        line: string[]
      } = {actor: [], client: [], event: [], line: [], pending: [], run: []}
      const seqs: number[] = []
      const stamps: string[] = []
      const now = new Date()
      const load = await this.agentLoad(client, batch)
      const queued: QueuedRow[] = []
      for (const job of batch) {
        let lines: AuditFields[]
        try {
          if (job.queued) {
            lines = job.queued.lines
            admitQueued(job.queued, load)
            queued.push(job.queued)
          } else lines = await job.work!(client)
        } catch (error) {
          if (!(error instanceof HubError)) throw error
          job.settled = true
          job.reject(error)
          continue
        }

        const entries = lines.map((fields) => {
          const sealed = sealLine(fields, ++seq, prev, this.key, now)
          prev = sealed.entry.hash
          seqs.push(seq)
          stamps.push(sealed.entry.ts)
          rows.event.push(sealed.entry.event)
          rows.pending.push(stringOrNull(sealed.entry.pending_id))
          rows.run.push(stringOrNull(sealed.entry.run_id))
          rows.client.push(stringOrNull(sealed.entry.client))
          rows.actor.push(stringOrNull((sealed.entry.actor as undefined | {token?: unknown})?.token))
          rows.line.push(sealed.line)
          return sealed.entry
        })
        done.push({job, entries})
      }

      if (queued.length > 0) {
        await client.query(
          `INSERT INTO hub_requests (pending_id, host, agent, waiting, expires_ms, doc)
           SELECT p, h, a, TRUE, e, d FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[])
             AS r(p, h, a, e, d)`,
          [
            queued.map((q) => q.pendingId),
            queued.map((q) => q.host),
            queued.map((q) => q.agent),
            queued.map((q) => q.expiresMs),
            queued.map((q) => q.doc),
          ],
        )
      }

      if (seqs.length > 0) {
        // The lines, the signed head and the wake-up in one statement. The notification is delivered
        // at COMMIT to every daemon and CLI that listens: a hint, the table is the record.
        await client.query(
          `WITH lines AS (
             INSERT INTO hub_audit (seq, ts, event, pending_id, run_id, client, actor, line)
             SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[],
                                  $6::text[], $7::text[], $8::text[])),
           head AS (
             INSERT INTO hub_meta (name, value) VALUES ($9, $10)
             ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value)
           SELECT pg_notify($11, $12)`,
          [
            seqs,
            stamps,
            rows.event,
            rows.pending,
            rows.run,
            rows.client,
            rows.actor,
            rows.line,
            META.head,
            signHead(this.key, {seq, hash: prev, keyed_from: this.keyedFrom}),
            NOTIFY_CHANNEL,
            String(seq),
          ],
        )
      }

      await client.query('COMMIT')
      this.failedAt = undefined
      for (const {job, entries} of done) {
        job.settled = true
        job.resolve(entries)
      }

      this.committed(done.flatMap((d) => d.entries))
    } catch (error) {
      broken = (error as {code?: string}).code === undefined
      await client.query('ROLLBACK').catch(() => {
        broken = true
      })
      throw error
    } finally {
      client.release(broken)
    }
  }

  private enqueue(what: Pick<Job, 'queued' | 'work'>): Promise<AuditEntry[]> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new HubError('shutting_down', 'The store is closed; the daemon is shutting down.'))
        return
      }

      this.queue.push({...what, resolve, reject, settled: false})
      this.kick()
    })
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH)
      try {
        await this.commit(batch)
      } catch (error) {
        this.failedAt = new Date().toISOString()
        const open = batch.filter((j) => !j.settled)
        if (open.length < 2) {
          for (const job of open) job.reject(unavailable(error))
          continue
        }

        // One transition's bad statement must not refuse its neighbours: each alone, once more.
        for (const job of open) {
          await this.commit([job]).catch((error_: unknown) => {
            this.failedAt = new Date().toISOString()
            if (!job.settled) job.reject(unavailable(error_))
          })
        }
      }
    }
  }

  private kick(): void {
    if (this.flushing) return
    // On a microtask, so that every transition started in this turn shares the transaction.
    this.flushing = new Promise<void>((done) => {
      queueMicrotask(() => {
        this.flush()
          .catch((error: Error) => this.log.error(`The PostgreSQL writer stopped: ${error.message}`))
          .finally(() => {
            this.flushing = undefined
            done()
            // A transition queued after flush() saw an empty queue, but before this ran, found a
            // writer still flushing and did not start one: without this it waited for the next write
            // (a run's start line stayed unwritten until the run ended).
            if (this.queue.length > 0) this.kick()
          })
      })
    })
  }
}
