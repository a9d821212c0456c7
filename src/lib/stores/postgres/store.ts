/**
 * The team store (SPEC §7.8): many daemons, one PostgreSQL database. Requests, decisions, claims,
 * runs and the audit log are tables; each transition is one transaction with its audit line(s)
 * (writer.ts); the claim is exactly once because it is a conditional UPDATE of the waiting row.
 *
 * Hosts: a request belongs to the host whose daemon received it. A claim made on another host is
 * written `started = false`; only the owner's runner (`takeStartable`) flips it and runs it, so an
 * approval from anywhere never runs a command anywhere else, and a host that is down leaves its
 * approved requests waiting (state `running`, not started) until it is back.
 *
 * The runtime directory is still this daemon's own (tokens, daemon.json, the operator socket):
 * `files` is kept for those.
 */
import pg from 'pg'

import type {Logger} from '../../logger.js'
import type {RunSummary} from '../../record-schemas.js'
import type {ClaimedRequest, DeniedRequest, PendingRequest, RunRecord} from '../../records.js'
import type {AgentLimits, AuditStatus, HubStore, ListOptions, Page, StoreCounts} from '../types.js'

import {type AuditEntry, type AuditFields} from '../../audit/entry.js'
import {HubError} from '../../errors.js'
import {RuntimeStore} from '../../store.js'
import {isFailedRun} from '../history.js'
import {hostAuditKey, readMeta, readSignedHead} from './audit-key.js'
import {EntryFeed} from './feed.js'
import {connectPool, describeUrl} from './pool.js'
import {META, migrate} from './schema.js'
import {AuditWriter, unavailable} from './writer.js'

const HEARTBEAT_MS = 10_000

/**
 * An agent ($3) may add a request while its waiting requests plus its refusals since $6 are fewer
 * than $7. Each count stops at the limit, so a flood of waiting requests never makes the check slower.
 */
const UNDER_LIMIT = `($3::text IS NULL OR
  (SELECT count(*) FROM (SELECT 1 FROM hub_requests WHERE waiting AND agent = $3 LIMIT $7) w) +
  (SELECT count(*) FROM (SELECT 1 FROM hub_decisions WHERE refused AND agent = $3 AND decided_ms > $6 LIMIT $7) d)
  < $7)`

function tooMany(limits: AgentLimits): HubError {
  return new HubError(
    'too_many_pending',
    `This agent already has ${limits.maxPerAgent} requests waiting for an operator or refused in the last ` +
      `${Math.round(limits.refusalWindowMs / 60_000)} minutes; wait for decisions before sending more.`,
    {details: {limit: limits.maxPerAgent, retry_after: 30}},
  )
}

/** The lists, newest first as the file store gives them (ids begin with their UTC time). */
const LISTS = {
  denied: {table: 'hub_decisions', column: 'doc', where: 'TRUE', order: 'pending_id DESC'},
  pending: {table: 'hub_requests', column: 'doc', where: 'waiting', order: 'pending_id DESC'},
  runs: {table: 'hub_runs', column: 'summary', where: 'TRUE', order: 'run_id DESC'},
} as const

type Tx = pg.PoolClient

export function agentOf(actor: {role: string; token: string}): null | string {
  return actor.role === 'agent' ? actor.token : null
}

function parse<T>(rows: Array<{doc: string}>): T[] {
  return rows.map((r) => JSON.parse(r.doc) as T)
}

export interface PostgresOpenOptions {
  /** This daemon's address, shown beside its host name. */
  base?: string
  host: string
  log: Logger
  runtimeDir: string
  url: string
}

export class PostgresHubStore implements HubStore {
  readonly files: RuntimeStore
  readonly host: string
  readonly shared = true
  private readonly feed: EntryFeed
  private heartbeat: NodeJS.Timeout | undefined
  private readonly log: Logger
  private readonly pool: pg.Pool
  private readonly writer: AuditWriter

  private constructor(parts: {
    feed: EntryFeed
    files: RuntimeStore
    host: string
    log: Logger
    pool: pg.Pool
    writer: AuditWriter
  }) {
    this.files = parts.files
    this.host = parts.host
    this.pool = parts.pool
    this.feed = parts.feed
    this.writer = parts.writer
    this.log = parts.log
  }

