/**
 * The audit key (SPEC §6.4, issue 9.4): 32 random bytes in `runtime/audit.key`, mode 0600, created at
 * the daemon's first start. Each line's `hash` is an HMAC-SHA256 under it, so whoever can write
 * audit.log but cannot read the key (a sandboxed run, another user) cannot rewrite a line and hash it
 * again. Lines name the key by `key_id`, a short fingerprint that does not reveal it.
 *
 * The bytes stay inside an AuditKey object that prints and serialises as its id only, so a stray
 * `JSON.stringify` or log line can never carry the key.
 */
import {createHash, createHmac, randomBytes} from 'node:crypto'
import {chmod, link, open, readFile, rm, stat} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import {inspect} from 'node:util'

import {fsyncDir, tempPathFor} from '../atomic-file.js'

export const AUDIT_KEY_FILE = 'audit.key'
export const AUDIT_KEY_BYTES = 32

/** The files of one audit log: the log, its key (one per runtime directory) and its signed head. */
export interface AuditFiles {
  head: string
  key: string
  log: string
}

/** `runtime/audit.log` → `runtime/audit.key` and `runtime/audit.head`. */
export function auditFiles(logPath: string): AuditFiles {
  const dir = dirname(logPath)
  const base = basename(logPath)
  const stem = base.endsWith('.log') ? base.slice(0, -4) : base
  return {log: logPath, key: join(dir, AUDIT_KEY_FILE), head: join(dir, `${stem}.head`)}
}

export class AuditKey {
  /** A short fingerprint of the key: names it in lines and checkpoints without revealing it. */
  readonly id: string
  readonly #bytes: Buffer

  constructor(bytes: Buffer) {
    this.#bytes = Buffer.from(bytes)
    this.id = createHash('sha256').update('hub audit key id\n').update(bytes).digest('hex').slice(0, 16)
  }

  [inspect.custom](): string {
    return this.toString()
  }

  /** HMAC-SHA256 of the parts, in hex. */
  mac(...parts: Array<Buffer | string>): string {
    const h = createHmac('sha256', this.#bytes)
    for (const p of parts) h.update(p)
    return h.digest('hex')
  }

  toJSON(): {key_id: string} {
    return {key_id: this.id}
  }

  toString(): string {
    return `AuditKey(${this.id})`
  }
}

export type KeyState =
  | {code: string; path: string; state: 'unreadable'}
  | {key: AuditKey; path: string; state: 'ok'}
  | {path: string; reason: string; state: 'invalid'}
  | {path: string; state: 'missing'}

/** Reads the key file; never throws for a missing, unreadable or malformed file (the caller decides). */
export async function readAuditKey(path: string): Promise<KeyState> {
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO'
    return code === 'ENOENT' ? {state: 'missing', path} : {state: 'unreadable', path, code}
  }

  if (bytes.length !== AUDIT_KEY_BYTES) {
    return {state: 'invalid', path, reason: `it holds ${bytes.length} bytes, not ${AUDIT_KEY_BYTES}`}
  }

  return {state: 'ok', path, key: new AuditKey(bytes)}
}

/**
 * Creates the key file (0600, durable) unless another process got there first, in which case that
 * one's key is returned: the file appears whole or not at all (written beside it, then linked in,
 * which unlike a rename never replaces an existing key).
 */
export async function createAuditKey(path: string): Promise<AuditKey> {
  const bytes = randomBytes(AUDIT_KEY_BYTES)
  const temp = tempPathFor(path)
  const handle = await open(temp, 'wx', 0o600)
  try {
    await handle.writeFile(bytes)
    await handle.sync()
  } finally {
    await handle.close()
  }

  try {
    await link(temp, path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    const existing = await readAuditKey(path)
    if (existing.state === 'ok') return existing.key
    throw error
  } finally {
    await rm(temp, {force: true})
  }

  await fsyncDir(dirname(path))
  return new AuditKey(bytes)
}

/** Makes the key file 0600 when others could read it; returns the mode it had when it was changed. */
export async function tightenKeyMode(path: string): Promise<number | undefined> {
  if (process.platform === 'win32') return undefined
  const mode = (await stat(path)).mode & 0o777
  if ((mode & 0o077) === 0) return undefined
  await chmod(path, 0o600)
  return mode
}
