/**
 * Shapes of the runtime files (SPEC §3.2–§3.4). Field names the seed shows are a contract with
 * existing scripts: they are kept exactly, and everything else is added beside them.
 */
import type {Decision, ParsedCommand, RuleMatch} from './policy/types.js'
import type {Role} from './tokens.js'

/** Who did something: a role and a short fingerprint of the token used (never the token). */
export interface Actor {
  role: Role
  token: string
}

/** The policy verdict as stored with a request (SPEC §3.3). */
export interface StoredVerdict {
  commands: ParsedCommand[]
  decision: Decision
  evaluated_at: string
  matches: RuleMatch[]
  reason: string
  rule: null | string
}

export interface PendingRequest {
  actor: Actor
  command: string
  cwd: string
  expires_at: string
  /** false when the request asked for a run without network (`{"network": false}`). */
  network?: boolean | undefined
  note: string
  pending_id: string
  policy: StoredVerdict
  queued_at: string
  timeout_s: number
  /** Epoch seconds, as in the seed. */
  ts: number
}

/** A request that an operator approved: the claimed file, created exclusively (the claim). */
export interface ClaimedRequest extends PendingRequest {
  approve_note: string
  approved_at: string
  approved_by: Actor
  run_id: string
  state: 'finished' | 'interrupted' | 'running'
}

export type DeniedBy = 'expired' | 'operator' | 'policy'

export interface DeniedRequest {
  actor: Actor
  by: DeniedBy
  command: string
  cwd: string
  denied_at: string
  /** Fingerprinted operator token when `by` is `operator`. */
  denied_by?: Actor | undefined
  denied_ts: number
  note: string
  pending_id: string
  policy?: StoredVerdict | undefined
  reason: string
  timeout_s: number
  ts: number
}

export interface RunRecord {
  approved_by: Actor | null
  command: string
  cpu_ms: null | number
  cwd: string
  duration_ms: number
  exit_code: null | number
  finished_at: string
  interrupted: boolean
  note: string
  peak_rss_mb: null | number
  pending_id: null | string
  policy: {decision: Decision; reason: string; rule: null | string}
  run_id: string
  /** How the run was contained (SPEC §6.5), and whether it had network; absent in older records. */
  sandbox?: 'bwrap' | 'none'
  network?: boolean
  started_at: string
  stderr: string
  stderr_bytes: number
  stderr_truncated: boolean
  stdout: string
  /** Bytes the command wrote to each stream, kept or not. */
  stdout_bytes: number
  stdout_truncated: boolean
  timed_out: boolean
  /** Epoch seconds when the run started, as in the seed. */
  ts: number
}

export interface DaemonInfo {
  base: string
  host: string
  pid: number
  port: number
  started_at: string
  version: string
}
