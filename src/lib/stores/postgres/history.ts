/**
 * History read from the team database (`hub audit`, `hub runs`, `hub audit verify` with --store):
 * the filters that have a column go to SQL, where an index serves them (event, time, client, the
 * actor's token; failed runs); what SQL cannot say exactly as JavaScript does (`--grep` is a
 * JavaScript regular expression) is then tested on each line with the file store's own matcher, so
 * both stores select the same lines. Lines are handed over as their stored text, the exact bytes that
 * were hashed, so `--json` is byte-for-byte what the file store prints for the same history.
 */
import type pg from 'pg'

import type {RunRecord} from '../../records.js'
import type {HubHistory, RunsQuery} from '../history.js'

import {type AuditLine} from '../../audit/entry.js'
import {
  type AuditFilter,
  type EntryHandler,
  entryMatches,
  type LineHandler,
  type ScanHooks,
  type ScanSummary,
} from '../../audit/query.js'
import {type AuditStats, StatsTally} from '../../audit/stats.js'
import {type VerifyResult} from '../../audit/verify.js'
import {HubError} from '../../errors.js'
import {connectPool, describeUrl} from './pool.js'
import {META, migrate, SCHEMA_VERSION} from './schema.js'
import {verifyPostgresChain} from './verify.js'

const PAGE = 2000

type Visit = (entry: AuditLine, line: string) => void

/** The SQL part of a filter: conditions on indexed columns, values as parameters. */
function sqlFilter(filter: AuditFilter): {conditions: string[]; params: unknown[]} {
  const conditions: string[] = []
  const params: unknown[] = []
  const add = (sql: (n: string) => string, value: unknown): void => {
    params.push(value)
    conditions.push(sql(`$${params.length}`))
  }

  if (filter.events && filter.events.length > 0) add((n) => `event = ANY(${n}::text[])`, [...filter.events])
  if (filter.since !== undefined) add((n) => `ts >= ${n}::timestamptz`, new Date(filter.since).toISOString())
  if (filter.until !== undefined) add((n) => `ts < ${n}::timestamptz`, new Date(filter.until).toISOString())
  if (filter.clients && filter.clients.length > 0) add((n) => `client = ANY(${n}::text[])`, [...filter.clients])
  if (filter.agents && filter.agents.length > 0) add((n) => `actor = ANY(${n}::text[])`, [...filter.agents])
  return {conditions, params}
}

function parseLine(text: string): AuditLine | undefined {
  try {
    const value = JSON.parse(text) as unknown
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
    return typeof (value as AuditLine).event === 'string' ? (value as AuditLine) : undefined
  } catch {
    return undefined
  }
}

export class PostgresHistory implements HubHistory {
  readonly where: string

