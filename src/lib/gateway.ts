/**
 * The request lifecycle (SPEC §6.1): plan → (deny | queue | allow) → approve/deny/expire → run.
 * This is the domain core; the daemon only translates HTTP to these calls. Every method that
 * answers "queued", "denied" or "ran" resolves only after the audit line behind it is on disk.
 */
import {EventEmitter} from 'node:events'
import {realpath, stat} from 'node:fs/promises'
import {isAbsolute, relative, resolve, sep} from 'node:path'

import type {RequestState, RequestStatus} from './client.js'
import type {HubConfig} from './config.js'
import type {Logger} from './logger.js'
import type {PolicyContext, PolicyEvaluator, Verdict} from './policy/types.js'
import type {Actor, ClaimedRequest, DeniedRequest, PendingRequest, RunRecord, StoredVerdict} from './records.js'

import {type AuditEntry, type AuditFields, AuditLog, cutCommand} from './audit-log.js'
import {HubError} from './errors.js'
import {assertId, newId} from './ids.js'
import {childEnv, runCommand, RunQueue} from './runner.js'
import type {SandboxPlan, SandboxStatus} from './sandbox/index.js'
import {RuntimeStore} from './store.js'

export interface PlanInput {
  command: string
  /** false: run without network. */
  network?: boolean | undefined
  cwd?: string | undefined
  note?: string | undefined
  timeout_s?: number | undefined
}

export type PlanOutcome =
  {kind: 'queued'; request: PendingRequest} | {kind: 'ran'; record: RunRecord; request: ClaimedRequest}

/** What `/events` carries: the audit seq as id, and a type (SPEC §7.3). */
export interface GatewayEvent {
  data: Record<string, unknown>
  id: number
  type: string
}

export interface GatewayOptions {
  audit: AuditLog
  config: HubConfig
  env?: NodeJS.ProcessEnv
  log: Logger
  policy: PolicyEvaluator
  runtimeDir: string
  store: RuntimeStore
  /** What runs are contained with on this machine (detected once at start). */
  sandbox: SandboxStatus
  /** Real paths of the workspace and runtime dir (resolved once at start). */
  workspace: string
}

const FINAL_STATES = new Set<RequestState>(['finished', 'denied', 'expired', 'blocked', 'interrupted'])

/** Output included in a `run_finished` event; the record holds all of it. */
const EVENT_OUTPUT_MAX = 16_384

function epochSeconds(d: Date): number {
  return Math.round(d.getTime()) / 1000
}

function storedVerdict(v: Verdict): StoredVerdict {
  return {
    decision: v.decision,
    rule: v.rule ?? null,
    reason: v.reason,
    matches: v.matches,
    commands: v.commands,
    evaluated_at: new Date().toISOString(),
  }
}

function denyReason(v: Verdict): string {
  return `deny:${v.rule ?? 'policy'}`
}

export function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child)
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel))
}

export class Gateway extends EventEmitter<{change: [string]; event: [GatewayEvent]}> {
  /** Counts kept in memory so /status and /health never list directories (the gateway is the only writer). */
  readonly counts = {pending: 0, denied: 0, runs: 0}
  readonly startedAt = new Date()
  private closing = false
  /** Ids being decided right now: a second approve/deny of the same id gets 409 at once. */
  private readonly deciding = new Set<string>()
  /** Expiry time (epoch ms) of every pending request, by id. */
  private readonly expiries = new Map<string, number>()
  private readonly inflight = new Set<Promise<unknown>>()
  private lastEventAt: string | undefined
  /** Pending requests per agent token fingerprint, for the per-agent cap (SPEC §2). */
  private readonly pendingByAgent = new Map<string, number>()
  private readonly queue: RunQueue
  private readonly running = new Map<string, {pendingId: string; runId: string; startedAt: Date}>()
  private readonly shutdown = new AbortController()
  /** Approved requests waiting for a run slot (AGENT_HUB_MAX_CONCURRENT_RUNS). */
  private readonly waiting = new Set<string>()

