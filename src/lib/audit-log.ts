/**
 * The append-only audit log (SPEC §3.1): one JSON object a line, each carrying `seq` (1, 2, 3 … with
 * no gaps) and a hash chain (`prev`, `hash`) so that `hub audit verify` can tell an edited or
 * removed line.
 *
 * Writes use group commit: every line that is waiting when a flush starts goes out in one write and
 * one fdatasync, so many concurrent requests share one disk flush instead of queueing behind each
 * other's. A caller's promise resolves only once its line is on disk (SPEC §6.4).
 */
import {createHash} from 'node:crypto'
import {EventEmitter} from 'node:events'
import {type FileHandle, open} from 'node:fs/promises'

import type {Logger} from './logger.js'

import {HubError} from './errors.js'
import {silentLogger} from './logger.js'

export const AUDIT_EVENTS = [
  'command_queued',
  'command_approved',
  'command_denied',
  'command_blocked',
  'command_executed',
  'command_expired',
  'run_started',
  'run_interrupted',
  'token_rotated',
  'command_edited',
  'command_withdrawn',
  'command_executed_by_agent',
  'approval_refused',
  'retention_pruned',
] as const
export type AuditEventName = (typeof AUDIT_EVENTS)[number]

/** The seed cuts `command` to 200 characters in the audit log; the run record keeps it whole. */
export const AUDIT_COMMAND_MAX = 200

export const GENESIS_HASH = '0'.repeat(64)

export interface AuditFields {
  [field: string]: unknown
  event: AuditEventName
}

export interface AuditEntry extends AuditFields {
  hash: string
  prev: string
  seq: number
  ts: string
}

export function cutCommand(command: string): string {
  return command.length > AUDIT_COMMAND_MAX ? command.slice(0, AUDIT_COMMAND_MAX) : command
}

/** `ts` in the audit log: ISO 8601, UTC, with a `Z` (SPEC §3). */
export function auditTimestamp(at: Date = new Date()): string {
  return at.toISOString()
}

/**
 * The hash covers the line exactly as written minus its `hash` field; JSON.parse keeps key order,
 * so a verifier can rebuild the same text from a parsed line.
 */
export function hashOf(withoutHash: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(withoutHash)).digest('hex')
}

export function sealEntry(fields: AuditFields, seq: number, prev: string, at: Date = new Date()): AuditEntry {
  const {hash: _ignored, seq: _s, prev: _p, ...rest} = fields
  const body: Record<string, unknown> = {
    ...rest,
    ts: typeof rest.ts === 'string' ? rest.ts : auditTimestamp(at),
    seq,
    prev,
  }
  return {...body, hash: hashOf(body)} as AuditEntry
}

/** Checks one parsed line against the previous hash; returns why it breaks the chain, or null. */
export function chainBreak(entry: Record<string, unknown>, expectedSeq: number, expectedPrev: string): null | string {
  if (typeof entry.hash !== 'string') return 'the line has no hash'
  if (entry.seq !== expectedSeq) return `seq is ${JSON.stringify(entry.seq)}, expected ${expectedSeq}`
  if (entry.prev !== expectedPrev) return 'prev does not match the hash of the line before it'
  const {hash, ...body} = entry
  if (hashOf(body) !== hash) return 'the line was changed after it was written (hash mismatch)'
  return null
}

interface Waiter {
  fields: AuditFields
  reject: (err: unknown) => void
  resolve: (entry: AuditEntry) => void
}

const TAIL_CHUNK = 1 << 20
/** How far back start-up looks for the last chained line before starting a new chain. */
const MAX_BACKSCAN = 16 << 20

interface TailState {
  hash: string
  seq: number
  size: number
}

/**
 * Finds the last good line and the length the file should have. A last line without its newline was
 * torn by a crash mid-write: it is kept if it is whole and verifies, else cut off.
 */
