/**
 * Rebuilding request files from the audit log after an unclean stop (SPEC §6.4).
 *
 * The audit log is hub's write-ahead log: it is the only file fsynced before a request is
 * acknowledged, and every line that changes a request's state carries what is needed to rebuild
 * that request's file. Request files are written whole (temp + rename) but not fsynced, so after a
 * power cut one may be missing or stale; this pass makes the files agree with the log again.
 * A clean shutdown writes `checkpoint.json` with the last seq, and the pass is skipped when the log
 * has not grown past it.
 */
import {join} from 'node:path'

import type {Logger} from './logger.js'
import type {RuntimeStore} from './store.js'
import type {HubStore} from './stores/types.js'

import {readJsonFile, writeJsonAtomic} from './atomic-file.js'
import {cutCommand} from './audit/entry.js'
import {queryAudit} from './audit/query.js'
import {isId} from './ids.js'
import {
  type Actor,
  type ClaimedRequest,
  CLIENT_KINDS,
  type ClientKind,
  type DeniedRequest,
  type PendingRequest,
  type RunRecord,
  type StoredVerdict,
} from './records.js'

export const CHECKPOINT_FILE = 'checkpoint.json'

interface Story {
  approved?: Record<string, unknown>
  edited?: Record<string, unknown>
  ended?: Record<string, unknown>
  finishedRuns: Set<string>
  queued?: Record<string, unknown>
}

const STATE_EVENTS = [
  'command_queued',
  'command_approved',
  'command_edited',
  'command_withdrawn',
  'command_executed_by_agent',
  'command_denied',
  'command_expired',
  'command_blocked',
  'command_executed',
  'run_interrupted',
]

function epoch(iso: unknown): number {
  const t = typeof iso === 'string' ? Date.parse(iso) : Number.NaN
  return Number.isFinite(t) ? t / 1000 : Date.now() / 1000
}

function str(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : fallback
}

function actorOf(v: unknown): Actor {
  const a = v as Partial<Actor> | undefined
  return {role: a?.role === 'operator' ? 'operator' : 'agent', token: str(a?.token, 'unknown')}
}

function pendingFrom(q: Record<string, unknown>): PendingRequest {
  const verdict: StoredVerdict = {
    decision: q.decision === 'allow' || q.decision === 'deny' ? q.decision : 'ask',
    rule: typeof q.rule === 'string' ? q.rule : null,
    reason: 'rebuilt from the audit log after an unclean stop',
    matches: [],
    commands: [],
    evaluated_at: str(q.ts),
  }
  return {
    pending_id: str(q.pending_id),
    command: str(q.command_full, str(q.command)),
    note: str(q.note),
    cwd: str(q.cwd),
    timeout_s: typeof q.timeout_s === 'number' ? q.timeout_s : 300,
    ts: epoch(q.ts),
    queued_at: str(q.ts),
    expires_at: str(q.expires_at, new Date().toISOString()),
    actor: actorOf(q.actor),
    policy: verdict,
    ...(q.network === false ? {network: false} : {}),
    ...(typeof q.command_sha256 === 'string' ? {command_sha256: q.command_sha256} : {}),
    ...(isClientKind(q.client) ? {client: q.client} : {}),
    ...(typeof q.session_id === 'string' ? {session_id: q.session_id} : {}),
    ...(typeof q.tool_use_id === 'string' ? {tool_use_id: q.tool_use_id} : {}),
    executor: q.executor === 'agent' ? 'agent' : 'hub',
  }
}

function isClientKind(v: unknown): v is ClientKind {
  return typeof v === 'string' && (CLIENT_KINDS as readonly string[]).includes(v)
}

async function exists(read: () => Promise<unknown>): Promise<boolean> {
  return (await read().catch(() => undefined)) !== undefined
}

