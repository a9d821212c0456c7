/**
 * The store seam (SPEC §3, §7.8): where requests, decisions, claims, runs and the audit chain live.
 * The runtime files are the embedded default (`files.ts`); PostgreSQL is the store for a team.
 *
 * The seam is drawn at state transitions, not at files: each transition changes a request's state
 * and appends its audit line(s) as one unit — a file write plus the audit log (the write-ahead log)
 * for the files, one transaction for PostgreSQL — and resolves only once both are durable (SPEC §6.4).
 * A transition that fails leaves nothing behind: no file without its audit line, no count off by one.
 */
import type {AuditEntry, AuditFields} from '../audit/entry.js'
import type {RunSummary} from '../record-schemas.js'
import type {ClaimedRequest, DeniedRequest, PendingRequest, RunRecord} from '../records.js'

/** A page of a list, with the total so that paging never hides how many there are. */
export interface Page<T> {
  items: T[]
  total: number
}

export interface ListOptions {
  /** Only what this agent token (fingerprint) asked for. */
  agent?: string | undefined
  limit: number
  offset?: number | undefined
}

/** What a run's note keeps: the outcome, not the output. */
export type RunNote = Pick<
  RunRecord,
  | 'cpu_ms'
  | 'duration_ms'
  | 'exit_code'
  | 'finished_at'
  | 'interrupted'
  | 'network'
  | 'peak_rss_mb'
  | 'record_error'
  | 'sandbox'
  | 'started_at'
  | 'stderr_bytes'
  | 'stdout_bytes'
  | 'timed_out'
>

export interface StoreCounts {
  denied: number
  pending: number
  runs: number
}

/** What one agent may have at once: waiting requests plus refusals within the window. */
export interface AgentLimits {
  maxPerAgent: number
  /** How long a refusal counts against its agent. */
  refusalWindowMs: number
}

export interface AuditStatus {
  /** Set after a failed write: when, and whether the log cannot take writes until a restart. */
  failure: undefined | {at: string; broken: boolean}
  seq: number
  size: number
}

export interface HubStore {
  /** A request an operator's allow rule let through at once: claimed without ever waiting, durably. */
  admit(claimed: ClaimedRequest, line: AuditFields): Promise<AuditEntry>

  // Transitions ---------------------------------------------------------------------------------------

  /** A line that changes no request (run_started, token_rotated, approval_refused …). */
  append(fields: AuditFields): Promise<AuditEntry>
  /** Audit lines with a seq above `after`, oldest first (event replay). */
  auditSince(after: number, upTo?: number): AsyncIterable<AuditEntry>
  auditStatus(): AuditStatus
  /**
   * pending → claimed, exactly once: a second claim is a conflict. `lines` are written in order
   * (`command_edited` before `command_approved`).
   */
  claim(claimed: ClaimedRequest, lines: AuditFields[]): Promise<AuditEntry>
  /** Claimed requests in one state (recovery: runs in flight when the daemon stopped). */
  claimedIn(state: ClaimedRequest['state']): Promise<ClaimedRequest[]>
  /** pending → denied: operator deny, expiry, withdrawal, refused at run time. */
  close(denied: DeniedRequest, line: AuditFields): Promise<AuditEntry>
  counts(): Promise<StoreCounts>
  /** Ids of pending requests whose expiry is at or before `now` (epoch ms). */
  dueForExpiry(now: number): Promise<string[]>

  // Reads ------------------------------------------------------------------------------------------------

  getClaimed(id: string): Promise<ClaimedRequest | undefined>
  getDenied(id: string): Promise<DeniedRequest | undefined>
  /** A pending request as it was queued: never re-read from a place a run could have written. */
  getPending(id: string): Promise<PendingRequest | undefined>
  getRun(runId: string): Promise<RunRecord | undefined>
  listDenied(opts: ListOptions): Promise<Page<DeniedRequest>>
  listPending(opts: ListOptions): Promise<Page<PendingRequest>>
  listRuns(opts: ListOptions): Promise<Page<RunSummary>>
  /** Every audit line once it is durable, in seq order (the daemon's `/events`). */
  onEntry(listener: (entry: AuditEntry) => void): () => void
  /** Retention: forgets denied, expired and blocked requests decided before `beforeMs`; audited. */
  pruneDenied(beforeMs: number, actor: {role: string; token: string}): Promise<number>
  /**
   * A new pending request. Rejected with `too_many_pending` when its agent already has its limit of
   * waiting requests and recent refusals; the check and the insert are one step.
   */
  queue(request: PendingRequest, line: AuditFields, limits: AgentLimits): Promise<AuditEntry>

  // The audit log -------------------------------------------------------------------------------------

  /** What is known of a finished run whose record was not written, if a note was left. */
  readRunNote?(runId: string): Promise<RunNote | undefined>
  /** claimed → finished/interrupted/executed, with its run record. */
  recordRun(claimed: ClaimedRequest, record: RunRecord, line: AuditFields): Promise<AuditEntry>

  // Notes of runs whose record could not be written (SPEC §6.4) -----------------------------------------
  // Optional: a store that cannot run out of room for them (or that writes records in one step) leaves
  // them out, and the runs' outcomes then live in memory until written.

  /**
   * A request refused before it was ever pending (blocked at plan): kept durably. Refusals count
   * against the agent like waiting requests, so a refused flood cannot fill the disk: past the limit
   * this rejects with `too_many_pending` and writes nothing.
   */
  refuse(denied: DeniedRequest, line: AuditFields, limits: AgentLimits): Promise<AuditEntry>
  /** Takes room for a run's note before the run starts, so that a full disk can still take it. */
  reserveRunNote?(runId: string): Promise<void>

  /**
   * Many daemons on many hosts share this store (team mode, SPEC §7.8): a request runs only on the
   * host that received it, whichever daemon approves it.
   */
  readonly shared?: boolean

  /** Flushes and closes; nothing is written after. */
  shutdown(): Promise<void>
  /** A claimed request's state changes without a run record (agent-executed requests, recovery). */
  updateClaim(claimed: ClaimedRequest): Promise<void>

  writeRunNote?(record: RunRecord): Promise<void>
}
