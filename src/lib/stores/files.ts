/**
 * The embedded store (SPEC §3): the runtime directory's files, with the audit log as the write-ahead
 * log. A transition writes its request file whole (not fsynced: the audit line is the durable record
 * of it) and then appends its audit line; if the line cannot be written, the file write is undone, so
 * the files never claim what the log does not say.
 */
import {mkdir, open, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import type {Logger} from '../logger.js'
import type {RunSummary} from '../record-schemas.js'
import type {ClaimedRequest, DeniedRequest, PendingRequest, RunRecord} from '../records.js'
import type {AgentLimits, AuditStatus, HubStore, ListOptions, Page, RunNote, StoreCounts} from './types.js'

import {type AuditEntry, type AuditFields} from '../audit/entry.js'
import {AuditLog} from '../audit/log.js'
import {entriesAfter} from '../audit/replay.js'
import {HubError} from '../errors.js'
import {replayAuditLog, writeCheckpoint} from '../recovery.js'
import {RuntimeStore} from '../store.js'
import {PendingIndex} from './pending-index.js'

/** Room kept for a run's note: its outcome in JSON is a few hundred bytes. */
const NOTE_BYTES = 4096

/** Runs `fn` over `items` at most `limit` at a time, keeping their order (bounded memory for big files). */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = []
  for (let i = 0; i < items.length; i += limit)
    out.push(...(await Promise.all(items.slice(i, i + limit).map((item) => fn(item)))))
  return out
}

/** Reads of files nobody else writes can still fail (a damaged file): such a file is left out, not fatal. */
async function quietly<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read()
  } catch {
    return undefined
  }
}

export class FileHubStore implements HubStore {
  private deniedCount = 0
  private readonly index = new PendingIndex()
  /** Finished runs per agent token fingerprint (for an agent's own list totals). */
  private readonly runsByAgent = new Map<string, number>()
  private runsCount = 0

  private constructor(
    readonly files: RuntimeStore,
    private readonly audit: AuditLog,
    private readonly log: Logger,
  ) {}

  /** Opens the runtime directory: repairs the audit log's tail, replays it after a crash, loads the counts. */
  static async open(runtimeDir: string, log: Logger): Promise<FileHubStore> {
    const files = new RuntimeStore(runtimeDir)
    const {strayTemps} = await files.init()
    if (strayTemps > 0) log.warn(`Removed ${strayTemps} temporary file(s) left by an earlier crash.`)
    const audit = await AuditLog.open(files.paths.audit, log)
    await replayAuditLog(files, audit.lastSeq, log)
    const store = new FileHubStore(files, audit, log)
    await store.load()
    return store
  }

  async admit(claimed: ClaimedRequest, line: AuditFields): Promise<AuditEntry> {
    // Durable: no command_queued line exists from which recovery could rebuild this file.
    await this.files.writeClaimed(claimed, true)
    try {
      return await this.audit.append(line)
    } catch (error) {
      await this.files.removeClaimed(claimed.pending_id).catch(() => {})
      throw error
    }
  }

  append(fields: AuditFields): Promise<AuditEntry> {
    return this.audit.append(fields)
  }

  auditSince(after: number, upTo?: number): AsyncIterable<AuditEntry> {
    // hub's own lines carry ts/prev/hash beside seq; the reader checks only seq.
    return entriesAfter(this.files.paths.audit, after, {upTo}) as AsyncIterable<AuditEntry>
  }

  auditStatus(): AuditStatus {
    return {failure: this.audit.writeFailure, seq: this.audit.lastSeq, size: this.audit.size}
  }

  async claim(claimed: ClaimedRequest, lines: AuditFields[]): Promise<AuditEntry> {
    const id = claimed.pending_id
    const pending = this.index.get(id)
    if (!pending) return this.files.notPending(id)
    await this.files.claim(claimed)
    this.index.remove(id)
    try {
      // Appended in the same turn, so the lines share one flush and stay in order.
      const entries = await Promise.all(lines.map((line) => this.audit.append(line)))
      return entries.at(-1)!
    } catch (error) {
      // Not acknowledged: the request is pending again, exactly as it was.
      await this.files.unclaim(pending).catch(() => {})
      this.index.add(pending)
      throw error
    }
  }

  async claimedIn(state: ClaimedRequest['state']): Promise<ClaimedRequest[]> {
    const out: ClaimedRequest[] = []
    for (const id of await this.files.listClaimedIds()) {
      const claimed = await quietly(() => this.files.readClaimed(id))
      if (claimed?.state === state) out.push(claimed)
    }

    return out
  }

  async close(denied: DeniedRequest, line: AuditFields): Promise<AuditEntry> {
    const id = denied.pending_id
    // Out of the index before the line is announced: whoever it wakes must not see it pending still.
    const pending = this.index.remove(id)
    if (!pending) return this.files.notPending(id)
    let entry: AuditEntry
    try {
      entry = await this.writeDenied(denied, line, false)
    } catch (error) {
      this.index.add(pending)
      throw error
    }

    await this.files.removePending(id)
    return entry
  }