  static async open(o: PostgresOpenOptions): Promise<PostgresHubStore> {
    const files = new RuntimeStore(o.runtimeDir)
    await files.init()
    const pool = await connectPool(o.url)
    try {
      const client = await pool.connect()
      try {
        const applied = await migrate(client)
        if (applied.length > 0)
          o.log.info(`Applied schema migration(s) ${applied.join(', ')} to ${describeUrl(o.url)}.`)
      } finally {
        client.release()
      }

      const key = await hostAuditKey(pool, o.runtimeDir)
      const headText = await readMeta(pool, META.head)
      const head = headText === undefined ? undefined : readSignedHead(key, headText)
      // A head that does not verify is left for `hub audit verify` to report; the chain goes on keyed.
      const keyedFrom = head === undefined || typeof head === 'string' ? 1 : head.keyed_from
      const {rows} = await pool.query<{seq: null | string}>('SELECT max(seq) AS seq FROM hub_audit')
      const feed = new EntryFeed(pool, o.url, Number(rows[0]?.seq ?? 0), o.log)
      const writer = new AuditWriter({
        pool,
        key,
        keyedFrom,
        committed: (entries) => feed.committed(entries),
        log: o.log,
      })
      const store = new PostgresHubStore({files, host: o.host, pool, feed, writer, log: o.log})
      await feed.start()
      await store.register(o.base ?? '')
      return store
    } catch (error) {
      await pool.end().catch(() => {})
      throw error instanceof HubError ? error : unavailable(error)
    }
  }

  async admit(claimed: ClaimedRequest, line: AuditFields): Promise<AuditEntry> {
    return this.last(async (tx) => {
      await this.insertRequest(tx, claimed, false)
      await this.insertClaim(tx, claimed)
      return [line]
    })
  }

  async append(fields: AuditFields): Promise<AuditEntry> {
    return this.last(async () => [fields])
  }

  async *auditSince(after: number, upTo?: number): AsyncIterable<AuditEntry> {
    let from = after
    for (;;) {
      const {rows} = await this.pool.query<{line: string; seq: string}>(
        'SELECT seq, line FROM hub_audit WHERE seq > $1 AND ($2::bigint IS NULL OR seq <= $2) ORDER BY seq LIMIT 1000',
        [from, upTo ?? null],
      )
      for (const row of rows) yield JSON.parse(row.line) as AuditEntry
      if (rows.length < 1000) return
      from = Number(rows.at(-1)!.seq)
    }
  }

  auditStatus(): AuditStatus {
    const at = this.writer.failedAt
    return {failure: at === undefined ? undefined : {at, broken: false}, seq: this.feed.lastSeq, size: 0}
  }

  async claim(claimed: ClaimedRequest, lines: AuditFields[]): Promise<AuditEntry> {
    return this.last(async (tx) => {
      await this.takeWaiting(tx, claimed.pending_id)
      await this.insertClaim(tx, claimed)
      return lines
    })
  }

  async claimedIn(state: ClaimedRequest['state']): Promise<ClaimedRequest[]> {
    // Only this host's runs: another host's are its own to recover.
    const {rows} = await this.pool.query<{doc: string}>(
      'SELECT doc FROM hub_claims WHERE host = $1 AND state = $2 AND started',
      [this.host, state],
    )
    return parse<ClaimedRequest>(rows)
  }

  async close(denied: DeniedRequest, line: AuditFields): Promise<AuditEntry> {
    return this.last(async (tx) => {
      await this.takeWaiting(tx, denied.pending_id)
      await this.insertDecision(tx, denied, false)
      return [line]
    })
  }

  async counts(): Promise<StoreCounts> {
    const {rows} = await this.pool.query<{denied: string; pending: string; runs: string}>(
      `SELECT (SELECT count(*) FROM hub_requests WHERE waiting) AS pending,
              (SELECT count(*) FROM hub_decisions) AS denied,
              (SELECT count(*) FROM hub_runs) AS runs`,
    )
    const r = rows[0]!
    return {denied: Number(r.denied), pending: Number(r.pending), runs: Number(r.runs)}
  }

  async dueForExpiry(now: number): Promise<string[]> {
    // Each host expires its own: two daemons expiring one request would race for nothing.
    const {rows} = await this.pool.query<{pending_id: string}>(
      'SELECT pending_id FROM hub_requests WHERE waiting AND host = $1 AND expires_ms <= $2',
      [this.host, now],
    )
    return rows.map((r) => r.pending_id)
  }

  async getClaimed(id: string): Promise<ClaimedRequest | undefined> {
    return this.one<ClaimedRequest>('SELECT doc FROM hub_claims WHERE pending_id = $1', [id])
  }

  async getDenied(id: string): Promise<DeniedRequest | undefined> {
    return this.one<DeniedRequest>('SELECT doc FROM hub_decisions WHERE pending_id = $1', [id])
  }

  async getPending(id: string): Promise<PendingRequest | undefined> {
    return this.one<PendingRequest>('SELECT doc FROM hub_requests WHERE pending_id = $1 AND waiting', [id])
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    return this.one<RunRecord>('SELECT doc FROM hub_runs WHERE run_id = $1', [runId])
  }

