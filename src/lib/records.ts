/**
 * Shapes of the runtime files (SPEC §3.2–§3.4). Field names the seed shows are a contract with
 * existing scripts: they are kept exactly, and everything else is added beside them.
 */
import type {Decision, ParsedCommand, RuleMatch} from './policy/types.js'
import type {Role} from './tokens.js'

/** Which kind of client sent a request (SPEC §7.6); `http` is a client written against the API. */
export const CLIENT_KINDS = ['http', 'claude-code', 'codex', 'cursor', 'gemini', 'mcp'] as const
export type ClientKind = (typeof CLIENT_KINDS)[number]

/**
 * Where a request stands (SPEC §7.1 `/requests/:id`). `approved` and `executed` belong to requests an
 * agent runs itself after hub allowed them (`executor: "agent"`, the hook integrations): approved and
 * not yet reported back, or reported back with its outcome.
 */
export const REQUEST_STATES = [
  'pending',
  'running',
  'finished',
  'interrupted',
  'denied',
  'expired',
  'blocked',
  'withdrawn',
  'approved',
  'executed',
] as const
export type RequestState = (typeof REQUEST_STATES)[number]

/** States after which nothing more happens to a request. */
export const FINAL_STATES: ReadonlySet<RequestState> = new Set([
  'finished',
  'interrupted',
  'denied',
  'expired',
  'blocked',
  'withdrawn',
  'executed',
])

export interface RequestStatus {
  command: string
  edited?: boolean | undefined
  /** Who runs it: hub, or the agent itself after hub allowed it. */
  executor?: 'agent' | 'hub' | undefined
  exit_code?: null | number | undefined
  expires_at?: string | undefined
  /** The command as the agent first asked for it, when an operator edited it before approving. */
  original_command?: string | undefined
  pending_id: string
  queued_at?: string | undefined
  reason?: string | undefined
  rule?: null | string | undefined
  run_id?: string | undefined
  state: RequestState
  /** Approved, but waiting for a free run slot. */
  waiting?: boolean | undefined
}

/** What an agent asks for (SPEC §6.1, `POST /plan`); `api.ts` validates it at the edge. */
export interface PlanInput {
  client?: ClientKind | undefined
  command: string
  cwd?: string | undefined
  executor?: 'agent' | 'hub' | undefined
  /** false: the run gets no network. */
  network?: boolean | undefined
  note?: string | undefined
  session_id?: string | undefined
  timeout_s?: number | undefined
  tool_use_id?: string | undefined
}

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
  /** Which integration sent it, and the agent's own session and tool-call ids (SPEC §7.6). */
  client?: ClientKind | undefined
  command: string
  /** SHA-256 (hex) of `command`: what an approval is bound to (SPEC §6.1). */
  command_sha256?: string | undefined
  cwd: string
  /** `agent`: the agent runs it itself once allowed and reports the outcome; default hub. */
  executor?: 'agent' | 'hub' | undefined
  expires_at: string
  /** The host whose daemon received it, where it runs (team mode, SPEC §7.8). */
  host?: string | undefined
  /** false when the request asked for a run without network (`{"network": false}`). */
  network?: boolean | undefined
  note: string
  pending_id: string
  policy: StoredVerdict
  queued_at: string
  session_id?: string | undefined
  timeout_s: number
  tool_use_id?: string | undefined
  /** Epoch seconds, as in the seed. */
  ts: number
}

/** A request that an operator approved: the claimed file, created exclusively (the claim). */
export interface ClaimedRequest extends PendingRequest {
  approve_note: string
  approved_at: string
  approved_by: Actor
  /** The command as first asked, when an operator edited it before approving. */
  original_command?: string | undefined
  run_id: string
  /**
   * running → finished | interrupted for runs hub makes; approved → executed for commands the agent
   * runs itself (`executor: "agent"`).
   */
  state: 'approved' | 'executed' | 'finished' | 'interrupted' | 'running'
}

export type DeniedBy = 'expired' | 'operator' | 'policy' | 'withdrawn'

export interface DeniedRequest {
  actor: Actor
  by: DeniedBy
  client?: ClientKind | undefined
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
  session_id?: string | undefined
  timeout_s: number
  ts: number
}

export interface RunRecord {
  approved_by: Actor | null
  /** Which integration asked, and who ran it: hub, or the agent itself (its client name). */
  client?: ClientKind | undefined
  command: string
  cpu_ms: null | number
  cwd: string
  duration_ms: number
  executor?: string | undefined
  exit_code: null | number
  finished_at: string
  interrupted: boolean
  network?: boolean
  note: string
  /** The command as first asked, when an operator edited it before approving. */
  original_command?: string | undefined
  peak_rss_mb: null | number
  pending_id: null | string
  policy: {decision: Decision; reason: string; rule: null | string}
  /**
   * Set when the run happened but its record could not be written at the time (a full disk): what was
   * known then, written when it could be (SPEC §6.4: a record never claims more or less than happened).
   */
  record_error?: string | undefined
  /** Who asked for it (the request's actor): an agent token sees only the runs it asked for. */
  requested_by?: Actor | undefined
  run_id: string
  /** How the run was contained (SPEC §6.5), and whether it had network; absent in older records. */
  sandbox?: 'bwrap' | 'none'
  session_id?: string | undefined
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
  /** The Unix socket the local CLI uses (absent when the path is too long for a socket). */
  socket?: string
  started_at: string
  version: string
}
