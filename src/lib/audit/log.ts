/**
 * The append-only audit log (SPEC §3.1, §6.4): one JSON object a line, each carrying `seq` (1, 2, 3 …
 * with no gaps) and a keyed hash chain (`prev`, `key_id`, `hash`; chain.ts), with a signed head
 * (head.ts) so that `hub audit verify` can tell an edited, removed, re-hashed or cut-off line.
 *
 * Writes use group commit: every line that is waiting when a flush starts goes out in one write and
 * one fdatasync, so many concurrent requests share one disk flush instead of queueing behind each
 * other's. A caller's promise resolves only once its line is on disk. The head is updated after the
 * flush, with one small write and no second fsync.
 *
 * Opening checks the log against its key and head before writing anything, and refuses to continue
 * a log that ends before its signed head, or whose last line is keyed under a key that is not there:
 * carrying on would sign over the evidence.
 */
import {type FileHandle, open} from 'node:fs/promises'

import type {Logger} from '../logger.js'

import {HubError} from '../errors.js'
import {silentLogger} from '../logger.js'
import {bodyHash, GENESIS_HASH, sealLine, splitHash} from './chain.js'
import {type AuditEntry, type AuditFields} from './entry.js'
import {type Checkpoint, HeadWriter, readHead} from './head.js'
import {
  type AuditFiles,
  auditFiles,
  type AuditKey,
  createAuditKey,
  type KeyState,
  readAuditKey,
  tightenKeyMode,
} from './key.js'
import {backwardRegions, eachLineReverse, lineEnd} from './reader.js'
import {describeBreak} from './verify.js'

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
  /** The last chained line's `key_id`, or null when it is unkeyed (or there is none). */
  keyId: null | string
  seq: number
  size: number
}

interface ChainedLine {
  hash: string
  keyId: null | string
  seq: number
}

function chainedLine(text: string): ChainedLine | undefined {
  try {
    const obj = JSON.parse(text) as Record<string, unknown>
    if (typeof obj.seq !== 'number' || typeof obj.hash !== 'string') return undefined
    return {seq: obj.seq, hash: obj.hash, keyId: typeof obj.key_id === 'string' ? obj.key_id : null}
  } catch {
    // A corrupt line inside the log is for `hub audit verify` to report.
    return undefined
  }
}

/** Whether a torn last line is in fact whole: the next seq after `last`, hashed right (as verify checks it). */
function wholeLine(bytes: Buffer, last: TailState, key: AuditKey | undefined): ChainedLine | undefined {
  const end = lineEnd(bytes, 0, bytes.length)
  const line = chainedLine(bytes.toString('utf8', 0, end))
  if (!line || line.seq !== last.seq + 1) return undefined
  if ((JSON.parse(bytes.toString('utf8', 0, end)) as {prev?: unknown}).prev !== last.hash) return undefined
  // Keyed lines never go back to unkeyed, and a keyed line must be under the key at hand.
  if (line.keyId === null ? last.keyId !== null : line.keyId !== key?.id) return undefined
  const split = splitHash(bytes, 0, end)
  if (!split || split.hash !== line.hash) return undefined
  return bodyHash(bytes, 0, split.bodyEnd, line.keyId === null ? undefined : key) === split.hash ? line : undefined
}

/**
 * Finds the last chained line and the length the file should have. A last line without its newline
 * was torn by a crash mid-write: it is kept if it is whole and verifies, else cut off.
 */