  constructor(private readonly o: GatewayOptions) {
    super()
    this.setMaxListeners(0)
    this.queue = new RunQueue(o.config.maxConcurrentRuns)
  }

  get activeRuns(): number {
    return this.running.size
  }

  get lastEventTime(): string | undefined {
    return this.lastEventAt
  }

  get sandbox(): SandboxStatus {
    return this.o.sandbox
  }

  get policy(): PolicyEvaluator {
    return this.o.policy
  }

  get waitingRuns(): number {
    return this.queue.waitingCount
  }

  /**
   * Approves a pending request: checks the policy and the working directory again (the second
   * verdict wins), claims it exactly once, and runs it. Resolves with the run record, or — with
   * `wait: false` — as soon as the run has started.
   */
  async approve(
    id: string,
    opts: {actor: Actor; note?: string | undefined; wait?: boolean},
  ): Promise<{record: RunRecord} | {started: ClaimedRequest}> {
    this.assertOpen()
    const req = await this.beginDecision(id)
    let claimed: ClaimedRequest
    try {
      // A directory on the way may have been swapped for a symlink since the request was queued.
      const where = await this.resolveCwd(req.cwd).catch(() => ({outside: req.cwd}))
      if ('outside' in where)
        await this.refuseAtRunTime(
          req,
          opts.actor,
          'cwd:outside-workspace',
          'cwd:outside-workspace',
          `the working directory ${req.cwd} now leads outside the workspace`,
        )
      const verdict = await this.o.policy.evaluate(req.command, this.policyContext(req.cwd))
      if (verdict.decision === 'deny')
        await this.refuseAtRunTime(req, opts.actor, denyReason(verdict), verdict.rule ?? null, verdict.reason, verdict)
      claimed = {
        ...req,
        policy: storedVerdict(verdict),
        run_id: newId(),
        approved_by: opts.actor,
        approved_at: new Date().toISOString(),
        approve_note: opts.note ?? '',
        state: 'running',
      }
      await this.o.store.claim(claimed)
      this.trackPending(req, -1)
      try {
        await this.record({
          event: 'command_approved',
          pending_id: id,
          run_id: claimed.run_id,
          command: cutCommand(req.command),
          actor: opts.actor,
          note: opts.note ?? '',
        })
      } catch (error) {
        // Not acknowledged: put the request back as it was, still pending.
        await this.o.store.unclaim(req).catch(() => {})
        this.trackPending(req, 1)
        throw error
      }

      this.o.log.info(`Approved ${id} → run ${claimed.run_id}`)
    } finally {
      this.deciding.delete(id)
    }

    if (this.closing) {
      // Shutdown began while this approval was being recorded: the run is not started, and
      // recovery at the next start records it as interrupted, never as run.
      throw new HubError(
        'shutting_down',
        'The daemon is shutting down; the approval is recorded but the command was not started.',
      )
    }

    const done = this.execute(claimed)
    if (opts.wait === false) {
      done.catch((error: Error) => this.o.log.error(`Run ${claimed.run_id} failed: ${error.message}`))
      return {started: claimed}
    }

    return {record: await done}
  }

  /** Stops taking requests, lets runs finish for `graceMs`, then interrupts the rest. */
  async close(graceMs = 10_000): Promise<void> {
    this.closing = true
    const all = Promise.allSettled(this.inflight)
    const timer = setTimeout(() => this.shutdown.abort(), graceMs)
    await all
    clearTimeout(timer)
  }

