/**
 * What an approval claims (SPEC §6.1, §6.5): the operator's edit applied, the working directory
 * resolved again (a directory on the way may have been swapped for a symlink since the request was
 * queued) and the policy asked again, whose second verdict wins. Decides only: the gateway records
 * the refusal it returns, so that every transition stays in one place.
 */
import type {AuditFields} from './audit/entry.js'
import type {PolicyContext, PolicyEvaluator, Verdict} from './policy/types.js'

import {cutCommand} from './audit/entry.js'
import {HubError} from './errors.js'
import {newId} from './ids.js'
import {type Actor, type ClaimedRequest, type DeniedBy, type PendingRequest} from './records.js'
import {fullCommand, requestFields, sha256, storedVerdict} from './request-records.js'
import {resolveCwd} from './workspace.js'

export interface ClaimOptions {
  actor: Actor
  edit?: undefined | {command?: string | undefined; cwd?: string | undefined; timeout_s?: number | undefined}
  note?: string | undefined
}

export interface ClaimContext {
  context(cwd: string): PolicyContext
  policy: PolicyEvaluator
  /** Team mode: the request runs on another host, whose daemon checks the cwd before it runs. */
  remote: boolean
  workspace: string
}

export type ClaimOutcome =
  /** The request leaves the queue refused (by policy at run time); the error is the answer. */
  | {claimed: ClaimedRequest; kind: 'claim'}
  /** The operator's edit is refused; the request stays as the agent asked it, still pending. */
  | {
      close: {actor: Actor; by: DeniedBy; reason: string; rule: null | string; verdict?: Verdict}
      error: HubError
      kind: 'closed'
    }
  | {error: HubError; kind: 'edit-refused'; line: AuditFields}

export async function claimFor(req: PendingRequest, opts: ClaimOptions, ctx: ClaimContext): Promise<ClaimOutcome> {
  const command = opts.edit?.command ?? req.command
  const edited = command !== req.command || (opts.edit?.cwd !== undefined && opts.edit.cwd !== req.cwd)
  if (ctx.remote && opts.edit?.cwd !== undefined)
    throw new HubError('validation_failed', `Request ${req.pending_id} runs on ${req.host}: edit its cwd there.`, {
      details: {field: 'cwd'},
    })
  const where = ctx.remote
    ? {cwd: req.cwd}
    : await resolveCwd(ctx.workspace, opts.edit?.cwd ?? req.cwd).catch(() => ({outside: req.cwd}))
  if ('outside' in where) {
    if (edited)
      throw new HubError('validation_failed', `cwd ${opts.edit?.cwd} is outside the workspace.`, {
        details: {field: 'cwd'},
      })
    return outsideWorkspace(req, opts.actor)
  }

  const verdict = await ctx.policy.evaluate(command, ctx.context(where.cwd))
  if (verdict.decision === 'deny') return refusedByPolicy(req, opts.actor, verdict, {command, edited})
  return {kind: 'claim', claimed: claimOf(req, opts, verdict, {command, cwd: where.cwd})}
}

function outsideWorkspace(req: PendingRequest, actor: Actor): ClaimOutcome {
  const rule = 'cwd:outside-workspace'
  return {
    kind: 'closed',
    close: {by: 'policy', reason: rule, rule, actor},
    error: new HubError(
      'policy_denied',
      `Blocked at run time: the working directory ${req.cwd} now leads outside the workspace`,
      {details: {reason: rule, rule, pending_id: req.pending_id}},
    ),
  }
}

function refusedByPolicy(
  req: PendingRequest,
  actor: Actor,
  verdict: Verdict,
  {command, edited}: {command: string; edited: boolean},
): ClaimOutcome {
  const reason = `deny:${verdict.rule ?? 'policy'}`
  const rule = verdict.rule ?? null
  const details = {reason, rule, pending_id: req.pending_id}
  if (!edited)
    return {
      kind: 'closed',
      close: {by: 'policy', reason, rule, verdict, actor},
      error: new HubError('policy_denied', `Blocked at run time: ${verdict.reason}`, {details}),
    }
  return {
    kind: 'edit-refused',
    line: {
      event: 'approval_refused',
      ...requestFields(req),
      reason,
      rule,
      command: cutCommand(command),
      ...fullCommand(command),
      actor,
    },
    error: new HubError('policy_denied', `The edited command is refused by the policy: ${verdict.reason}`, {
      details,
      hint: 'A deny stays a deny: edit it into something the policy allows, or deny the request.',
    }),
  }
}

function claimOf(
  req: PendingRequest,
  opts: ClaimOptions,
  verdict: Verdict,
  {command, cwd}: {command: string; cwd: string},
): ClaimedRequest {
  return {
    ...req,
    command,
    cwd,
    timeout_s: opts.edit?.timeout_s ?? req.timeout_s,
    command_sha256: sha256(command),
    ...(command === req.command ? {} : {original_command: req.command}),
    ...(verdict.network === false ? {network: false} : {}),
    policy: storedVerdict(verdict),
    run_id: newId(),
    approved_by: opts.actor,
    approved_at: new Date().toISOString(),
    approve_note: opts.note ?? '',
    state: req.executor === 'agent' ? 'approved' : 'running',
  }
}
