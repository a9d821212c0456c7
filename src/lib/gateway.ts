/**
 * The request lifecycle (SPEC §6.1): plan → (deny | queue | allow) → approve/deny/expire/withdraw →
 * run. This is the domain core; the daemon only translates HTTP to these calls, and the store makes
 * each transition durable before it resolves (SPEC §6.4). Queries live in `request-views.ts`.
 */
import {EventEmitter} from 'node:events'
import {StringDecoder} from 'node:string_decoder'

import type {HubConfig} from './config.js'
import type {Logger} from './logger.js'
import type {PolicyContext, PolicyEvaluator, Verdict} from './policy/types.js'
import type {SandboxStatus} from './sandbox/index.js'
import type {HubStore} from './stores/types.js'

import {claimFor} from './approval-claim.js'
import {type AuditEntry, cutCommand} from './audit/entry.js'
import {eventTypeOf} from './audit/event-format.js'
import {HubError} from './errors.js'
import {assertId, newId} from './ids.js'
import {
  type Actor,
  type ClaimedRequest,
  type DeniedBy,
  type DeniedRequest,
  type PendingRequest,
  type PlanInput,
  type RunRecord,
} from './records.js'
import {admittedLine, approvedLine, blockedLine, closedLine, editedLine, queuedLine} from './request-lines.js'
import {agentRunRecord, deniedFrom, epochSeconds, requestFields, sha256, storedVerdict} from './request-records.js'
import {RunExecutor} from './run-executor.js'
import {awaitRunElsewhere} from './stores/elsewhere.js'
import {resolveCwd} from './workspace.js'

export type PlanOutcome =
  | {kind: 'allowed'; request: ClaimedRequest}
  | {kind: 'queued'; request: PendingRequest}
  | {kind: 'ran'; record: RunRecord; request: ClaimedRequest}

export type ApproveOutcome = {approved: ClaimedRequest} | {record: RunRecord} | {started: ClaimedRequest}

/** What `/events` carries: the audit seq as id (absent for live output), and a type (SPEC §7.3). */
export interface GatewayEvent {
  data: Record<string, unknown>
  id?: number
  type: string
}

export interface GatewayOptions {
  config: HubConfig
  env?: NodeJS.ProcessEnv
  /** This daemon's host name: requests it receives run here (team mode, SPEC §7.8). */
  host: string
  log: Logger
  policy: PolicyEvaluator
  runtimeDir: string
  /** What runs are contained with on this machine (detected once at start). */
  sandbox: SandboxStatus
  store: HubStore
  /** Real paths of the workspace and runtime dir (resolved once at start). */
  workspace: string
}

export interface ApproveOptions {
  actor: Actor
  /** SHA-256 of the command the operator was shown; a different command is refused. */
  commandSha256?: string | undefined
  /** An operator's edit: what to run instead (evaluated by the policy again). */
  edit?: undefined | {command?: string | undefined; cwd?: string | undefined; timeout_s?: number | undefined}
  note?: string | undefined
  wait?: boolean
}

/** Output included in a `run_finished` event; the record holds all of it. */
const EVENT_OUTPUT_MAX = 16_384
/** How long a refusal counts against the agent that asked (the refusal budget, SPEC §5). */
const REFUSAL_WINDOW_MS = 3_600_000

function clipOutput(text: string): string {
  return text.length > EVENT_OUTPUT_MAX ? text.slice(0, EVENT_OUTPUT_MAX) : text
}

// eslint-disable-next-line unicorn/prefer-event-target -- Node's own idiom: typed events, listener counts
export class Gateway extends EventEmitter<{change: [string]; event: [GatewayEvent]}> {
  readonly runs: RunExecutor
  readonly startedAt = new Date()
  private closing = false
  /** Ids being decided right now: a second approve/deny of the same id gets 409 at once. */
  private readonly deciding = new Set<string>()
  private lastEventAt: string | undefined
  /** Live output decoders, per run (the executor passes the same claimed object for every chunk of a run). */
  private readonly outputDecoders = new WeakMap<ClaimedRequest, Record<'stderr' | 'stdout', StringDecoder>>()

