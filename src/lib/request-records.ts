/**
 * Building the records of a request's life (SPEC §3.2–§3.4) from what the gateway knows: the verdict
 * as stored, the denied record, the run record of a command the agent ran itself, and the audit
 * fields every line about a request carries. One place, so that the gateway, the runner and recovery
 * write the same shapes.
 */
import {createHash} from 'node:crypto'

import type {Verdict} from './policy/types.js'
import type {
  Actor,
  ClaimedRequest,
  DeniedBy,
  DeniedRequest,
  PendingRequest,
  RunRecord,
  StoredVerdict,
} from './records.js'

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

export function epochSeconds(d: Date): number {
  return Math.round(d.getTime()) / 1000
}

export function storedVerdict(v: Verdict): StoredVerdict {
  return {
    decision: v.decision,
    rule: v.rule ?? null,
    reason: v.reason,
    matches: v.matches,
    commands: v.commands,
    ...(v.unanalysed?.length ? {unanalysed: v.unanalysed} : {}),
    evaluated_at: new Date().toISOString(),
  }
}

/** The long command on lines that cut `command` to the seed's 200 characters. */
export function fullCommand(command: string): Record<string, string> {
  return command.length > 200 ? {command_full: command} : {}
}

/** The audit fields that tie a line to its request, its client and the agent that asked (SPEC §7.6). */
export function requestFields(req: {
  actor: {role: string; token: string}
  client?: string | undefined
  pending_id: string
  session_id?: string | undefined
}): Record<string, unknown> {
  return {
    pending_id: req.pending_id,
    // On every line about its request: `hub audit --agent`, and an agent's own event stream.
    ...(req.actor.role === 'agent' ? {agent: req.actor.token} : {}),
    ...(req.client ? {client: req.client} : {}),
    ...(req.session_id ? {session_id: req.session_id} : {}),
  }
}

/** A request leaving the queue (or refused before it): the seed's denied fields, and why. */
export function deniedFrom(
  req: PendingRequest,
  c: {actor?: Actor | undefined; by: DeniedBy; reason: string; verdict?: undefined | Verdict},
): DeniedRequest {
  const now = new Date()
  return {
    command: req.command,
    note: req.note,
    pending_id: req.pending_id,
    ts: req.ts,
    denied_ts: epochSeconds(now),
    denied_at: now.toISOString(),
    reason: c.reason,
    by: c.by,
    ...(c.by === 'operator' && c.actor ? {denied_by: c.actor} : {}),
    cwd: req.cwd,
    timeout_s: req.timeout_s,
    actor: req.actor,
    policy: c.verdict ? storedVerdict(c.verdict) : req.policy,
    ...(req.client ? {client: req.client} : {}),
    ...(req.session_id ? {session_id: req.session_id} : {}),
  }
}

export interface AgentOutcome {
  duration_ms?: number | undefined
  excerpt?: string | undefined
  exit_code: null | number
  interrupted?: boolean | undefined
  stderr_bytes?: number | undefined
  stdout_bytes?: number | undefined
}

/** The run record of a command an agent ran itself and reported: the excerpt it sent stands for the output. */
export function agentRunRecord(claimed: ClaimedRequest, outcome: AgentOutcome): RunRecord {
  const now = new Date()
  const excerpt = outcome.excerpt ?? ''
  const stdoutBytes = outcome.stdout_bytes ?? Buffer.byteLength(excerpt)
  return {
    run_id: claimed.run_id,
    cwd: claimed.cwd,
    command: claimed.command,
    exit_code: outcome.exit_code,
    stdout: excerpt,
    stderr: '',
    ts: epochSeconds(now),
    duration_ms: outcome.duration_ms ?? 0,
    pending_id: claimed.pending_id,
    note: claimed.note,
    approved_by: claimed.approved_by,
    requested_by: claimed.actor,
    ...(claimed.client ? {client: claimed.client} : {}),
    ...(claimed.session_id ? {session_id: claimed.session_id} : {}),
    ...(claimed.original_command === undefined ? {} : {original_command: claimed.original_command}),
    executor: claimed.client ?? 'agent',
    timed_out: false,
    interrupted: outcome.interrupted ?? false,
    stdout_truncated: stdoutBytes > Buffer.byteLength(excerpt),
    stderr_truncated: (outcome.stderr_bytes ?? 0) > 0,
    stdout_bytes: stdoutBytes,
    stderr_bytes: outcome.stderr_bytes ?? 0,
    peak_rss_mb: null,
    cpu_ms: null,
    policy: {decision: claimed.policy.decision, rule: claimed.policy.rule, reason: claimed.policy.reason},
    started_at: claimed.approved_at,
    finished_at: now.toISOString(),
  }
}
