/**
 * What each audit line about a request holds (SPEC §3.1): the seed's fields first (`command` cut to
 * 200 characters), then hub's. One builder per event, so that the gateway, recovery and the readers
 * agree on the shape of every line.
 */
import type {Verdict} from './policy/types.js'
import type {Actor, ClaimedRequest, DeniedBy, PendingRequest} from './records.js'

import {type AuditFields, cutCommand} from './audit/entry.js'
import {fullCommand, requestFields} from './request-records.js'

export function queuedLine(request: PendingRequest, verdict: Verdict): AuditFields {
  return {
    event: 'command_queued',
    ...requestFields(request),
    command: cutCommand(request.command),
    ...fullCommand(request.command),
    command_sha256: request.command_sha256,
    note: request.note,
    cwd: request.cwd,
    timeout_s: request.timeout_s,
    expires_at: request.expires_at,
    ...(request.network === false ? {network: false} : {}),
    ...(request.executor === 'agent' ? {executor: 'agent'} : {}),
    ...(request.tool_use_id ? {tool_use_id: request.tool_use_id} : {}),
    decision: verdict.decision,
    rule: verdict.rule ?? null,
    actor: request.actor,
  }
}

/** A refusal before the request ever waited: the seed's `command_blocked` (its `run_id` is the request id). */
export function blockedLine(request: PendingRequest, reason: string, rule: null | string): AuditFields {
  return {
    event: 'command_blocked',
    run_id: request.pending_id,
    reason,
    command: cutCommand(request.command),
    ...fullCommand(request.command),
    ...requestFields(request),
    rule,
    actor: request.actor,
  }
}

/** Who runs an approved request: hub, or the agent (named by its client). */
function executorOf(req: PendingRequest): string {
  return req.executor === 'agent' ? (req.client ?? 'agent') : 'hub'
}

export function approvedLine(req: PendingRequest, claimed: ClaimedRequest, actor: Actor, note: string): AuditFields {
  return {
    event: 'command_approved',
    ...requestFields(req),
    run_id: claimed.run_id,
    command: cutCommand(claimed.command),
    command_sha256: claimed.command_sha256,
    actor,
    note,
    executor: executorOf(req),
  }
}

/** An operator's allow rule let it through: approved `by: policy`, never waiting. */
export function admittedLine(req: PendingRequest, claimed: ClaimedRequest, rule: null | string): AuditFields {
  return {
    event: 'command_approved',
    ...requestFields(req),
    run_id: claimed.run_id,
    command: cutCommand(req.command),
    ...fullCommand(req.command),
    command_sha256: req.command_sha256,
    actor: req.actor,
    by: 'policy',
    rule,
    executor: executorOf(req),
  }
}

/** Both versions, whole: what the agent asked and what the operator approved instead. */
export function editedLine(req: PendingRequest, claimed: ClaimedRequest, actor: Actor, shownSha: string): AuditFields {
  return {
    event: 'command_edited',
    ...requestFields(req),
    original: req.command,
    command: claimed.command,
    original_sha256: shownSha,
    command_sha256: claimed.command_sha256,
    ...(claimed.cwd === req.cwd ? {} : {original_cwd: req.cwd, cwd: claimed.cwd}),
    ...(claimed.timeout_s === req.timeout_s ? {} : {timeout_s: claimed.timeout_s}),
    actor,
  }
}

const CLOSE_EVENTS = {
  expired: 'command_expired',
  operator: 'command_denied',
  policy: 'command_blocked',
  withdrawn: 'command_withdrawn',
} as const

/** A request leaving the queue without a run: denied, expired, withdrawn, or refused at run time. */
export function closedLine(
  req: PendingRequest,
  c: {actor?: Actor | undefined; by: DeniedBy; reason: string; rule?: null | string | undefined},
): AuditFields {
  return {
    event: CLOSE_EVENTS[c.by],
    ...(c.by === 'policy' ? {run_id: req.pending_id, at: 'run'} : {}),
    ...requestFields(req),
    command: cutCommand(req.command),
    ...(c.by === 'policy' ? fullCommand(req.command) : {}),
    reason: c.reason,
    ...(c.rule === undefined ? {} : {rule: c.rule}),
    ...(c.by === 'expired' ? {expires_at: req.expires_at} : {}),
    ...(c.actor ? {actor: c.actor} : {}),
  }
}