  constructor(private readonly o: GatewayOptions) {
    super()
    this.setMaxListeners(0)
    this.runs = new RunExecutor({
      ...o,
      onOutput: (claimed, stream, chunk) => this.announceOutput(claimed, stream, chunk),
    })
    o.store.onEntry((entry) => this.announce(entry))
  }

  get host(): string {
    return this.o.host
  }

  get lastEventTime(): string | undefined {
    return this.lastEventAt
  }

  get policy(): PolicyEvaluator {
    return this.o.policy
  }

  get sandbox(): SandboxStatus {
    return this.o.sandbox
  }

  get store(): HubStore {
    return this.o.store
  }

  /**
   * Approves a pending request: the command shown is the command run (its hash is checked), an
   * operator's edit is evaluated again, the policy and the working directory are checked again (the
   * second verdict wins), the request is claimed exactly once, and it runs — or, for a request the
   * agent runs itself, is marked approved.
   */
  async approve(id: string, opts: ApproveOptions): Promise<ApproveOutcome> {
    this.assertOpen()
    const req = await this.beginDecision(id)
    let claimed: ClaimedRequest
    try {
      const shownSha = req.command_sha256 ?? sha256(req.command)
      if (opts.commandSha256 !== undefined && opts.commandSha256 !== shownSha) {
        await this.o.store.append({
          event: 'approval_refused',
          ...requestFields(req),
          reason: 'command_changed',
          expected_sha256: opts.commandSha256,
          command_sha256: shownSha,
          actor: opts.actor,
        })
        throw new HubError('conflict', `Request ${id} is not the command you were shown; nothing was approved.`, {
          details: {reason: 'command_changed', command_sha256: shownSha},
          hint: 'Look at it again with `hub pending ' + id + ' --full`.',
        })
      }

      claimed = await this.prepareClaim(req, opts)
      const edited =
        claimed.original_command !== undefined || claimed.cwd !== req.cwd || claimed.timeout_s !== req.timeout_s
      const approved = approvedLine(req, claimed, opts.actor, opts.note ?? '')
      const lines = edited ? [editedLine(req, claimed, opts.actor, shownSha), approved] : [approved]
      await this.o.store.claim(claimed, lines)
      this.o.log.info(`Approved ${id} → ${req.executor === 'agent' ? 'the agent runs it' : `run ${claimed.run_id}`}`)
    } finally {
      this.deciding.delete(id)
    }

    if (claimed.state === 'approved') return {approved: claimed}
    if (this.o.store.shared && claimed.host !== undefined && claimed.host !== this.o.host) {
      // Team mode (SPEC §7.8): it runs only on the host that received it; this daemon recorded the approval.
      this.o.log.info(`Approved ${id}: it runs on ${claimed.host}`)
      return opts.wait === false ? {started: claimed} : awaitRunElsewhere(this, claimed)
    }

    if (this.closing) {
      // Shutdown began while this approval was being recorded: the run is not started, and
      // recovery at the next start records it as interrupted, never as run.
      throw new HubError(
        'shutting_down',
        'The daemon is shutting down; the approval is recorded but the command was not started.',
      )
    }

    const done = this.runs.execute(claimed, {soon: opts.wait === false})
    if (opts.wait === false) {
      done.catch((error: Error) => this.o.log.error(`Run ${claimed.run_id} failed: ${error.message}`))
      return {started: claimed}
    }

    return {record: await done}
  }

  /** Stops taking requests, lets runs finish for `graceMs`, then interrupts the rest. */
  async close(graceMs = 10_000): Promise<void> {
    this.closing = true
    await this.runs.close(graceMs)
  }

  async deny(id: string, opts: {actor: Actor; reason?: string | undefined}): Promise<DeniedRequest> {
    this.assertOpen()
    const req = await this.beginDecision(id)
    try {
      return await this.closeRequest(req, {by: 'operator', reason: opts.reason ?? '', actor: opts.actor})
    } finally {
      this.deciding.delete(id)
    }
  }