  /** Whether a claim waits for this host to start it (approved elsewhere, or while this daemon was down). */
  async isUnstarted(id: string): Promise<boolean> {
    const {rows} = await this.pool.query('SELECT 1 FROM hub_claims WHERE pending_id = $1 AND NOT started', [id])
    return rows.length > 0
  }

  async listDenied(opts: ListOptions): Promise<Page<DeniedRequest>> {
    return this.page<DeniedRequest>(LISTS.denied, opts)
  }

  async listPending(opts: ListOptions): Promise<Page<PendingRequest>> {
    return this.page<PendingRequest>(LISTS.pending, opts)
  }

  async listRuns(opts: ListOptions): Promise<Page<RunSummary>> {
    return this.page<RunSummary>(LISTS.runs, opts)
  }

  onEntry(listener: (entry: AuditEntry) => void): () => void {
    return this.feed.onEntry(listener)
  }

  async pruneDenied(beforeMs: number, actor: {role: string; token: string}): Promise<number> {
    let removed = 0
    await this.writer.run(async (tx) => {
      const r = await tx.query('DELETE FROM hub_decisions WHERE decided_ms < $1', [beforeMs])
      removed = r.rowCount ?? 0
      if (removed === 0) return []
      return [
        {
          event: 'retention_pruned',
          kind: 'denied',
          count: removed,
          before: new Date(beforeMs).toISOString(),
          actor,
        },
      ]
    })
    return removed
  }

  async queue(request: PendingRequest, line: AuditFields, limits: AgentLimits): Promise<AuditEntry> {
    // Under the writer's lock, with the other requests of its transaction: every daemon's count and
    // insert are one step.
    const entries = await this.writer.runQueued({
      agent: agentOf(request.actor),
      doc: JSON.stringify(request),
      expiresMs: Date.parse(request.expires_at),
      host: request.host ?? this.host,
      lines: [line],
      maxPerAgent: limits.maxPerAgent,
      pendingId: request.pending_id,
      refusalsSince: Date.now() - limits.refusalWindowMs,
      tooMany: () => tooMany(limits),
    })
    return entries.at(-1)!
  }

  async recordRun(claimed: ClaimedRequest, record: RunRecord, line: AuditFields): Promise<AuditEntry> {
    const {stdout: _o, stderr: _e, ...summary} = record
    return this.last(async (tx) => {
      await tx.query(
        `INSERT INTO hub_runs (run_id, pending_id, agent, host, finished_at, summary, doc, failed)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (run_id) DO UPDATE SET finished_at = $5, summary = $6, doc = $7, failed = $8`,
        [
          record.run_id,
          record.pending_id,
          record.requested_by ? agentOf(record.requested_by) : null,
          this.host,
          record.finished_at,
          JSON.stringify(summary),
          JSON.stringify(record),
          isFailedRun(record),
        ],
      )
      await tx.query('UPDATE hub_claims SET state = $2, doc = $3 WHERE pending_id = $1', [
        claimed.pending_id,
        claimed.state,
        JSON.stringify(claimed),
      ])
      return [line]
    })
  }

  async refuse(denied: DeniedRequest, line: AuditFields, limits: AgentLimits): Promise<AuditEntry> {
    return this.last(async (tx) => {
      const r = await tx.query(
        `INSERT INTO hub_decisions (pending_id, agent, refused, decided_ms, doc)
         SELECT $1, $3, $5::boolean, $4, $2 WHERE ${UNDER_LIMIT}`,
        [
          denied.pending_id,
          JSON.stringify(denied),
          agentOf(denied.actor),
          Date.parse(denied.denied_at),
          true,
          Date.now() - limits.refusalWindowMs,
          limits.maxPerAgent,
        ],
      )
      if (r.rowCount !== 1) throw tooMany(limits)
      return [line]
    })
  }

