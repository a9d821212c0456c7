/**
 * The read side of the store seam, for the commands that read history without a daemon (`hub audit`,
 * `hub audit verify`, `hub runs`, `hub runs show`): the runtime files by default, the team database
 * when AGENT_HUB_STORE (or --store) names one. Both hand over the same things in the same order —
 * audit lines as their exact bytes in seq order, run records newest first by id — so `--json` is
 * byte-for-byte the same whichever store answered.
 */
import type {AuditFilter, EntryHandler, LineHandler, ScanHooks, ScanSummary} from '../audit/query.js'
import type {AuditStats} from '../audit/stats.js'
import type {VerifyResult} from '../audit/verify.js'
import type {RunRecord} from '../records.js'

import {runtimePaths, RuntimeStore} from '../store.js'

export interface RunsQuery {
  /** Only runs that failed, timed out or were interrupted. */
  failed: boolean
  limit: number
}

export interface HubHistory {
  /** Matching audit lines in seq order, as parsed entries with their bytes. */
  auditEntries(filter: AuditFilter, onEntry: EntryHandler, hooks?: ScanHooks): Promise<ScanSummary>
  /** Matching audit lines in seq order, bytes only (`hub audit --json`). */
  auditLines(filter: AuditFilter, onLine: LineHandler, hooks?: ScanHooks): Promise<ScanSummary>
  /**
   * A cheap value that changes when the audit does (a new line, a rewritten file), so that a long-lived
   * reader (the console's chain badge) verifies again only then.
   */
  auditStamp(): Promise<string>
  auditStats(filter: AuditFilter): Promise<AuditStats>
  close(): Promise<void>
  /** A run's full record (with its output), or undefined. */
  run(runId: string): Promise<RunRecord | undefined>
  /** Full records, newest first by id. */
  runs(query: RunsQuery): Promise<RunRecord[]>
  verifyAudit(): Promise<VerifyResult>
  /** Where the history is read from, for messages. */
  readonly where: string
}

/** A run that did not succeed: a non-zero (or no) exit code, a timeout, or an interruption. */
export function isFailedRun(r: Pick<RunRecord, 'exit_code' | 'interrupted' | 'timed_out'>): boolean {
  return r.exit_code !== 0 || r.timed_out === true || r.interrupted === true
}

export class FileHistory implements HubHistory {
  readonly where: string
  private readonly auditPath: string
  private readonly files: RuntimeStore

  constructor(runtimeDir: string) {
    this.files = new RuntimeStore(runtimeDir)
    this.auditPath = runtimePaths(runtimeDir).audit
    this.where = this.auditPath
  }

  async auditEntries(filter: AuditFilter, onEntry: EntryHandler, hooks?: ScanHooks): Promise<ScanSummary> {
    const {queryAudit} = await import('../audit/query.js')
    return queryAudit(this.auditPath, filter, onEntry, hooks)
  }

  async auditLines(filter: AuditFilter, onLine: LineHandler, hooks?: ScanHooks): Promise<ScanSummary> {
    const {queryAuditRaw} = await import('../audit/query.js')
    return queryAuditRaw(this.auditPath, filter, onLine, hooks)
  }

  async auditStamp(): Promise<string> {
    const {stat} = await import('node:fs/promises')
    const s = await stat(this.auditPath).catch(() => undefined)
    return s ? `${s.size}:${s.mtimeMs}` : 'missing'
  }

  async auditStats(filter: AuditFilter): Promise<AuditStats> {
    const {auditStats} = await import('../audit/stats.js')
    return auditStats(this.auditPath, filter)
  }

  async close(): Promise<void> {}

  run(runId: string): Promise<RunRecord | undefined> {
    return this.files.readRun(runId)
  }

  async runs(query: RunsQuery): Promise<RunRecord[]> {
    const collect = async (ids: string[]): Promise<{missing: number; records: RunRecord[]}> => {
      const records: RunRecord[] = []
      let missing = 0
      // Opens records newest first and stops at N: older records are never read.
      for (const id of ids) {
        if (records.length >= query.limit) break
        // A record being written, removed meanwhile or damaged is left out rather than failing the list.
        const rec = await this.files.readRun(id).catch(() => undefined)
        if (!rec) missing++
        else if (!query.failed || isFailedRun(rec)) records.push(rec)
      }

      return {records, missing}
    }

    // The daemon's runs index saves listing every run directory; it is used only when it is fresh,
    // and any doubt (a record it names is gone) falls back to the listing.
    const fromIndex = query.failed ? undefined : await this.files.newestRunIdsFromIndex(query.limit)
    let result = fromIndex ? await collect(fromIndex) : undefined
    if (!result || result.missing > 0) result = await collect(await this.files.listRunIds())
    return result.records
  }

  async verifyAudit(): Promise<VerifyResult> {
    const {verifyAuditFile} = await import('../audit/verify.js')
    return verifyAuditFile(this.auditPath)
  }
}