  /** Expires every request past its time; the daemon calls this periodically. */
  async expireDue(): Promise<number> {
    let n = 0
    for (const id of await this.o.store.dueForExpiry(Date.now())) {
      if (this.deciding.has(id)) continue
      this.deciding.add(id)
      try {
        const req = await this.o.store.getPending(id)
        if (!req) continue
        await this.closeRequest(req, {by: 'expired', reason: `expired: not decided by ${req.expires_at}`})
        n++
      } finally {
        this.deciding.delete(id)
      }
    }

    return n
  }

  async plan(input: PlanInput, actor: Actor): Promise<PlanOutcome> {
    this.assertOpen()
    const now = new Date()
    const request: PendingRequest = {
      pending_id: newId(now),
      command: input.command,
      note: input.note ?? '',
      cwd: this.o.workspace,
      timeout_s: input.timeout_s ?? 300,
      ts: epochSeconds(now),
      queued_at: now.toISOString(),
      expires_at: new Date(now.getTime() + this.o.config.pendingTtlSeconds * 1000).toISOString(),
      actor,
      policy: storedVerdict({commands: [], decision: 'ask', matches: [], reason: 'not evaluated yet'}),
      command_sha256: sha256(input.command),
      client: input.client ?? 'http',
      ...(input.session_id ? {session_id: input.session_id} : {}),
      ...(input.tool_use_id ? {tool_use_id: input.tool_use_id} : {}),
      executor: input.executor ?? 'hub',
      host: this.o.host,
      ...(input.network === false ? {network: false} : {}),
    }
    const where = await resolveCwd(this.o.workspace, input.cwd)
    if ('outside' in where) {
      return this.refuse({...request, cwd: where.outside}, 'cwd:outside-workspace', 'cwd:outside-workspace')
    }

    request.cwd = where.cwd
    const verdict = await this.o.policy.evaluate(input.command, this.policyContext(request.cwd))
    request.policy = storedVerdict(verdict)
    if (verdict.network === false) request.network = false
    this.o.log.debug(
      `Policy for ${request.pending_id}: ${verdict.decision} (${verdict.rule ?? 'no rule'}) ${verdict.reason}`,
    )
    if (verdict.decision === 'deny')
      return this.refuse(request, `deny:${verdict.rule ?? 'policy'}`, verdict.rule ?? null, verdict)
    if (verdict.decision === 'allow') return this.admit(request, verdict)

    await this.o.store.queue(request, queuedLine(request, verdict), this.limits())
    this.o.log.info(`Queued command ${request.pending_id}: ${cutCommand(input.command)}`)
    return {kind: 'queued', request}
  }

  /** What an agent that ran an allowed command itself says happened (SPEC §7.6). */
  async reportOutcome(
    id: string,
    outcome: {
      duration_ms?: number | undefined
      excerpt?: string | undefined
      exit_code: null | number
      interrupted?: boolean | undefined
      stderr_bytes?: number | undefined
      stdout_bytes?: number | undefined
    },
    actor: Actor,
  ): Promise<RunRecord> {
    const claimed = await this.o.store.getClaimed(assertId(id, 'pending_id'))
    if (!claimed || !this.visible(claimed.actor, actor)) throw new HubError('not_found', `No request ${id}.`)
    if (claimed.executor !== 'agent' || claimed.state !== 'approved') {
      throw new HubError('conflict', `Request ${id} is not waiting for an outcome (it is ${claimed.state}).`)
    }

    const record = agentRunRecord(claimed, outcome)
    await this.o.store.recordRun({...claimed, state: 'executed'}, record, {
      event: 'command_executed_by_agent',
      run_id: claimed.run_id,
      ...requestFields(claimed),
      command: cutCommand(claimed.command),
      exit_code: outcome.exit_code,
      duration_ms: record.duration_ms,
      stdout_bytes: record.stdout_bytes,
      stderr_bytes: record.stderr_bytes,
      excerpt: record.stdout.slice(0, 512),
      executor: record.executor,
      actor,
    })
    return record
  }

