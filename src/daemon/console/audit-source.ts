/**
 * The console's one door to the audit: the same history as `hub audit` and `hub audit verify` (the
 * runtime files, or the team database in team mode), so the page and the terminal never disagree.
 */
import type {AuditFilter} from '../../lib/audit/query.js'
import type {VerifyResult} from '../../lib/audit/verify.js'
import type {HubHistory} from '../../lib/stores/history.js'

import {AUDIT_EVENTS, type AuditLine} from '../../lib/audit/entry.js'

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

/**
 * One page of matching lines, newest first. The history reads backwards and stops after the lines the
 * page needs (the files from the end of the log, the database by seq), whichever store answers.
 */
export async function auditPage(history: HubHistory, q: AuditPageQuery): Promise<AuditPage> {
  const want = (q.page + 1) * q.pageSize + 1
  const filter: AuditFilter = {
    agents: q.agents,
    clients: q.clients,
    events: q.events,
    grep: q.grep,
    limit: want,
    since: q.since,
    until: q.until,
  }
  const kept: AuditLine[] = []
  const summary = await history.auditEntries(filter, (entry) => kept.push(entry))
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

/** `hub audit verify`'s answer, computed again only when the audit has changed since the last check. */
export class ChainStatus {
  private cached: undefined | {key: string; result: ChainState}
  private running: Promise<ChainState> | undefined

  constructor(private readonly history: HubHistory) {}

  async get(): Promise<ChainState> {
    const key = await this.history.auditStamp()
    if (this.cached?.key === key) return this.cached.result
    this.running ??= this.history
      .verifyAudit()
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
