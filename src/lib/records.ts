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
  decision: Decision
  rule: string | null
  reason: string
  matches: RuleMatch[]
  commands: ParsedCommand[]
  evaluated_at: string
}

export interface PendingRequest {
  pending_id: string
  command: string
  note: string
  cwd: string
  timeout_s: number
  /** Epoch seconds, as in the seed. */
  ts: number
  queued_at: string
  expires_at: string
  actor: Actor
  policy: StoredVerdict
}

/** A request that an operator approved: the claimed file, created exclusively (the claim). */
export interface ClaimedRequest extends PendingRequest {
  run_id: string
  approved_by: Actor
  approved_at: string
  approve_note: string
  state: 'running' | 'finished' | 'interrupted'
}

export type DeniedBy = 'operator' | 'expired' | 'policy'

export interface DeniedRequest {
  command: string
  note: string
  pending_id: string
  ts: number
  denied_ts: number
  denied_at: string
  reason: string
  by: DeniedBy
  /** Fingerprinted operator token when `by` is `operator`. */
  denied_by?: Actor | undefined
  cwd: string
  timeout_s: number
  actor: Actor
  policy?: StoredVerdict | undefined
}

export interface RunRecord {
  run_id: string
  cwd: string
  command: string
  exit_code: number | null
  stdout: string
  stderr: string
  /** Epoch seconds when the run started, as in the seed. */
  ts: number
  duration_ms: number
  pending_id: string | null
  note: string
  approved_by: Actor | null
  timed_out: boolean
  interrupted: boolean
  stdout_truncated: boolean
  stderr_truncated: boolean
  /** Bytes the command wrote to each stream, kept or not. */
  stdout_bytes: number
  stderr_bytes: number
  peak_rss_mb: number | null
  cpu_ms: number | null
  policy: {decision: Decision; rule: string | null; reason: string}
  started_at: string
  finished_at: string
}

export interface DaemonInfo {
  pid: number
  host: string
  port: number
  started_at: string
  version: string
  base: string
}