  async deny(id: string, opts: {actor: Actor; reason?: string | undefined}): Promise<DeniedRequest> {
    this.assertOpen()
    const req = await this.beginDecision(id)
    try {
      const now = new Date()
      const denied: DeniedRequest = {
        command: req.command,
        note: req.note,
        pending_id: id,
        ts: req.ts,
        denied_ts: epochSeconds(now),
        denied_at: now.toISOString(),
        reason: opts.reason ?? '',
        by: 'operator',
        denied_by: opts.actor,
        cwd: req.cwd,
        timeout_s: req.timeout_s,
        actor: req.actor,
        policy: req.policy,
      }
      await this.o.store.writeDenied(denied)
      this.counts.denied++
      try {
        await this.record({
          event: 'command_denied',
          pending_id: id,
          command: cutCommand(req.command),
          reason: denied.reason,
          actor: opts.actor,
        })
      } catch (error) {
        await this.o.store.removeDenied(id).catch(() => {})
        this.counts.denied--
        throw error
      }

      await this.o.store.removePending(id)
      this.trackPending(req, -1)
      this.o.log.info(`Denied ${id}${denied.reason ? `: ${denied.reason}` : ''}`)
      this.emit('change', id)
      return denied
    } finally {
      this.deciding.delete(id)
    }
  }

  // Working directory (SPEC §6.3) ---------------------------------------------------------------

  /** Expires every request past its time; the daemon calls this periodically. */
  async expireDue(): Promise<number> {
    let n = 0
    const now = Date.now()
    const due = [...this.expiries].filter(([id, at]) => at <= now && !this.deciding.has(id)).map(([id]) => id)
    for (const id of due) {
      if (this.deciding.has(id)) continue
      this.deciding.add(id)
      try {
        const req = await this.o.store.readPending(id).catch(() => undefined)
        if (req) {
          await this.expire(req)
          n++
        } else this.expiries.delete(id) // gone or unreadable: nothing left to expire
      } finally {
        this.deciding.delete(id)
      }
    }

    return n
  }

  async getPending(id: string): Promise<PendingRequest> {
    const req = await this.o.store.readPending(assertId(id, 'pending_id'))
    if (!req)
      throw new HubError('not_found', `No pending request ${id}.`, {
        hint: 'It may have been decided; see `GET /requests/' + id + '`.',
      })
    return req
  }

  // Plan -----------------------------------------------------------------------------------------

  async getRun(runId: string): Promise<RunRecord> {
    const rec = await this.o.store.readRun(assertId(runId, 'run_id'))
    if (!rec) throw new HubError('not_found', `No run ${runId}.`)
    return rec
  }

  /** Counts from the files (at start, and after recovery). */
  async loadCounts(): Promise<void> {
    this.pendingByAgent.clear()
    this.expiries.clear()
    const pending = await this.o.store.listPending()
    this.counts.pending = 0
    for (const req of pending) this.trackPending(req, 1)
    this.counts.denied = (await this.o.store.listDeniedIds()).length
    const runIds = await this.o.store.listRunIds()
    this.counts.runs = runIds.length
    if (await this.o.store.refreshRunIndex(runIds).catch(() => false))
      this.o.log.info(`Rebuilt ${this.o.store.paths.runsIndex} from ${runIds.length} run records.`)
  }

  // Decisions ------------------------------------------------------------------------------------

