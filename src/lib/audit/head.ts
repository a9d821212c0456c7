/**
 * The signed head of the audit log (SPEC §6.4): `runtime/audit.head` holds the last durable
 * `{seq, hash}` of the chain with an HMAC under the audit key, so a log cut back to its first N lines
 * (which is still a valid chain) fails `hub audit verify`: it ends before the checkpoint.
 *
 * Cost: the head is rewritten after every group commit, so it must not add a second fsync. It is two
 * fixed-size slots written in turn with one positional write each, never fsynced: the write starts
 * only after the log's own fdatasync returned, so the head can lag the durable log after a crash
 * (fine: verify accepts a log that runs past its head) but never run ahead of it. A crash that tears
 * one slot leaves the other, older one valid. The file itself is created whole and durable.
 *
 * The checkpoint also says from which seq the log is keyed (`keyed_from`), so that hashing the whole
 * log again with plain SHA-256 and dropping `key_id` does not pass as an old unkeyed log.
 */
import {type FileHandle, open, rename, rm} from 'node:fs/promises'
import {dirname} from 'node:path'

import type {AuditKey} from './key.js'

import {fsyncDir, tempPathFor} from '../atomic-file.js'

const SLOT = 384
const SLOTS = 2
const VERSION = 1

export interface Checkpoint {
  /** When it was written (informative). */
  at: string
  /** Hash of the line at `seq` (the genesis hash at seq 0). */
  hash: string
  /** The key it is signed with. */
  key_id: string
  /** The first seq written under a key: lines from here on must be keyed. */
  keyed_from: number
  seq: number
}

export type HeadState =
  | {checkpoint: Checkpoint; path: string; slot: number; state: 'ok'}
  | {code: string; path: string; state: 'unreadable'}
  | {path: string; reason: string; state: 'invalid'}
  | {path: string; state: 'missing'}

function signed(key: AuditKey, c: Omit<Checkpoint, 'key_id'>): string {
  return key.mac(`hub audit head v${VERSION}\n${c.seq}\n${c.hash}\n${c.keyed_from}\n${key.id}\n${c.at}`)
}

function slotBytes(key: AuditKey, c: Omit<Checkpoint, 'key_id'>): Buffer {
  const text = JSON.stringify({
    v: VERSION,
    seq: c.seq,
    hash: c.hash,
    keyed_from: c.keyed_from,
    key_id: key.id,
    at: c.at,
    mac: signed(key, c),
  })
  const buf = Buffer.alloc(SLOT, 0x20)
  buf.write(text, 0, 'utf8')
  buf[SLOT - 1] = 0x0a
  return buf
}

/** The checkpoint in one slot, or why it is not one. */
function readSlot(key: AuditKey, bytes: Buffer): Checkpoint | string {
  const text = bytes.toString('utf8').trim()
  if (text === '') return 'empty'
  let v: Record<string, unknown>
  try {
    v = JSON.parse(text) as Record<string, unknown>
  } catch {
    return 'not valid JSON'
  }

  const {seq, hash, keyed_from: keyedFrom, key_id: keyId, at, mac} = v
  if (
    v.v !== VERSION ||
    typeof seq !== 'number' ||
    typeof hash !== 'string' ||
    typeof keyedFrom !== 'number' ||
    typeof keyId !== 'string' ||
    typeof at !== 'string' ||
    typeof mac !== 'string'
  ) {
    return 'fields missing'
  }

  if (keyId !== key.id) return `signed with another key (key_id ${keyId})`
  if (signed(key, {seq, hash, keyed_from: keyedFrom, at}) !== mac) return 'its signature does not match'
  return {seq, hash, keyed_from: keyedFrom, key_id: keyId, at}
}

/** Reads the head; of two valid slots, the newer (higher seq) wins. Never throws. */
export async function readHead(path: string, key: AuditKey): Promise<HeadState> {
  let handle: FileHandle
  try {
    handle = await open(path, 'r')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO'
    return code === 'ENOENT' ? {state: 'missing', path} : {state: 'unreadable', path, code}
  }

  try {
    const buf = Buffer.alloc(SLOT * SLOTS)
    const {bytesRead} = await handle.read(buf, 0, buf.length, 0)
    let best: Checkpoint | undefined
    let bestSlot = 0
    const why: string[] = []
    for (let i = 0; i < SLOTS; i++) {
      const slot = readSlot(key, buf.subarray(i * SLOT, Math.min(bytesRead, (i + 1) * SLOT)))
      if (typeof slot === 'string') why.push(`slot ${i + 1}: ${slot}`)
      else if (!best || slot.seq > best.seq) {
        best = slot
        bestSlot = i
      }
    }

    return best
      ? {state: 'ok', path, checkpoint: best, slot: bestSlot}
      : {state: 'invalid', path, reason: why.join('; ')}
  } catch (error) {
    return {state: 'unreadable', path, code: (error as NodeJS.ErrnoException).code ?? 'EIO'}
  } finally {
    await handle.close()
  }
}

/** Keeps the head up to date after each group commit. */
export class HeadWriter {
  private constructor(
    private readonly handle: FileHandle,
    private readonly key: AuditKey,
    private readonly keyedFrom: number,
    /** The slot to overwrite next: never the newest valid one, so a torn write leaves that one. */
    private next: number,
  ) {}

  /**
   * Writes a new head file whole and durable (both slots holding `c`), replacing any other, and
   * opens it for updates.
   */
  static async create(
    path: string,
    key: AuditKey,
    c: {hash: string; keyed_from: number; seq: number},
  ): Promise<HeadWriter> {
    const temp = tempPathFor(path)
    const slot = slotBytes(key, {...c, at: new Date().toISOString()})
    const handle = await open(temp, 'wx', 0o600)
    try {
      await handle.writeFile(Buffer.concat([slot, slot]))
      await handle.sync()
    } finally {
      await handle.close()
    }

    try {
      await rename(temp, path)
    } catch (error) {
      await rm(temp, {force: true})
      throw error
    }

    await fsyncDir(dirname(path))
    return HeadWriter.open(path, key, c.keyed_from, 0)
  }

  /** Opens an existing head; `newestSlot` is the slot readHead found newest. */
  static async open(path: string, key: AuditKey, keyedFrom: number, newestSlot: number): Promise<HeadWriter> {
    return new HeadWriter(await open(path, 'r+'), key, keyedFrom, (newestSlot + 1) % SLOTS)
  }

  async close(): Promise<void> {
    await this.handle.close()
  }

  /** Overwrites the older slot with `{seq, hash}`. Not fsynced (see the module comment). */
  async write(seq: number, hash: string): Promise<void> {
    const bytes = slotBytes(this.key, {seq, hash, keyed_from: this.keyedFrom, at: new Date().toISOString()})
    const slot = this.next
    this.next = (this.next + 1) % SLOTS
    await this.handle.write(bytes, 0, SLOT, slot * SLOT)
  }
}