async function recoverTail(handle: FileHandle, log: Logger, key: AuditKey | undefined): Promise<TailState> {
  const {size} = await handle.stat()
  let state: TailState = {seq: 0, hash: GENESIS_HASH, keyId: null, size}
  if (size === 0) return state
  let torn: Buffer | undefined
  let last: ChainedLine | undefined
  let scanned = 0
  let sawLine = false
  for await (const region of backwardRegions(handle, {chunkSize: TAIL_CHUNK})) {
    const {buf} = region
    scanned += buf.length
    // Every byte after the last newline, blank or not, is what a crash left half-written.
    if (!region.terminated && torn === undefined) torn = Buffer.from(buf.subarray(buf.lastIndexOf(0x0a) + 1))
    eachLineReverse(region, (s, e, terminated) => {
      if (!terminated) return true
      sawLine = true
      last = chainedLine(buf.toString('utf8', s, e))
      return last === undefined
    })
    if (last || scanned >= MAX_BACKSCAN) break
  }

  if (last) state = {...last, size}
  else if (sawLine) {
    // A log from the original tool (no seq/hash), or a damaged tail: hub's lines start a chain of their own.
    log.info(
      `audit.log has no hash chain in its last ${Math.round(scanned / 1024)} KiB; new lines start a chain at seq 1.`,
    )
  }

  if (torn) {
    const whole = wholeLine(torn, state, key)
    if (whole) {
      await handle.write('\n', size)
      state = {...whole, size: size + 1}
      log.warn('audit.log ended without a newline; the last line was whole and verified, so a newline was added.')
    } else {
      await handle.truncate(size - torn.length)
      await handle.sync()
      state = {...state, size: size - torn.length}
      log.warn(
        `audit.log had a torn last line (${torn.length} bytes, from a crash mid-write); cut it off. ` +
          `The ${state.seq} lines before it are intact.`,
      )
    }
  }

  return state
}

/** The hash of the line at `seq`, read back from the end of the log; undefined when it is not there. */
async function hashAt(handle: FileHandle, seq: number, end: number): Promise<string | undefined> {
  let found: string | undefined
  let passed = false
  for await (const region of backwardRegions(handle, {chunkSize: TAIL_CHUNK, end})) {
    eachLineReverse(region, (s, e) => {
      const line = chainedLine(region.buf.toString('utf8', s, e))
      if (line && line.seq === seq) found = line.hash
      passed = line !== undefined && line.seq <= seq
      return !passed
    })
    if (passed) break
  }

  return found
}

function refuse(files: AuditFiles, why: string): HubError {
  return new HubError('storage_unavailable', `${files.log} does not match its signed checkpoint: ${why}.`, {
    hint:
      'Run `hub audit verify` to see where the log was changed. Keep the files as evidence; to start a new ' +
      `log, move ${files.log} and ${files.head} aside.`,
  })
}

/**
 * The key and head for a log whose tail is `tail`: checks that the log reaches its signed head, then
 * opens the head for updates. Creates both at the first keyed start.
 */
async function openHead(
  files: AuditFiles,
  keyState: KeyState,
  handle: FileHandle,
  tail: TailState,
  log: Logger,
): Promise<{head: HeadWriter; key: AuditKey}> {
  if (keyState.state === 'unreadable' || keyState.state === 'invalid') {
    const why = keyState.state === 'invalid' ? keyState.reason : keyState.code
    throw new HubError('storage_unavailable', `Could not read the audit key ${files.key} (${why}).`, {
      hint: 'The daemon must run as the user that owns the runtime directory.',
    })
  }

  if (keyState.state === 'missing') {
    if (tail.keyId !== null) {
      throw refuse(files, `its last line is keyed (key_id ${tail.keyId}) but ${files.key} is missing`)
    }

    const key = await createAuditKey(files.key)
    log.info(`Created the audit key ${files.key} (mode 0600); lines from seq ${tail.seq + 1} on are keyed.`)
    const head = await HeadWriter.create(files.head, key, {seq: tail.seq, hash: tail.hash, keyed_from: tail.seq + 1})
    return {head, key}
  }

  const {key} = keyState
  const widened = await tightenKeyMode(files.key)
  if (widened !== undefined)
    log.warn(`The audit key ${files.key} was readable by others (mode ${widened.toString(8)}); changed it to 0600.`)
  if (tail.keyId !== null && tail.keyId !== key.id) {
    throw refuse(files, `its last line is keyed under key_id ${tail.keyId}, not the key in ${files.key}`)
  }

  const headState = await readHead(files.head, key)
  if (headState.state === 'missing') {
    if (tail.keyId !== null)
      throw refuse(files, describeBreak({kind: 'checkpoint_missing', line: null, seq: null}, files))
    // The key was made but the head not (a crash between the two): nothing keyed was written yet.
    const head = await HeadWriter.create(files.head, key, {seq: tail.seq, hash: tail.hash, keyed_from: tail.seq + 1})
    return {head, key}
  }

  if (headState.state !== 'ok')
    throw refuse(files, describeBreak({kind: 'checkpoint_invalid', line: null, seq: null}, files))
  const cp: Checkpoint = headState.checkpoint
  if (tail.seq < cp.seq) {
    throw refuse(
      files,
      describeBreak(
        {kind: 'truncated', line: null, seq: tail.seq + 1, checkpoint: {seq: cp.seq, hash: cp.hash}},
        files,
      ),
    )
  }

  if (cp.seq > 0 && (await hashAt(handle, cp.seq, tail.size)) !== cp.hash) {
    throw refuse(
      files,
      describeBreak(
        {kind: 'checkpoint_mismatch', line: null, seq: cp.seq, checkpoint: {seq: cp.seq, hash: cp.hash}},
        files,
      ),
    )
  }

  return {head: await HeadWriter.open(files.head, key, cp.keyed_from, headState.slot), key}
}