/** Returns how many files it rebuilt or removed; 0 when the log shows a clean stop. */
export async function replayAuditLog(store: RuntimeStore, lastSeq: number, log: Logger): Promise<number> {
  const checkpointPath = join(store.runtimeDir, CHECKPOINT_FILE)
  const checkpoint = await readJsonFile<{seq?: number}>(checkpointPath).catch(() => undefined)
  if (checkpoint?.seq === lastSeq) return 0

  const stories = new Map<string, Story>()
  const story = (id: string): Story => {
    let s = stories.get(id)
    if (!s) {
      s = {finishedRuns: new Set()}
      stories.set(id, s)
    }

    return s
  }

  await queryAudit(store.paths.audit, {events: STATE_EVENTS}, (e) => {
    const id = e.pending_id
    if (!isId(id)) return
    const s = story(id)
    switch (e.event) {
      case 'command_queued': {
        s.queued = e
        break
      }

      case 'command_approved': {
        s.approved = e
        break
      }

      case 'command_edited': {
        s.edited = e
        break
      }

      case 'command_denied':
      case 'command_expired':
      case 'command_withdrawn':
      case 'command_blocked': {
        s.ended = e
        break
      }

      case 'command_executed':
      case 'command_executed_by_agent':
      case 'run_interrupted': {
        if (typeof e.run_id === 'string') s.finishedRuns.add(e.run_id)
        break
      }

      default: {
        break
      }
    }
  })

  let repaired = 0
  for (const [id, s] of stories) {
    if (s.ended && s.queued) {
      // Denied, expired or refused at run time: the denied file must exist and nothing stays pending.
      if (!(await exists(() => store.readDenied(id)))) {
        const q = pendingFrom(s.queued)
        const denied: DeniedRequest = {
          command: q.command,
          note: q.note,
          pending_id: id,
          ts: q.ts,
          denied_ts: epoch(s.ended.ts),
          denied_at: str(s.ended.ts),
          reason: str(s.ended.reason),
          by:
            s.ended.event === 'command_expired'
              ? 'expired'
              : s.ended.event === 'command_blocked'
                ? 'policy'
                : s.ended.event === 'command_withdrawn'
                  ? 'withdrawn'
                  : 'operator',
          cwd: q.cwd,
          timeout_s: q.timeout_s,
          actor: q.actor,
        }
        await store.writeDenied(denied)
        repaired++
      }

      if (await exists(() => store.readPending(id))) {
        await store.removePending(id)
        repaired++
      }

      continue
    }

    if (s.approved && s.queued) {
      const runId = str(s.approved.run_id)
      if (!(await exists(() => store.readClaimed(id))) && isId(runId)) {
        const queued = pendingFrom(s.queued)
        // An operator's edit (command_edited) is what was approved and runs.
        const edit = s.edited
        const claimed: ClaimedRequest = {
          ...queued,
          ...(edit && typeof edit.command === 'string'
            ? {command: edit.command, original_command: queued.command, command_sha256: str(edit.command_sha256)}
            : {}),
          run_id: runId,
          approved_by: actorOf(s.approved.actor),
          approved_at: str(s.approved.ts),
          approve_note: str(s.approved.note),
          state: s.finishedRuns.has(runId)
            ? queued.executor === 'agent'
              ? 'executed'
              : 'finished'
            : queued.executor === 'agent'
              ? 'approved'
              : 'running',
        }
        await store.writeClaimed(claimed)
        repaired++
      }

      if (await exists(() => store.readPending(id))) {
        await store.removePending(id)
        repaired++
      }

      continue
    }

    if (
      s.queued &&
      !(await exists(() => store.readPending(id))) &&
      !(await exists(() => store.readClaimed(id))) &&
      !(await exists(() => store.readDenied(id)))
    ) {
      await store.writePending(pendingFrom(s.queued))
      repaired++
    }
  }

  if (repaired > 0) log.warn(`Rebuilt ${repaired} request file(s) from the audit log after an unclean stop.`)
  return repaired
}