  /** Whether `viewer` may see what `owner` asked for: operators see everything, an agent its own. */
  visible(owner: Actor, viewer: Actor): boolean {
    return viewer.role === 'operator' || (owner.role === 'agent' && owner.token === viewer.token)
  }

  /** The agent that asked (or an operator) takes back a pending request (MCP cancellation). */
  async withdraw(id: string, opts: {actor: Actor; reason?: string | undefined}): Promise<DeniedRequest> {
    this.assertOpen()
    const req = await this.beginDecision(id, opts.actor)
    try {
      return await this.closeRequest(req, {
        by: 'withdrawn',
        reason: opts.reason ?? 'withdrawn by the agent',
        actor: opts.actor,
      })
    } finally {
      this.deciding.delete(id)
    }
  }

  /** An operator's allow rule lets the request through at once: hub runs it, or the agent does. */
  private async admit(request: PendingRequest, verdict: Verdict): Promise<PlanOutcome> {
    const byAgent = request.executor === 'agent'
    const claimed: ClaimedRequest = {
      ...request,
      run_id: newId(),
      approved_by: {role: 'operator', token: `rule:${verdict.rule ?? 'allow'}`},
      approved_at: new Date().toISOString(),
      approve_note: '',
      state: byAgent ? 'approved' : 'running',
    }
    this.o.log.info(`Allowed by rule ${verdict.rule ?? '?'}: ${request.pending_id}: ${cutCommand(request.command)}`)
    await this.o.store.admit(claimed, admittedLine(request, claimed, verdict.rule ?? null))
    if (byAgent) return {kind: 'allowed', request: claimed}
    this.assertOpen()
    return {kind: 'ran', record: await this.runs.execute(claimed), request: claimed}
  }

  /** Every audit line becomes an event, and every line about a request wakes whoever waits on it. */
  private announce(entry: AuditEntry): void {
    this.lastEventAt = entry.ts
    const type = eventTypeOf(entry.event)
    const {hash: _h, prev: _p, ...data} = entry
    const output =
      typeof entry.run_id === 'string' && type === 'run_finished' ? this.runs.outputOf(entry.run_id) : undefined
    const extra = output
      ? {
          stdout: clipOutput(output.stdout),
          stderr: clipOutput(output.stderr),
          stdout_truncated: output.stdout.length > EVENT_OUTPUT_MAX,
          stderr_truncated: output.stderr.length > EVENT_OUTPUT_MAX,
        }
      : {}
    this.emit('event', {id: entry.seq, type, data: {type, ...data, ...extra}})
    if (typeof entry.pending_id === 'string') this.emit('change', entry.pending_id)
  }

  private announceOutput(claimed: ClaimedRequest, stream: 'stderr' | 'stdout', chunk: Buffer): void {
    if (this.listenerCount('event') === 0) return
    // One decoder per run and stream: a character split between two chunks is sent whole with the
    // second, never as two U+FFFD that the live view would show while the record holds the character.
    let decoders = this.outputDecoders.get(claimed)
    if (!decoders) {
      decoders = {stderr: new StringDecoder('utf8'), stdout: new StringDecoder('utf8')}
      this.outputDecoders.set(claimed, decoders)
    }

    const data = decoders[stream].write(chunk)
    if (data === '') return
    this.emit('event', {
      type: 'run_output',
      data: {
        type: 'run_output',
        run_id: claimed.run_id,
        pending_id: claimed.pending_id,
        agent: claimed.actor.token,
        stream,
        data,
      },
    })
  }

  private assertOpen(): void {
    if (this.closing) throw new HubError('shutting_down', 'The daemon is shutting down and takes no new requests.')
  }

