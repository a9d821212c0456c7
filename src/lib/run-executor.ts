/**
 * Running approved requests (SPEC §6.2, §6.5): a slot from the concurrency limit, the containment
 * plan, the runner, and the record. A record never claims more or less than what happened (SPEC
 * §6.4): when a finished run cannot be recorded (a full disk), what is known is kept — in memory, and
 * in a small note reserved on disk before the run started — and written as soon as it can be, marked
 * as written late; it is never recorded as "interrupted".
 */
import type {HubConfig} from './config.js'
import type {Logger} from './logger.js'
import type {ClaimedRequest, RunRecord} from './records.js'
import type {SandboxPlan, SandboxStatus} from './sandbox/index.js'
import type {HubStore} from './stores/types.js'

import {type AuditFields, cutCommand} from './audit/entry.js'
import {isHubError} from './errors.js'
import {epochSeconds, requestFields} from './request-records.js'
import {childEnv, runCommand, RunQueue, type RunResult} from './runner.js'

const RETRY_MS = 5000
/** Runs whose output stays at hand for their `run_finished` event. */
const RECENT_OUTPUTS = 64

export interface RunExecutorOptions {
  config: HubConfig
  env?: NodeJS.ProcessEnv | undefined
  log: Logger
  /** Called with each chunk of output as a run writes it. */
  onOutput?: (claimed: ClaimedRequest, stream: 'stderr' | 'stdout', chunk: Buffer) => void
  runtimeDir: string
  sandbox: SandboxStatus
  store: HubStore
  workspace: string
}

export interface RecentOutput {
  stderr: string
  stdout: string
}

export class RunExecutor {
  private readonly inflight = new Set<Promise<unknown>>()
  private readonly queue: RunQueue
  private readonly recent = new Map<string, RecentOutput>()
  private retryTimer: NodeJS.Timeout | undefined
  private readonly running = new Map<string, string>()
  private readonly shutdown = new AbortController()
  /** Finished runs whose record could not be written yet. */
  private readonly unrecorded = new Map<string, {claimed: ClaimedRequest; line: AuditFields; record: RunRecord}>()
  private readonly waiting = new Set<string>()

  constructor(private readonly o: RunExecutorOptions) {
    this.queue = new RunQueue(o.config.maxConcurrentRuns)
  }

  get activeCount(): number {
    return this.running.size
  }

  get unrecordedCount(): number {
    return this.unrecorded.size
  }

  get waitingCount(): number {
    return this.queue.waitingCount
  }

  /** Lets runs finish for `graceMs`, then interrupts the rest; tries once more to write what is unrecorded. */
  async close(graceMs: number): Promise<void> {
    const all = Promise.allSettled(this.inflight)
    const timer = setTimeout(() => this.shutdown.abort(), graceMs)
    await all
    clearTimeout(timer)
    if (this.retryTimer) clearTimeout(this.retryTimer)
    await this.retryUnrecorded()
  }