  private constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
    private readonly runtimeDir: string,
  ) {
    this.where = `${describeUrl(url)} (table hub_audit)`
  }

  /** Opens the database for reading; an older schema is brought up to date first (as a daemon would). */
  static async open(url: string, runtimeDir: string): Promise<PostgresHistory> {
    const pool = await connectPool(url, 2)
    try {
      // Asked in two steps: a query naming a table that does not exist fails as a whole.
      const {rows: exists} = await pool.query<{t: null | string}>("SELECT to_regclass('hub_schema')::text AS t")
      const version =
        exists[0]?.t === null || exists[0]?.t === undefined
          ? null
          : ((await pool.query<{v: null | number}>('SELECT max(version) AS v FROM hub_schema')).rows[0]?.v ?? 0)
      if (version === null) {
        throw new HubError('not_found', `No hub tables in ${describeUrl(url)}: nothing has been recorded there yet.`, {
          hint:
            'Start a daemon on it (`hub serve --store …`) or copy a runtime directory in ' +
            '(`hub store migrate --to …`).',
        })
      }

      if (version < SCHEMA_VERSION) {
        const client = await pool.connect()
        try {
          await migrate(client)
        } finally {
          client.release()
        }
      }
    } catch (error) {
      await pool.end().catch(() => {})
      throw error
    }

    return new PostgresHistory(pool, url, runtimeDir)
  }

  async auditEntries(filter: AuditFilter, onEntry: EntryHandler, hooks: ScanHooks = {}): Promise<ScanSummary> {
    return this.scan(
      filter,
      (entry, line) => {
        const buf = Buffer.from(line)
        onEntry(entry, buf, 0, buf.length)
      },
      hooks,
    )
  }

  async auditLines(filter: AuditFilter, onLine: LineHandler, hooks: ScanHooks = {}): Promise<ScanSummary> {
    return this.scan(
      filter,
      (_entry, line) => {
        const buf = Buffer.from(line)
        onLine(buf, 0, buf.length)
      },
      hooks,
    )
  }

  async auditStamp(): Promise<string> {
    // The newest seq and the signed head change with every line. A row rewritten in place changes
    // neither, so the stamp also turns over each minute: such an edit shows within a minute.
    const {rows} = await this.pool.query<{head: null | string; seq: null | string}>(
      `SELECT (SELECT max(seq) FROM hub_audit)::text AS seq, (SELECT value FROM hub_meta WHERE name = $1) AS head`,
      [META.head],
    )
    return `${rows[0]?.seq ?? 0}:${rows[0]?.head ?? ''}:${Math.floor(Date.now() / 60_000)}`
  }

  async auditStats(filter: AuditFilter): Promise<AuditStats> {
    const tally = new StatsTally()
    const summary = await this.scan(filter, (entry) => tally.add(entry.event, entry.duration_ms, entry.ts), {})
    tally.skipped = summary.skipped_lines
    return tally.result(this.where, false)
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {})
  }

  async run(runId: string): Promise<RunRecord | undefined> {
    const {rows} = await this.pool.query<{doc: string}>('SELECT doc FROM hub_runs WHERE run_id = $1', [runId])
    return rows[0] ? (JSON.parse(rows[0].doc) as RunRecord) : undefined
  }

  async runs(query: RunsQuery): Promise<RunRecord[]> {
    // Newest first by id, as the file store lists them (ids begin with their UTC time).
    const sql = query.failed
      ? 'SELECT doc FROM hub_runs WHERE failed ORDER BY run_id DESC LIMIT $1'
      : 'SELECT doc FROM hub_runs ORDER BY run_id DESC LIMIT $1'
    const {rows} = await this.pool.query<{doc: string}>(sql, [query.limit])
    return rows.map((r) => JSON.parse(r.doc) as RunRecord)
  }

  async verifyAudit(): Promise<VerifyResult> {
    return verifyPostgresChain(this.pool, this.url, this.runtimeDir)
  }

  /**
   * Forward in pages of seq; with a limit, backward from the end until it has the last N matching
   * lines (so `--limit 20` reads about 20 rows, not the table), then handed over oldest first.
   */
  private async scan(filter: AuditFilter, visit: Visit, hooks: ScanHooks): Promise<ScanSummary> {
    const summary: ScanSummary = {matched: 0, missing: false, path: this.where, skipped_lines: 0}
    const {conditions, params} = sqlFilter(filter)
    const backward = filter.limit !== undefined
    const cursor = `$${params.length + 1}`
    const where = [...conditions, backward ? `seq < ${cursor}` : `seq > ${cursor}`].join(' AND ')
    // Column names and operators are this file's; only values are parameters.
    const sql = `SELECT seq, line FROM hub_audit WHERE ${where} ORDER BY seq ${backward ? 'DESC' : ''} LIMIT ${PAGE}`
    let at = backward ? Number.MAX_SAFE_INTEGER : 0
    const kept: Array<{entry: AuditLine; line: string}> = []
    for (;;) {
      const {rows} = await this.pool.query<{line: string; seq: string}>(sql, [...params, at])
      for (const row of rows) {
        const entry = parseLine(row.line)
        if (!entry) summary.skipped_lines++
        else if (entryMatches(filter, entry)) {
          if (!backward) {
            summary.matched++
            visit(entry, row.line)
          } else if (kept.length < filter.limit!) kept.push({entry, line: row.line})
        }
      }

      if (!backward && hooks.afterChunk) await hooks.afterChunk()
      if (rows.length < PAGE || (backward && kept.length >= filter.limit!)) break
      at = Number(rows.at(-1)!.seq)
    }

    for (const {entry, line} of kept.reverse()) {
      summary.matched++
      visit(entry, line)
    }

    if (backward && hooks.afterChunk) await hooks.afterChunk()
    return summary
  }
}