  /** Locks a pending request for a decision; an expired one is expired on the spot (fails closed). */
  private async beginDecision(id: string, viewer?: Actor): Promise<PendingRequest> {
    assertId(id, 'pending_id')
    if (this.deciding.has(id)) throw new HubError('conflict', `Request ${id} is being decided right now.`)
    this.deciding.add(id)
    try {
      const req = await this.o.store.getPending(id)
      if (!req || (viewer && !this.visible(req.actor, viewer))) return await this.notPending(id, viewer)
      if (Date.parse(req.expires_at) <= Date.now()) {
        await this.closeRequest(req, {by: 'expired', reason: `expired: not decided by ${req.expires_at}`})
        throw new HubError('conflict', `Request ${id} expired at ${req.expires_at} and can no longer be approved.`, {
          hint: 'Ask the agent to plan it again.',
        })
      }

      return req
    } catch (error) {
      this.deciding.delete(id)
      throw error
    }
  }

  /**
   * pending → denied, the one way out of the queue that is not a run: an operator's deny, expiry,
   * withdrawal, or the policy refusing at run time. The store undoes the file if the line fails.
   */
  private async closeRequest(
    req: PendingRequest,
    c: {actor?: Actor; by: DeniedBy; reason: string; rule?: null | string; verdict?: Verdict},
  ): Promise<DeniedRequest> {
    const denied = deniedFrom(req, c)
    await this.o.store.close(denied, closedLine(req, c))
    const verb = {expired: 'Expired', operator: 'Denied', policy: 'Blocked at run time', withdrawn: 'Withdrawn'}[c.by]
    this.o.log.info(`${verb} ${req.pending_id}${c.reason ? `: ${c.reason}` : ''}`)
    return denied
  }

  private limits(): {maxPerAgent: number; refusalWindowMs: number} {
    return {maxPerAgent: this.o.config.maxPendingPerAgent, refusalWindowMs: REFUSAL_WINDOW_MS}
  }

  private async notPending(id: string, viewer?: Actor): Promise<never> {
    const claimed = await this.o.store.getClaimed(id).catch(() => undefined)
    const denied = claimed ? undefined : await this.o.store.getDenied(id).catch(() => undefined)
    const owner = claimed?.actor ?? denied?.actor
    if (owner && (!viewer || this.visible(owner, viewer))) {
      throw new HubError('conflict', `Request ${id} was already ${claimed ? 'approved' : 'decided'}.`)
    }

    throw new HubError('not_found', `No pending request ${id}.`, {hint: 'List waiting requests with `hub pending`.'})
  }

  private policyContext(cwd: string): PolicyContext {
    return {cwd, policyFile: this.o.config.policyFile, runtimeDir: this.o.runtimeDir, workspace: this.o.workspace}
  }

  /** The claim an approval makes (see approval-claim.ts); a refusal is recorded here, then thrown. */
  private async prepareClaim(req: PendingRequest, opts: ApproveOptions): Promise<ClaimedRequest> {
    const remote = this.o.store.shared === true && req.host !== undefined && req.host !== this.o.host
    const outcome = await claimFor(req, opts, {
      remote,
      policy: this.o.policy,
      context: (cwd) => this.policyContext(cwd),
      workspace: this.o.workspace,
    })
    if (outcome.kind === 'claim') return outcome.claimed
    await (outcome.kind === 'edit-refused' ? this.o.store.append(outcome.line) : this.closeRequest(req, outcome.close))
    throw outcome.error
  }

  /** Refuses a request at plan time: kept (by policy), audited `command_blocked`, answered 403. */
  private async refuse(
    request: PendingRequest,
    reason: string,
    rule: null | string,
    verdict?: Verdict,
  ): Promise<never> {
    const denied = deniedFrom(request, {by: 'policy', reason, verdict})
    await this.o.store.refuse(denied, blockedLine(request, reason, rule), this.limits())
    this.o.log.info(`Blocked command ${request.pending_id} (${reason}): ${cutCommand(request.command)}`)
    throw new HubError('policy_denied', `Blocked by policy: ${verdict?.reason ?? reason}`, {
      details: {reason, rule, pending_id: request.pending_id},
      hint: 'See how the policy reads it: hub policy check "<the command>"',
    })
  }
}