async function recoverTail(handle: FileHandle, log: Logger): Promise<TailState> {
  const {size} = await handle.stat()
  if (size === 0) return {seq: 0, hash: GENESIS_HASH, size: 0}
  let start = Math.max(0, size - TAIL_CHUNK)
  // Grow the window until it holds at least one complete line (or the whole file).
  for (;;) {
    const length = size - start
    const buf = Buffer.alloc(length)
    await handle.read(buf, 0, length, start)
    // Split in bytes, not characters: a crash can cut a multi-byte character, and measuring the
    // torn part after decoding (U+FFFD is 3 bytes) would cut into the good line before it.
    const lastNewline = buf.lastIndexOf(0x0a)
    const tailBytes = buf.length - (lastNewline + 1)
    const tail = tailBytes === 0 ? '' : buf.subarray(lastNewline + 1).toString('utf8')
    const lines = lastNewline < 0 ? [] : buf.subarray(0, lastNewline).toString('utf8').split('\n')
    // When the window does not begin at a line start, its first piece is partial.
    if (start > 0) lines.shift()
    const canGrow = start > 0 && size - start < MAX_BACKSCAN
    if (lines.length === 0 && tail !== '' && canGrow) {
      start = Math.max(0, start - TAIL_CHUNK * 4)
      continue
    }

    let last: undefined | {hash: string; seq: number}
    for (let i = lines.length - 1; i >= 0 && !last; i--) {
      try {
        const obj = JSON.parse(lines[i]!) as Record<string, unknown>
        if (typeof obj.seq === 'number' && typeof obj.hash === 'string') last = {seq: obj.seq, hash: obj.hash}
      } catch {
        // A corrupt line inside the log is for `hub audit verify` to report; keep looking back.
      }
    }

    if (!last && lines.length > 0 && canGrow) {
      start = Math.max(0, start - TAIL_CHUNK * 4)
      continue
    }

    if (!last && lines.length > 0) {
      // A log from the original tool (no seq/hash), or a damaged tail: hub's lines start a chain of their own.
      log.info(
        `audit.log has no hash chain in its last ${Math.round((size - start) / 1024)} KiB; new lines start a chain at seq 1.`,
      )
    }

    let state: TailState = {seq: last?.seq ?? 0, hash: last?.hash ?? GENESIS_HASH, size}
    if (tail !== '') {
      const tornBytes = tailBytes
      let whole = false
      try {
        const obj = JSON.parse(tail) as Record<string, unknown>
        whole = chainBreak(obj, state.seq + 1, state.hash) === null
        if (whole) state = {seq: obj.seq as number, hash: obj.hash as string, size}
      } catch {
        whole = false
      }

      if (whole) {
        await handle.write('\n', size)
        state.size = size + 1
        log.warn(`audit.log ended without a newline; the last line was whole and verified, so a newline was added.`)
      } else {
        await handle.truncate(size - tornBytes)
        await handle.sync()
        state.size = size - tornBytes
        log.warn(
          `audit.log had a torn last line (${tornBytes} bytes, from a crash mid-write); cut it off. The ${state.seq} lines before it are intact.`,
        )
      }
    }

    return state
  }
}

export class AuditLog extends EventEmitter<{entry: [AuditEntry]}> {
  private closed = false
  private failed: Error | undefined
  private flushing = false
  private lastFailure: string | undefined
  private queue: Waiter[] = []

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private state: TailState,
  ) {
    super()
    this.setMaxListeners(0)
  }

  static async open(path: string, log: Logger = silentLogger): Promise<AuditLog> {
    const handle = await open(path, 'a+', 0o600)
    try {
      const state = await recoverTail(handle, log)
      return new AuditLog(path, handle, state)
    } catch (error) {
      await handle.close()
      throw error
    }
  }

  get lastSeq(): number {
    return this.state.seq
  }

  get size(): number {
    return this.state.size
  }

  /** When the last write failed (ISO time), or undefined; `broken` when the log cannot be repaired without a restart. */
  get writeFailure(): undefined | {at: string; broken: boolean} {
    return this.lastFailure === undefined ? undefined : {at: this.lastFailure, broken: this.failed !== undefined}
  }

  /** Resolves with the sealed entry once it is on disk. */
  append(fields: AuditFields): Promise<AuditEntry> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new HubError('shutting_down', 'The audit log is closed; the daemon is shutting down.'))
        return
      }

      this.queue.push({fields, resolve, reject})
      // Start the flush on a microtask, so every line appended in this same turn shares its fsync.
      if (!this.flushing) {
        this.flushing = true
        queueMicrotask(() => void this.flush())
      }
    })
  }

  /** Waits for queued lines, then closes the file. */
  async close(): Promise<void> {
    this.closed = true
    while (this.flushing || this.queue.length > 0) await new Promise((r) => setTimeout(r, 5))
    await this.handle.close()
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0)
      if (this.failed) {
        for (const w of batch) w.reject(this.unavailable(this.failed))
        continue
      }

      const before = this.state
      let {seq} = before
      let prev = before.hash
      const now = new Date()
      const entries = batch.map((w) => {
        const entry = sealEntry(w.fields, ++seq, prev, now)
        prev = entry.hash
        return entry
      })
      const buf = Buffer.from(entries.map((e) => JSON.stringify(e)).join('\n') + '\n')
      try {
        const {bytesWritten} = await this.handle.write(buf, 0, buf.length, before.size)
        // A nearly full disk can accept part of a write without an error; that is a failure too.
        if (bytesWritten !== buf.length)
          throw Object.assign(new Error(`short write: ${bytesWritten} of ${buf.length} bytes`), {code: 'EIO'})
        await this.handle.datasync()
      } catch (error) {
        // Take back whatever part of the batch reached the file, so the log stays a clean chain.
        try {
          await this.handle.truncate(before.size)
        } catch (error_) {
          this.failed = error_ as Error
        }

        this.lastFailure = new Date().toISOString()
        for (const w of batch) w.reject(this.unavailable(error as Error))
        continue
      }

      this.state = {seq, hash: prev, size: before.size + buf.length}
      for (let i = 0; i < batch.length; i++) batch[i]!.resolve(entries[i]!)
      for (const e of entries) this.emit('entry', e)
    }

    this.flushing = false
  }

  private unavailable(err: Error): HubError {
    const {code} = err as NodeJS.ErrnoException
    return new HubError(
      'storage_unavailable',
      `Could not write the audit log ${this.path}${code ? ` (${code})` : ''}; nothing was acknowledged.`,
      {
        hint: 'Check free disk space and that the runtime directory is writable.',
        cause: err,
      },
    )
  }
}