  async plan(input: PlanInput, actor: Actor): Promise<PlanOutcome> {
    this.assertOpen()
    const now = new Date()
    const id = newId(now)
    const note = input.note ?? ''
    const timeout = input.timeout_s ?? 300
    const where = await this.resolveCwd(input.cwd)
    if ('outside' in where) {
      await this.block({
        id,
        command: input.command,
        note,
        cwd: where.outside,
        timeout,
        actor,
        reason: 'cwd:outside-workspace',
        rule: 'cwd:outside-workspace',
        now,
      })
    }

    const cwd = 'cwd' in where ? where.cwd : this.o.workspace
    const verdict = await this.o.policy.evaluate(input.command, this.policyContext(cwd))
    this.o.log.debug(`Policy for ${id}: ${verdict.decision} (${verdict.rule ?? 'no rule'}) ${verdict.reason}`)

    if (verdict.decision === 'deny') {
      await this.block({
        id,
        command: input.command,
        note,
        cwd,
        timeout,
        actor,
        reason: denyReason(verdict),
        rule: verdict.rule ?? null,
        verdict,
        now,
      })
    }

    const base: PendingRequest = {
      pending_id: id,
      command: input.command,
      note,
      cwd,
      timeout_s: timeout,
      ts: epochSeconds(now),
      queued_at: now.toISOString(),
      expires_at: new Date(now.getTime() + this.o.config.pendingTtlSeconds * 1000).toISOString(),
      actor,
      policy: storedVerdict(verdict),
      ...(input.network === false ? {network: false} : {}),
    }

    if (verdict.decision === 'allow') {
      this.o.log.info(`Allowed by rule ${verdict.rule ?? '?'}, running ${id}: ${cutCommand(input.command)}`)
      const claimed: ClaimedRequest = {
        ...base,
        run_id: newId(),
        approved_by: {role: 'operator', token: `rule:${verdict.rule ?? 'allow'}`},
        approved_at: now.toISOString(),
        approve_note: '',
        state: 'running',
      }
      await this.o.store.writeClaimed(claimed, true)
      await this.record({
        event: 'command_approved',
        pending_id: id,
        run_id: claimed.run_id,
        command: cutCommand(input.command),
        actor,
        by: 'policy',
        rule: verdict.rule ?? null,
      })
      this.assertOpen()
      const record = await this.execute(claimed)
      return {kind: 'ran', request: claimed, record}
    }

    if (actor.role === 'agent' && (this.pendingByAgent.get(actor.token) ?? 0) >= this.o.config.maxPendingPerAgent) {
      throw new HubError(
        'too_many_pending',
        `This agent already has ${this.o.config.maxPendingPerAgent} requests waiting for an operator; wait for decisions before queueing more.`,
        {
          details: {limit: this.o.config.maxPendingPerAgent},
        },
      )
    }

    // Counted before the first await, so that concurrent requests cannot all pass the cap.
    this.trackPending(base, 1)
    try {
      await this.o.store.writePending(base)
      await this.record({
        event: 'command_queued',
        pending_id: id,
        command: cutCommand(input.command),
        ...(input.command.length > 200 ? {command_full: input.command} : {}),
        note,
        cwd,
        timeout_s: timeout,
        expires_at: base.expires_at,
        ...(input.network === false ? {network: false} : {}),
        decision: verdict.decision,
        rule: verdict.rule ?? null,
        actor,
      })
    } catch (error) {
      // Not acknowledged, so it must not stay queued either.
      await this.o.store.removePending(id).catch(() => {})
      this.trackPending(base, -1)
      throw error
    }

    this.o.log.info(`Queued command ${id}: ${cutCommand(input.command)}`)
    this.emit('change', id)
    return {kind: 'queued', request: base}
  }

  /**
   * After a crash (SPEC §6.4): a claimed request whose run never finished is recorded as
   * interrupted (it is never run again: an approval is a one-time decision), and a request that
   * was both denied and still pending (crash between the two writes) is removed from pending.
   */
  async recover(): Promise<{interrupted: number; reconciled: number}> {
    let interrupted = 0
    let reconciled = 0
    for (const id of await this.o.store.listClaimedIds()) {
      const claimed = await this.o.store.readClaimed(id).catch(() => undefined)
      if (!claimed || claimed.state !== 'running') continue
      const existing = claimed.run_id ? await this.o.store.readRun(claimed.run_id).catch(() => undefined) : undefined
      if (existing) {
        await this.o.store.writeClaimed({...claimed, state: existing.interrupted ? 'interrupted' : 'finished'})
        reconciled++
        continue
      }

      const now = new Date()
      const record: RunRecord = {
        run_id: claimed.run_id,
        cwd: claimed.cwd,
        command: claimed.command,
        exit_code: null,
        stdout: '',
        stderr: '',
        ts: epochSeconds(now),
        duration_ms: 0,
        pending_id: claimed.pending_id,
        note: claimed.note,
        approved_by: claimed.approved_by ?? null,
        timed_out: false,
        interrupted: true,
        stdout_truncated: false,
        stderr_truncated: false,
        stdout_bytes: 0,
        stderr_bytes: 0,
        peak_rss_mb: null,
        cpu_ms: null,
        policy: {decision: claimed.policy.decision, rule: claimed.policy.rule, reason: claimed.policy.reason},
        sandbox: this.o.sandbox.kind,
        network: this.o.config.network && claimed.network !== false,
        started_at: claimed.approved_at ?? now.toISOString(),
        finished_at: now.toISOString(),
      }
      await this.o.store.writeRun(record, true)
      await this.indexRun(record)
      await this.record({
        event: 'run_interrupted',
        run_id: claimed.run_id,
        command: cutCommand(claimed.command),
        exit_code: null,
        duration_ms: 0,
        pending_id: claimed.pending_id,
        reason: 'daemon stopped while the command was running',
      })
      await this.o.store.writeClaimed({...claimed, state: 'interrupted'})
      this.o.log.warn(
        `Run ${claimed.run_id} (request ${claimed.pending_id}) was in flight when the daemon stopped; recorded as interrupted.`,
      )
      interrupted++
    }

    for (const id of await this.o.store.listPendingIds()) {
      if (
        (await this.o.store.readDenied(id).catch(() => undefined)) ||
        (await this.o.store.readClaimed(id).catch(() => undefined))
      ) {
        await this.o.store.removePending(id)
        reconciled++
      }
    }

    await this.loadCounts()
    return {interrupted, reconciled}
  }