  async counts(): Promise<StoreCounts> {
    return {denied: this.deniedCount, pending: this.index.size, runs: this.runsCount}
  }

  async dueForExpiry(now: number): Promise<string[]> {
    return this.index.due(now)
  }

  getClaimed(id: string): Promise<ClaimedRequest | undefined> {
    return this.files.readClaimed(id)
  }

  getDenied(id: string): Promise<DeniedRequest | undefined> {
    return this.files.readDenied(id)
  }

  async getPending(id: string): Promise<PendingRequest | undefined> {
    return this.index.get(id)
  }

  getRun(runId: string): Promise<RunRecord | undefined> {
    return this.files.readRun(runId)
  }

  async listDenied(opts: ListOptions): Promise<Page<DeniedRequest>> {
    const ids = await this.files.listDeniedIds()
    const offset = opts.offset ?? 0
    const read = (id: string): Promise<DeniedRequest | undefined> => quietly(() => this.files.readDenied(id))
    if (opts.agent === undefined) {
      const page = await Promise.all(ids.slice(offset, offset + opts.limit).map((id) => read(id)))
      return {items: page.filter((d): d is DeniedRequest => d !== undefined), total: ids.length}
    }

    // An agent's own: the files must be opened to know whose they are (retention keeps them few).
    const items: DeniedRequest[] = []
    let total = 0
    for (const id of ids) {
      const denied = await read(id)
      if (denied?.actor.token !== opts.agent) continue
      if (total >= offset && items.length < opts.limit) items.push(denied)
      total++
    }

    return {items, total}
  }

  async listPending(opts: ListOptions): Promise<Page<PendingRequest>> {
    const all = this.index.newestFirst(
      opts.agent === undefined ? undefined : (r) => r.actor.role === 'agent' && r.actor.token === opts.agent,
    )
    const offset = opts.offset ?? 0
    return {items: all.slice(offset, offset + opts.limit), total: all.length}
  }

  async listRuns(opts: ListOptions): Promise<Page<RunSummary>> {
    const offset = opts.offset ?? 0
    const total = opts.agent === undefined ? this.runsCount : (this.runsByAgent.get(opts.agent) ?? 0)
    const ids = await this.files.newestRunIdsFromIndex(opts.limit, {agent: opts.agent, offset})
    const read = (id: string): Promise<RunSummary | undefined> => quietly(() => this.files.readRunSummary(id))
    if (ids) {
      const page = await mapLimit(ids, 8, read)
      return {items: page.filter((r): r is RunSummary => r !== undefined), total}
    }

    // The index cannot be trusted (runs added by hand, a crash): list the directory instead.
    const all = await this.files.listRunIds()
    if (opts.agent === undefined) {
      const page = await mapLimit(all.slice(offset, offset + opts.limit), 8, read)
      return {items: page.filter((r): r is RunSummary => r !== undefined), total: all.length}
    }

    const items: RunSummary[] = []
    let matched = 0
    for (const id of all) {
      const summary = await read(id)
      if (summary?.requested_by?.token !== opts.agent) continue
      if (matched >= offset && items.length < opts.limit) items.push(summary)
      matched++
    }

    return {items, total: matched}
  }

  onEntry(listener: (entry: AuditEntry) => void): () => void {
    return this.audit.onEntry(listener)
  }

  async pruneDenied(beforeMs: number, actor: {role: string; token: string}): Promise<number> {
    const removed = await this.files.pruneDenied(beforeMs)
    if (removed.length === 0) return 0
    this.deniedCount -= removed.length
    await this.audit.append({
      event: 'retention_pruned',
      kind: 'denied',
      count: removed.length,
      before: new Date(beforeMs).toISOString(),
      actor,
    })
    return removed.length
  }

  async queue(request: PendingRequest, line: AuditFields, limits: AgentLimits): Promise<AuditEntry> {
    // Counted before the first await, so that concurrent requests cannot all pass the limit.
    this.checkLoad(request.actor, limits)
    this.index.add(request)
    try {
      await this.files.writePending(request)
      return await this.audit.append(line)
    } catch (error) {
      // Not acknowledged, so it must not stay queued either.
      await this.files.removePending(request.pending_id).catch(() => {})
      this.index.remove(request.pending_id)
      throw error
    }
  }

  async readRunNote(runId: string): Promise<RunNote | undefined> {
    const text = await readFile(this.notePath(runId), 'utf8').catch(() => '')
    if (text.trim() === '') return undefined
    try {
      return JSON.parse(text) as RunNote
    } catch {
      return undefined
    }
  }