/** Marks a clean stop: the next start can skip the replay. */
export async function writeCheckpoint(store: RuntimeStore, seq: number): Promise<void> {
  await writeJsonAtomic(join(store.runtimeDir, CHECKPOINT_FILE), {seq, at: new Date().toISOString()}, {durable: true})
}

/**
 * After a crash (SPEC §6.4): a claimed request whose run never finished is recorded as interrupted
 * (it is never run again: an approval is a one-time decision) — unless the run did finish and only
 * its record could not be written (a full disk): then its note says what happened, and the record says
 * so, never "interrupted".
 */
export async function recoverInterruptedRuns(
  store: HubStore,
  log: Logger,
): Promise<{interrupted: number; late: number}> {
  let interrupted = 0
  let late = 0
  for (const claimed of await store.claimedIn('running')) {
    const existing = await store.getRun(claimed.run_id).catch(() => undefined)
    if (existing) {
      await store.updateClaim({...claimed, state: existing.interrupted ? 'interrupted' : 'finished'})
      continue
    }

    const note = await store.readRunNote?.(claimed.run_id).catch(() => undefined)
    const now = new Date().toISOString()
    const base = {
      run_id: claimed.run_id,
      cwd: claimed.cwd,
      command: claimed.command,
      stdout: '',
      stderr: '',
      pending_id: claimed.pending_id,
      note: claimed.note,
      approved_by: claimed.approved_by ?? null,
      requested_by: claimed.actor,
      ...(claimed.client ? {client: claimed.client} : {}),
      ...(claimed.session_id ? {session_id: claimed.session_id} : {}),
      executor: 'hub',
      policy: {decision: claimed.policy.decision, rule: claimed.policy.rule, reason: claimed.policy.reason},
      peak_rss_mb: null,
      cpu_ms: null,
    }
    const fields = {
      run_id: claimed.run_id,
      command: cutCommand(claimed.command),
      pending_id: claimed.pending_id,
      ...(claimed.actor.role === 'agent' ? {agent: claimed.actor.token} : {}),
      ...(claimed.client ? {client: claimed.client} : {}),
    }
    if (note) {
      const record: RunRecord = {
        ...base,
        ...note,
        ts: Date.parse(note.started_at) / 1000,
        stdout_truncated: note.stdout_bytes > 0,
        stderr_truncated: note.stderr_bytes > 0,
        record_error:
          `${note.record_error ?? 'ran; its record could not be written'}; ` +
          `recorded from its note at ${now}, the output was lost`,
      }
      await store.recordRun({...claimed, state: note.interrupted ? 'interrupted' : 'finished'}, record, {
        event: note.interrupted ? 'run_interrupted' : 'command_executed',
        ...fields,
        exit_code: record.exit_code,
        duration_ms: record.duration_ms,
        timed_out: record.timed_out,
        recorded_late: true,
        reason: record.record_error,
      })
      log.warn(
        `Run ${claimed.run_id} had finished (exit ${record.exit_code}) but was never recorded; ` +
          'recorded it from its note.',
      )
      late++
      continue
    }

    const record: RunRecord = {
      ...base,
      exit_code: null,
      ts: Date.now() / 1000,
      duration_ms: 0,
      timed_out: false,
      interrupted: true,
      stdout_truncated: false,
      stderr_truncated: false,
      stdout_bytes: 0,
      stderr_bytes: 0,
      started_at: claimed.approved_at ?? now,
      finished_at: now,
    }
    await store.recordRun({...claimed, state: 'interrupted'}, record, {
      event: 'run_interrupted',
      ...fields,
      exit_code: null,
      duration_ms: 0,
      reason: 'daemon stopped while the command was running',
    })
    log.warn(
      `Run ${claimed.run_id} (request ${claimed.pending_id}) was in flight when the daemon stopped; ` +
        'recorded as interrupted.',
    )
    interrupted++
  }

  return {interrupted, late}
}