  /** Where a request stands (SPEC §7.1 `/requests/:id`). */
  async requestStatus(id: string): Promise<RequestStatus> {
    assertId(id, 'pending_id')
    const pending = await this.o.store.readPending(id)
    if (pending)
      return {
        pending_id: id,
        state: 'pending',
        command: pending.command,
        queued_at: pending.queued_at,
        expires_at: pending.expires_at,
      }
    const claimed = await this.o.store.readClaimed(id)
    if (claimed) {
      if (claimed.state === 'running' || this.running.has(claimed.run_id)) {
        return {
          pending_id: id,
          state: 'running',
          command: claimed.command,
          run_id: claimed.run_id,
          ...(this.waiting.has(id) ? {waiting: true} : {}),
        }
      }

      const rec = await this.o.store.readRun(claimed.run_id)
      const state: RequestState = claimed.state === 'interrupted' || rec?.interrupted ? 'interrupted' : 'finished'
      return {
        pending_id: id,
        state,
        command: claimed.command,
        run_id: claimed.run_id,
        exit_code: rec?.exit_code ?? null,
      }
    }

    const denied = await this.o.store.readDenied(id)
    if (denied) {
      const state: RequestState = denied.by === 'expired' ? 'expired' : denied.by === 'policy' ? 'blocked' : 'denied'
      return {pending_id: id, state, command: denied.command, reason: denied.reason}
    }

    throw new HubError('not_found', `No request ${id}.`)
  }

  /** Resolves a requested cwd (relative to the workspace, or absolute) to a real path inside it. */
  async resolveCwd(requested: string | undefined): Promise<{cwd: string} | {outside: string}> {
    // The common case needs no file system call: the workspace's real path is known from start-up.
    if (requested === undefined || requested === '' || requested === '.') return {cwd: this.o.workspace}
    const target = resolve(this.o.workspace, requested)
    let real: string
    try {
      real = await realpath(target)
    } catch {
      // A path that does not exist can still be judged by where it points lexically.
      if (!isInside(this.o.workspace, target)) return {outside: target}
      throw new HubError('validation_failed', `cwd ${JSON.stringify(requested)} does not exist in the workspace.`, {
        details: {field: 'cwd'},
      })
    }

    if (!isInside(this.o.workspace, real)) return {outside: real}
    const st = await stat(real)
    if (!st.isDirectory())
      throw new HubError('validation_failed', `cwd ${JSON.stringify(requested)} is not a directory.`, {
        details: {field: 'cwd'},
      })
    return {cwd: real}
  }