export class AuditLog {
  private closed = false
  private failed: Error | undefined
  private flushing = false
  private headFailure: string | undefined
  private lastFailure: string | undefined
  private readonly listeners = new Set<(entry: AuditEntry) => void>()
  private queue: Waiter[] = []

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private state: TailState,
    private readonly key: AuditKey,
    private readonly head: HeadWriter,
    private readonly log: Logger,
  ) {}

  /**
   * Opens (creating) the log at `path`, with its key and head beside it (`auditFiles`): repairs a
   * torn last line, checks the log against its signed head, and creates the key and head at the first
   * keyed start.
   */
  static async open(path: string, log: Logger = silentLogger): Promise<AuditLog> {
    const files = auditFiles(path)
    const handle = await open(path, 'a+', 0o600)
    try {
      const keyState = await readAuditKey(files.key)
      const tail = await recoverTail(handle, log, keyState.state === 'ok' ? keyState.key : undefined)
      const {head, key} = await openHead(files, keyState, handle, tail, log)
      return new AuditLog(path, handle, tail, key, head, log)
    } catch (error) {
      await handle.close()
      throw error
    }
  }

  /** The fingerprint of the key the log is written under. */
  get keyId(): string {
    return this.key.id
  }

  get lastSeq(): number {
    return this.state.seq
  }

  get size(): number {
    return this.state.size
  }

  /**
   * When the last write failed (ISO time), or undefined; `broken` when the log cannot be repaired
   * without a restart.
   */
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
        queueMicrotask(() => {
          this.flush().catch((error: Error) => this.log.error(`The audit log writer stopped: ${error.message}`))
        })
      }
    })
  }

  /** Waits for queued lines, then closes the files. */
  async close(): Promise<void> {
    this.closed = true
    while (this.flushing || this.queue.length > 0) {
      await new Promise((resolve) => {
        setTimeout(resolve, 5)
      })
    }

    await this.head.close().catch(() => {})
    await this.handle.close()
  }

  /** Calls `listener` with every entry once it is on disk, in seq order; returns the unsubscribe. */
  onEntry(listener: (entry: AuditEntry) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
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
      const sealed = batch.map((w) => {
        const s = sealLine(w.fields, ++seq, prev, this.key, now)
        prev = s.entry.hash
        return s
      })
      const buf = Buffer.from(sealed.map((s) => s.line).join('\n') + '\n')
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

      this.state = {seq, hash: prev, keyId: this.key.id, size: before.size + buf.length}
      for (let i = 0; i < batch.length; i++) batch[i]!.resolve(sealed[i]!.entry)
      // Live subscribers (the event stream) hear each line once it is durable, in seq order.
      for (const s of sealed) for (const listener of this.listeners) listener(s.entry)
      await this.writeHead(seq, prev)
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

  /** After the lines are durable: the head may lag them, never lead. A failure here loses no line. */
  private async writeHead(seq: number, hash: string): Promise<void> {
    try {
      await this.head.write(seq, hash)
      this.headFailure = undefined
    } catch (error) {
      const {message} = error as Error
      if (this.headFailure !== message) this.log.warn(`Could not update the audit head: ${message}`)
      this.headFailure = message
    }
  }
}