  async shutdown(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat)
    await this.writer.close()
    await this.feed.close()
    await this.pool.end().catch(() => {})
  }

  /** This host's claims that nobody started yet, each marked started by exactly one call. */
  async takeStartable(): Promise<ClaimedRequest[]> {
    const {rows} = await this.pool.query<{doc: string}>(
      `UPDATE hub_claims SET started = TRUE
       WHERE pending_id IN (SELECT pending_id FROM hub_claims WHERE host = $1 AND NOT started
                            ORDER BY pending_id LIMIT 64 FOR UPDATE SKIP LOCKED)
       RETURNING doc`,
      [this.host],
    )
    return parse<ClaimedRequest>(rows)
  }

  async updateClaim(claimed: ClaimedRequest): Promise<void> {
    await this.pool.query('UPDATE hub_claims SET state = $2, doc = $3 WHERE pending_id = $1', [
      claimed.pending_id,
      claimed.state,
      JSON.stringify(claimed),
    ])
  }

  private async insertClaim(tx: Tx, claimed: ClaimedRequest): Promise<void> {
    const host = claimed.host ?? this.host
    await tx.query(
      'INSERT INTO hub_claims (pending_id, run_id, host, state, started, doc) VALUES ($1, $2, $3, $4, $5, $6)',
      [claimed.pending_id, claimed.run_id, host, claimed.state, host === this.host, JSON.stringify(claimed)],
    )
  }

  private async insertDecision(tx: Tx, denied: DeniedRequest, refused: boolean): Promise<void> {
    await tx.query(
      'INSERT INTO hub_decisions (pending_id, agent, refused, decided_ms, doc) VALUES ($1, $2, $3, $4, $5)',
      [denied.pending_id, agentOf(denied.actor), refused, Date.parse(denied.denied_at), JSON.stringify(denied)],
    )
  }

  private async insertRequest(tx: Tx, request: PendingRequest, waiting: boolean): Promise<void> {
    await tx.query(
      'INSERT INTO hub_requests (pending_id, host, agent, waiting, expires_ms, doc) VALUES ($1, $2, $3, $4, $5, $6)',
      [
        request.pending_id,
        request.host ?? this.host,
        agentOf(request.actor),
        waiting,
        Date.parse(request.expires_at),
        JSON.stringify(request),
      ],
    )
  }

  private async last(work: (tx: Tx) => Promise<AuditFields[]>): Promise<AuditEntry> {
    const entries = await this.writer.run(work)
    return entries.at(-1)!
  }

  private async one<T>(sql: string, params: unknown[]): Promise<T | undefined> {
    const {rows} = await this.pool.query<{doc: string}>(sql, params)
    return rows[0] ? (JSON.parse(rows[0].doc) as T) : undefined
  }

  private async page<T>(list: (typeof LISTS)[keyof typeof LISTS], opts: ListOptions): Promise<Page<T>> {
    const {column, order, table, where} = list
    const params: unknown[] = [opts.limit, opts.offset ?? 0]
    let filter = where
    if (opts.agent !== undefined) {
      params.push(opts.agent)
      filter += ' AND agent = $3'
    }

    // Table, column and clauses are this file's constants; only the values are parameters.
    const {rows} = await this.pool.query<{doc: string; total: string}>(
      `SELECT ${column} AS doc, count(*) OVER () AS total FROM ${table} ` +
        `WHERE ${filter} ORDER BY ${order} LIMIT $1 OFFSET $2`,
      params,
    )
    let total = Number(rows[0]?.total ?? 0)
    if (rows.length === 0 && (opts.offset ?? 0) > 0) {
      const count = await this.pool.query<{n: string}>(
        `SELECT count(*) AS n FROM ${table} WHERE ${filter.replace('$3', '$1')}`,
        opts.agent === undefined ? [] : [opts.agent],
      )
      total = Number(count.rows[0]?.n ?? 0)
    }

    return {items: parse<T>(rows), total}
  }

  private async register(base: string): Promise<void> {
    const beat = (): Promise<unknown> =>
      this.pool.query(
        `INSERT INTO hub_hosts (host, pid, base, started_at, seen_at) VALUES ($1, $2, $3, now(), now())
         ON CONFLICT (host) DO UPDATE SET pid = $2, base = $3, seen_at = now()`,
        [this.host, process.pid, base],
      )
    await beat()
    this.heartbeat = setInterval(() => {
      beat().catch((error: Error) => this.log.warn(`Could not record this host in PostgreSQL: ${error.message}`))
    }, HEARTBEAT_MS)
    this.heartbeat.unref()
  }

  /** pending → decided, exactly once across every daemon: the conditional UPDATE is the claim. */
  private async takeWaiting(tx: Tx, id: string): Promise<void> {
    const taken = await tx.query('UPDATE hub_requests SET waiting = FALSE WHERE pending_id = $1 AND waiting', [id])
    if (taken.rowCount === 1) return
    const claimed = await tx.query('SELECT 1 FROM hub_claims WHERE pending_id = $1', [id])
    if (claimed.rows.length > 0) throw new HubError('conflict', `Request ${id} was already approved.`)
    const decided = await tx.query('SELECT 1 FROM hub_decisions WHERE pending_id = $1', [id])
    if (decided.rows.length > 0) throw new HubError('conflict', `Request ${id} was already denied or has expired.`)
    throw new HubError('not_found', `No pending request ${id}.`, {hint: 'List waiting requests with `hub pending`.'})
  }
}