  /** Like requestStatus, but waits up to `seconds` for the state to differ from the current one. */
  async waitForChange(id: string, seconds: number): Promise<RequestStatus> {
    // Listen before the first read: a change between the read and the wait must not be missed,
    // or a client would sit out the whole long-poll while its result is already there.
    let changed = false
    let wake: (() => void) | undefined
    let timer: NodeJS.Timeout | undefined
    const onChange = (changedId: string): void => {
      if (changedId !== id) return
      changed = true
      wake?.()
    }

    this.on('change', onChange)
    try {
      const first = await this.requestStatus(id)
      if (seconds <= 0 || FINAL_STATES.has(first.state)) return first
      if (!changed) {
        await new Promise<void>((resolvePromise) => {
          wake = resolvePromise
          timer = setTimeout(resolvePromise, seconds * 1000)
        })
      }

      return await this.requestStatus(id)
    } finally {
      this.off('change', onChange)
      if (timer) clearTimeout(timer)
    }
  }

  private assertOpen(): void {
    if (this.closing) throw new HubError('shutting_down', 'The daemon is shutting down and takes no new requests.')
  }

  // Running --------------------------------------------------------------------------------------

  private async beginDecision(id: string): Promise<PendingRequest> {
    assertId(id, 'pending_id')
    if (this.deciding.has(id)) throw new HubError('conflict', `Request ${id} is being decided right now.`)
    this.deciding.add(id)
    try {
      const req = await this.o.store.readPending(id)
      if (!req) return await this.o.store.notPending(id)
      if (Date.parse(req.expires_at) <= Date.now()) {
        await this.expire(req)
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

  /** Refuses a request: stored in denied/ (by policy), audited `command_blocked`, answered 403. */
  private async block(b: {
    actor: Actor
    command: string
    cwd: string
    id: string
    note: string
    now: Date
    reason: string
    rule: null | string
    timeout: number
    verdict?: Verdict
  }): Promise<never> {
    const denied: DeniedRequest = {
      command: b.command,
      note: b.note,
      pending_id: b.id,
      ts: epochSeconds(b.now),
      denied_ts: epochSeconds(new Date()),
      denied_at: new Date().toISOString(),
      reason: b.reason,
      by: 'policy',
      cwd: b.cwd,
      timeout_s: b.timeout,
      actor: b.actor,
      policy: b.verdict ? storedVerdict(b.verdict) : undefined,
    }
    // Durable: no command_queued line exists from which recovery could rebuild this file.
    await this.o.store.writeDenied(denied, true)
    this.counts.denied++
    await this.record({
      event: 'command_blocked',
      run_id: b.id,
      reason: b.reason,
      command: cutCommand(b.command),
      pending_id: b.id,
      rule: b.rule,
      actor: b.actor,
    })
    this.o.log.info(`Blocked command ${b.id} (${b.reason}): ${cutCommand(b.command)}`)
    this.emit('change', b.id)
    throw new HubError('policy_denied', `Blocked by policy: ${b.verdict?.reason ?? b.reason}`, {
      details: {reason: b.reason, rule: b.rule, pending_id: b.id},
    })
  }

  private execute(claimed: ClaimedRequest): Promise<RunRecord> {
    const id = claimed.pending_id
    const p = this.queue.run(
      () => {
        this.waiting.delete(id)
        return this.runClaimed(claimed)
      },
      () => {
        this.waiting.add(id)
        this.o.log.info(`Run ${claimed.run_id} waits for a free slot (${this.o.config.maxConcurrentRuns} running).`)
      },
    )
    this.inflight.add(p)
    void p.finally(() => this.inflight.delete(p)).catch(() => {})
    return p
  }

  // Queries --------------------------------------------------------------------------------------

  /** Moves an undecided request past its time to denied/ (fails closed), audited `command_expired`. */
  private async expire(req: PendingRequest): Promise<void> {
    const now = new Date()
    await this.o.store.writeDenied({
      command: req.command,
      note: req.note,
      pending_id: req.pending_id,
      ts: req.ts,
      denied_ts: epochSeconds(now),
      denied_at: now.toISOString(),
      reason: `expired: not decided by ${req.expires_at}`,
      by: 'expired',
      cwd: req.cwd,
      timeout_s: req.timeout_s,
      actor: req.actor,
      policy: req.policy,
    })
    this.counts.denied++
    try {
      await this.record({
        event: 'command_expired',
        pending_id: req.pending_id,
        command: cutCommand(req.command),
        expires_at: req.expires_at,
      })
    } catch (error) {
      // Not recorded, so not expired yet: the next sweep tries again.
      await this.o.store.removeDenied(req.pending_id).catch(() => {})
      this.counts.denied--
      throw error
    }

    await this.o.store.removePending(req.pending_id)
    this.trackPending(req, -1)
    this.o.log.info(`Expired ${req.pending_id} (not decided by ${req.expires_at})`)
    this.emit('change', req.pending_id)
  }

  /** The index is a shortcut for `hub runs`; failing to extend it only makes readers list the directory. */
  private async indexRun(record: RunRecord): Promise<void> {
    await this.o.store
      .appendRunIndex(record.run_id, new Date(record.finished_at))
      .catch((error: Error) => this.o.log.warn(`Could not extend the runs index: ${error.message}`))
  }

  /**
   * How a run is contained: the runtime directory and the policy file are hidden from it, and the
   * network is off when the daemon, the request or the deciding rule says so.
   */
  private sandboxPlan(claimed: ClaimedRequest): SandboxPlan {
    const hide = [this.o.runtimeDir, ...this.o.config.sandboxHide]
    if (this.o.config.policyFile) hide.push(this.o.config.policyFile)
    return {
      kind: this.o.sandbox.kind,
      executable: this.o.sandbox.executable,
      network: this.o.config.network && claimed.network !== false,
      hide,
      rw: this.o.config.sandboxRw,
      workspace: this.o.workspace,
    }
  }

  private policyContext(cwd: string): PolicyContext {
    return {cwd, workspace: this.o.workspace, runtimeDir: this.o.runtimeDir, policyFile: this.o.config.policyFile}
  }

  /** Appends an audit line and announces it on /events once it is durable. */
  private async record(
    fields: AuditFields,
    eventType?: string,
    eventExtra: Record<string, unknown> = {},
  ): Promise<AuditEntry> {
    const entry = await this.o.audit.append(fields)
    this.lastEventAt = entry.ts
    const type = eventType ?? entry.event
    const {prev: _p, hash: _h, ...data} = entry
    this.emit('event', {id: entry.seq, type, data: {type, ...data, ...eventExtra}})
    return entry
  }

  // Life cycle -----------------------------------------------------------------------------------

  /** The second verdict refused what the first queued: stored in denied/ (by policy), audited, 403. */
  private async refuseAtRunTime(
    req: PendingRequest,
    actor: Actor,
    reason: string,
    rule: null | string,
    why: string,
    verdict?: Verdict,
  ): Promise<never> {
    const now = new Date()
    await this.o.store.writeDenied({
      command: req.command,
      note: req.note,
      pending_id: req.pending_id,
      ts: req.ts,
      denied_ts: epochSeconds(now),
      denied_at: now.toISOString(),
      reason,
      by: 'policy',
      cwd: req.cwd,
      timeout_s: req.timeout_s,
      actor: req.actor,
      policy: verdict ? storedVerdict(verdict) : req.policy,
    })
    this.counts.denied++
    await this.record({
      event: 'command_blocked',
      run_id: req.pending_id,
      reason,
      command: cutCommand(req.command),
      pending_id: req.pending_id,
      rule,
      actor,
      at: 'run',
    })
    await this.o.store.removePending(req.pending_id)
    this.trackPending(req, -1)
    this.emit('change', req.pending_id)
    throw new HubError('policy_denied', `Blocked at run time: ${why}`, {
      details: {reason, rule, pending_id: req.pending_id},
    })
  }

  private async runClaimed(claimed: ClaimedRequest): Promise<RunRecord> {
    const {run_id: runId, pending_id: pendingId} = claimed
    // Not awaited: nothing is acknowledged on it, and the audit log writes in order, so the fsync of
    // the run's final line covers this one too. The spawn need not wait for a disk flush.
    const started = this.record({
      event: 'run_started',
      run_id: runId,
      pending_id: pendingId,
      command: cutCommand(claimed.command),
      cwd: claimed.cwd,
    })
    started.catch((error: Error) => this.o.log.error(`Could not audit the start of run ${runId}: ${error.message}`))
    this.running.set(runId, {runId, pendingId, startedAt: new Date()})
    this.emit('change', pendingId)
    this.o.log.info(`[${runId}] Executing: ${cutCommand(claimed.command)}`)
    const sandbox = this.sandboxPlan(claimed)
    let result
    try {
      result = await runCommand({
        sandbox,
        command: claimed.command,
        cwd: claimed.cwd,
        shell: this.o.config.shell,
        timeoutMs: claimed.timeout_s * 1000,
        outputLimitBytes: this.o.config.outputLimitBytes,
        env: childEnv(this.o.env ?? process.env, this.o.config.passEnv),
        signal: this.shutdown.signal,
      })
    } finally {
      this.running.delete(runId)
    }

    const record: RunRecord = {
      run_id: runId,
      cwd: claimed.cwd,
      command: claimed.command,
      exit_code: result.exitCode,
      stdout: result.stdout,
      stderr: result.stderr,
      ts: epochSeconds(result.startedAt),
      duration_ms: result.durationMs,
      pending_id: pendingId,
      note: claimed.note,
      approved_by: claimed.approved_by,
      timed_out: result.timedOut,
      interrupted: result.interrupted,
      stdout_truncated: result.stdoutTruncated,
      stderr_truncated: result.stderrTruncated,
      stdout_bytes: result.stdoutBytes,
      stderr_bytes: result.stderrBytes,
      peak_rss_mb: result.peakRssMb,
      cpu_ms: result.cpuMs,
      policy: {decision: claimed.policy.decision, rule: claimed.policy.rule, reason: claimed.policy.reason},
      sandbox: sandbox.kind,
      network: sandbox.network,
      started_at: result.startedAt.toISOString(),
      finished_at: result.finishedAt.toISOString(),
    }
    await this.o.store.writeRun(record, true)
    this.counts.runs++
    await this.indexRun(record)
    const event = result.interrupted ? 'run_interrupted' : 'command_executed'
    await this.record(
      {
        event,
        run_id: runId,
        command: cutCommand(claimed.command),
        exit_code: record.exit_code,
        duration_ms: record.duration_ms,
        pending_id: pendingId,
        actor: claimed.approved_by,
        timed_out: record.timed_out,
      },
      result.interrupted ? 'run_interrupted' : 'run_finished',
      {
        stdout: clipOutput(record.stdout),
        stderr: clipOutput(record.stderr),
        stdout_truncated: record.stdout_truncated || record.stdout.length > EVENT_OUTPUT_MAX,
        stderr_truncated: record.stderr_truncated || record.stderr.length > EVENT_OUTPUT_MAX,
      },
    )
    await this.o.store.writeClaimed({...claimed, state: result.interrupted ? 'interrupted' : 'finished'})
    this.o.log.info(
      `[${runId}] ${result.timedOut ? 'Timed out' : result.interrupted ? 'Interrupted' : 'Completed'} in ${record.duration_ms}ms (exit ${record.exit_code})`,
    )
    this.emit('change', pendingId)
    return record
  }

  /**
   * Keeps the counts and the expiry times of pending requests: every change to pending/ goes
   * through here, so the expiry sweep never has to read the files.
   */
  private trackPending(req: {actor: Actor; expires_at: string; pending_id: string}, delta: -1 | 1): void {
    const {actor} = req
    if (delta > 0) this.expiries.set(req.pending_id, Date.parse(req.expires_at))
    else this.expiries.delete(req.pending_id)
    this.counts.pending += delta
    if (actor.role !== 'agent') return
    const n = (this.pendingByAgent.get(actor.token) ?? 0) + delta
    if (n <= 0) this.pendingByAgent.delete(actor.token)
    else this.pendingByAgent.set(actor.token, n)
  }
}

function clipOutput(text: string): string {
  return text.length > EVENT_OUTPUT_MAX ? text.slice(0, EVENT_OUTPUT_MAX) : text
}