  /**
   * Runs a claimed request when a slot is free; resolves with its record. With `soon`, the process
   * starts on the next turn of the event loop: forking the daemon blocks it for 5–20 ms, and an
   * approval that does not wait for the run can be answered before that (issue 13, speed). The run
   * is in flight from this call on, so a shutdown still waits for it.
   */
  execute(claimed: ClaimedRequest, opts: {soon?: boolean} = {}): Promise<RunRecord> {
    const id = claimed.pending_id
    const p = this.queue.run(
      async () => {
        if (opts.soon)
          await new Promise((resolve) => {
            setImmediate(resolve)
          })
        this.waiting.delete(id)
        return this.run(claimed)
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

  isRunning(runId: string): boolean {
    return this.running.has(runId)
  }

  isWaiting(pendingId: string): boolean {
    return this.waiting.has(pendingId)
  }

  /** The output of a run that finished recently (for its `run_finished` event). */
  outputOf(runId: string): RecentOutput | undefined {
    return this.recent.get(runId)
  }

  /**
   * How a run is contained: the runtime directory and the policy file are hidden from it, and the
   * network is off when the daemon or the request says so.
   */
  sandboxPlan(claimed: ClaimedRequest): SandboxPlan {
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

  private buildRecord(claimed: ClaimedRequest, result: RunResult, sandbox: SandboxPlan): RunRecord {
    return {
      run_id: claimed.run_id,
      cwd: claimed.cwd,
      command: claimed.command,
      exit_code: result.exitCode,
      stdout: result.stdout,
      stderr: result.stderr,
      ts: epochSeconds(result.startedAt),
      duration_ms: result.durationMs,
      pending_id: claimed.pending_id,
      note: claimed.note,
      approved_by: claimed.approved_by,
      requested_by: claimed.actor,
      ...(claimed.client ? {client: claimed.client} : {}),
      ...(claimed.session_id ? {session_id: claimed.session_id} : {}),
      ...(claimed.original_command === undefined ? {} : {original_command: claimed.original_command}),
      executor: 'hub',
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
  }

  private keepOutput(runId: string, record: RunRecord): void {
    this.recent.set(runId, {stderr: record.stderr, stdout: record.stdout})
    if (this.recent.size > RECENT_OUTPUTS) this.recent.delete(this.recent.keys().next().value!)
  }

  private async keepUnrecorded(
    claimed: ClaimedRequest,
    record: RunRecord,
    line: AuditFields,
    error: Error,
  ): Promise<RunRecord> {
    const cause = (error.cause as NodeJS.ErrnoException | undefined)?.code ?? 'a storage failure'
    const noted: RunRecord = {
      ...record,
      record_error: `ran; its record could not be written at ${new Date().toISOString()}: ${cause}`,
    }
    this.unrecorded.set(record.run_id, {claimed, line, record: noted})
    await this.o.store.writeRunNote?.(noted).catch((error_: Error) => {
      this.o.log.error(`[${record.run_id}] Could not write the run's note either: ${error_.message}`)
    })
    this.o.log.error(
      `[${record.run_id}] The command ran (exit ${record.exit_code}) but its record could not be written (${cause}); ` +
        `retrying every ${RETRY_MS / 1000}s.`,
    )
    if (!this.retryTimer) this.scheduleRetry()

    return noted
  }

  private async retryUnrecorded(): Promise<void> {
    this.retryTimer = undefined
    for (const [runId, pending] of this.unrecorded) {
      try {
        const late = {
          ...pending.record,
          record_error: `${pending.record.record_error}; written at ${new Date().toISOString()}`,
        }
        await this.o.store.recordRun(pending.claimed, late, {...pending.line, recorded_late: true})
        this.unrecorded.delete(runId)
        this.o.log.info(`[${runId}] The record that could not be written earlier is written now.`)
      } catch {
        break // still no room: try again later
      }
    }

    if (this.unrecorded.size > 0 && !this.shutdown.signal.aborted) {
      this.scheduleRetry()
    }
  }

  private async run(claimed: ClaimedRequest): Promise<RunRecord> {
    const {pending_id: pendingId, run_id: runId} = claimed
    // A note's room is taken as the run starts, beside the spawn rather than before it (a directory and
    // a few blocks, while the shell starts): if the command then fills the disk, what happened still fits.
    const reserved = this.o.store.reserveRunNote?.(runId).catch((error: Error) => {
      this.o.log.warn(`[${runId}] Could not reserve room for the run's note: ${error.message}`)
    })
    // Not awaited: nothing is acknowledged on it, and the audit log writes in order, so the fsync of
    // the run's final line covers this one too. The spawn need not wait for a disk flush.
    this.o.store
      .append({
        event: 'run_started',
        run_id: runId,
        ...requestFields(claimed),
        command: cutCommand(claimed.command),
        cwd: claimed.cwd,
      })
      .catch((error: Error) => this.o.log.error(`Could not audit the start of run ${runId}: ${error.message}`))
    this.running.set(runId, pendingId)
    this.o.log.info(`[${runId}] Executing: ${cutCommand(claimed.command)}`)
    const sandbox = this.sandboxPlan(claimed)
    let result: RunResult
    try {
      result = await runCommand({
        command: claimed.command,
        cwd: claimed.cwd,
        env: childEnv(this.o.env ?? process.env, this.o.config.passEnv),
        onOutput: this.o.onOutput ? (stream, chunk) => this.o.onOutput!(claimed, stream, chunk) : undefined,
        outputLimitBytes: this.o.config.outputLimitBytes,
        sandbox,
        shell: this.o.config.shell,
        signal: this.shutdown.signal,
        timeoutMs: claimed.timeout_s * 1000,
      })
    } finally {
      this.running.delete(runId)
      await reserved
    }

    const record = this.buildRecord(claimed, result, sandbox)
    this.keepOutput(runId, record)
    const line: AuditFields = {
      event: result.interrupted ? 'run_interrupted' : 'command_executed',
      run_id: runId,
      command: cutCommand(claimed.command),
      exit_code: record.exit_code,
      duration_ms: record.duration_ms,
      ...requestFields(claimed),
      actor: claimed.approved_by,
      timed_out: record.timed_out,
    }
    const done: ClaimedRequest = {...claimed, state: result.interrupted ? 'interrupted' : 'finished'}
    try {
      await this.o.store.recordRun(done, record, line)
    } catch (error) {
      if (!isHubError(error) || error.code !== 'storage_unavailable') throw error
      return this.keepUnrecorded(done, record, line, error)
    }

    const how = result.timedOut ? 'Timed out' : result.interrupted ? 'Interrupted' : 'Completed'
    this.o.log.info(`[${runId}] ${how} in ${record.duration_ms}ms (exit ${record.exit_code})`)
    return record
  }

  private scheduleRetry(): void {
    this.retryTimer = setTimeout(() => {
      void this.retryUnrecorded()
    }, RETRY_MS)
    this.retryTimer.unref()
  }
}
