/**
 * The console's one door to the audit log: the same query engine and chain check as `hub audit` and
 * `hub audit verify` (src/lib/audit/), so the page and the terminal never disagree.
 */
import {stat} from 'node:fs/promises'

import {AUDIT_EVENTS, type AuditLine} from '../../lib/audit/entry.js'
import {type AuditFilter, queryAudit} from '../../lib/audit/query.js'
import {verifyAuditFile, type VerifyResult} from '../../lib/audit/verify.js'

export const AUDIT_EVENT_NAMES: readonly string[] = AUDIT_EVENTS

export interface AuditPageQuery {
  /** Actor token fingerprints (`actor.token`). */
  agents: string[]
  clients: string[]
  events: string[]
  grep?: RegExp | undefined
  /** 0 = the newest page. */
  page: number
  pageSize: number
  since?: number | undefined
  until?: number | undefined
}

export interface AuditPage {
  /** There are older matching lines than this page. */
  hasOlder: boolean
  missing: boolean
  /** Newest first. */
  rows: AuditLine[]
  skipped: number
}

function actorToken(line: AuditLine): unknown {
  return (line.actor as undefined | {token?: unknown})?.token
}

/** Client and agent filters the engine does not know yet are applied to its matches. */
function extraTest(q: AuditPageQuery): ((line: AuditLine) => boolean) | undefined {
  if (q.clients.length === 0 && q.agents.length === 0) return undefined
  return (line) =>
    (q.clients.length === 0 || q.clients.includes(String(line.client ?? 'http'))) &&
    (q.agents.length === 0 || q.agents.includes(String(actorToken(line))))
}

/**
 * One page of matching lines, newest first. Without the extra filters the engine reads backwards and
 * stops after the lines the page needs; with them it scans forward keeping only as many as needed.
 */
export async function auditPage(path: string, q: AuditPageQuery): Promise<AuditPage> {
  const want = (q.page + 1) * q.pageSize + 1
  const filter: AuditFilter = {events: q.events, grep: q.grep, since: q.since, until: q.until}
  const extra = extraTest(q)
  const kept: AuditLine[] = []
  const summary = await (extra
    ? queryAudit(path, filter, (entry) => {
        if (!extra(entry)) return
        kept.push(entry)
        if (kept.length > want) kept.shift()
      })
    : queryAudit(path, {...filter, limit: want}, (entry) => kept.push(entry)))

  const newestFirst = kept.reverse()
  const rows = newestFirst.slice(q.page * q.pageSize, (q.page + 1) * q.pageSize)
  return {
    rows,
    hasOlder: newestFirst.length > (q.page + 1) * q.pageSize,
    missing: summary.missing,
    skipped: summary.skipped_lines,
  }
}

export interface ChainState extends VerifyResult {
  checked_at: string
}

/** `hub audit verify`'s answer, computed again only when the log has changed since the last check. */
export class ChainStatus {
  private cached: undefined | {key: string; result: ChainState}
  private running: Promise<ChainState> | undefined

  constructor(private readonly path: string) {}

  async get(): Promise<ChainState> {
    const s = await stat(this.path).catch(() => undefined)
    const key = s ? `${s.size}:${s.mtimeMs}` : 'missing'
    if (this.cached?.key === key) return this.cached.result
    this.running ??= verifyAuditFile(this.path)
      .then((r) => {
        const result = {...r, checked_at: new Date().toISOString()}
        this.cached = {key, result}
        return result
      })
      .finally(() => {
        this.running = undefined
      })
    return this.running
  }
}