  async recordRun(claimed: ClaimedRequest, record: RunRecord, line: AuditFields): Promise<AuditEntry> {
    const known = await quietly(() => this.files.readRunSummary(record.run_id))
    await this.files.writeRun(record, true)
    if (!known) this.countRun(record.requested_by?.token)
    await Promise.all([
      // The index is a shortcut for lists; failing to extend it only makes readers list the directory.
      this.files
        .appendRunIndex(record.run_id, new Date(record.finished_at), record.requested_by?.token)
        .catch((error: Error) => this.log.warn(`Could not extend the runs index: ${error.message}`)),
      // The claim says how it ended before the line is announced: whoever it wakes reads the end state.
      this.files.writeClaimed(claimed),
    ])
    return this.audit.append(line)
  }

  async refuse(denied: DeniedRequest, line: AuditFields, limits: AgentLimits): Promise<AuditEntry> {
    this.checkLoad(denied.actor, limits)
    if (denied.actor.role === 'agent') this.index.noteRefusal(denied.actor.token, Date.now())
    // Durable: no command_queued line exists from which recovery could rebuild this file.
    return this.writeDenied(denied, line, true)
  }

  async reserveRunNote(runId: string): Promise<void> {
    await mkdir(this.files.runDir(runId), {mode: 0o700, recursive: true})
    await writeFile(this.notePath(runId), Buffer.alloc(NOTE_BYTES, 0x20), {mode: 0o600})
  }

  async shutdown(): Promise<void> {
    await this.audit.close()
    // A clean stop: the next start can skip replaying the log.
    await writeCheckpoint(this.files, this.audit.lastSeq).catch((error: Error) =>
      this.log.warn(`Could not write the checkpoint: ${error.message}`),
    )
  }

  async updateClaim(claimed: ClaimedRequest): Promise<void> {
    await this.files.writeClaimed(claimed)
  }

  /** Overwrites the reserved blocks in place: no new room is needed on a full disk. */
  async writeRunNote(record: RunRecord): Promise<void> {
    const note: RunNote = {
      cpu_ms: record.cpu_ms,
      duration_ms: record.duration_ms,
      exit_code: record.exit_code,
      finished_at: record.finished_at,
      interrupted: record.interrupted,
      network: record.network,
      peak_rss_mb: record.peak_rss_mb,
      record_error: record.record_error,
      sandbox: record.sandbox,
      started_at: record.started_at,
      stderr_bytes: record.stderr_bytes,
      stdout_bytes: record.stdout_bytes,
      timed_out: record.timed_out,
    }
    const bytes = Buffer.alloc(NOTE_BYTES, 0x20)
    bytes.write(JSON.stringify(note).slice(0, NOTE_BYTES), 'utf8')
    const handle = await open(this.notePath(record.run_id), 'r+')
    try {
      await handle.write(bytes, 0, bytes.length, 0)
      await handle.sync()
    } finally {
      await handle.close()
    }
  }

  private checkLoad(actor: {role: string; token: string}, limits: AgentLimits): void {
    if (actor.role !== 'agent') return
    const load = this.index.load(actor.token, Date.now(), limits.refusalWindowMs)
    if (load < limits.maxPerAgent) return
    throw new HubError(
      'too_many_pending',
      `This agent already has ${limits.maxPerAgent} requests waiting for an operator or refused in the last ` +
        `${Math.round(limits.refusalWindowMs / 60_000)} minutes; wait for decisions before sending more.`,
      {details: {limit: limits.maxPerAgent, retry_after: 30}},
    )
  }

  private countRun(agent: string | undefined): void {
    this.runsCount++
    if (agent) this.runsByAgent.set(agent, (this.runsByAgent.get(agent) ?? 0) + 1)
  }

  private async load(): Promise<void> {
    for (const request of await this.files.listPending()) {
      // A crash between a decision and removing the pending file leaves both; the decision stands.
      const decided =
        (await quietly(() => this.files.readDenied(request.pending_id))) ??
        (await quietly(() => this.files.readClaimed(request.pending_id)))
      if (decided) await this.files.removePending(request.pending_id)
      else this.index.add(request)
    }

    this.deniedCount = (await this.files.listDeniedIds()).length
    const runIds = await this.files.listRunIds()
    if (await this.files.refreshRunIndex(runIds).catch(() => false)) {
      this.log.info(`Rebuilt ${this.files.paths.runsIndex} from ${runIds.length} run records.`)
    }

    for (const {agent} of await this.files.readRunIndex()) this.countRun(agent)
  }

  private notePath(runId: string): string {
    return join(this.files.runDir(runId), 'note.json')
  }

  private async writeDenied(denied: DeniedRequest, line: AuditFields, durable: boolean): Promise<AuditEntry> {
    await this.files.writeDenied(denied, durable)
    this.deniedCount++
    try {
      return await this.audit.append(line)
    } catch (error) {
      await this.files.removeDenied(denied.pending_id).catch(() => {})
      this.deniedCount--
      throw error
    }
  }
}
