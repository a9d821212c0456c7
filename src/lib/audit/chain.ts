/**
 * The hash chain of the audit log (SPEC §3.1, §6.4). Each line carries `seq` (1, 2, 3 … with no
 * gaps), `prev` (the previous line's hash) and, last, `hash`: an HMAC-SHA256 under the audit key of
 * the line's own text without its `hash` field. Keyed lines name the key (`key_id`, inside the
 * hashed text, so it cannot be stripped); lines written before there was a key have a plain SHA-256
 * and no `key_id`, and still verify, as "unkeyed".
 *
 * The writer hashes the exact text it writes, and `hash` is always the last field, so a verifier
 * hashes the bytes it reads: `{…body…,"hash":"<64 hex>"}` minus the hash field is `{…body…}`. No
 * parse-and-serialise round trip, which would depend on number formatting and key order.
 */
import {createHash} from 'node:crypto'

import type {AuditKey} from './key.js'

import {type AuditEntry, type AuditFields, auditTimestamp} from './entry.js'

export const GENESIS_HASH = '0'.repeat(64)

const HASH_FIELD_HEAD = Buffer.from(',"hash":"')
/** `,"hash":"` + 64 hex digits + `"}`. */
const HASH_FIELD_LENGTH = HASH_FIELD_HEAD.length + 64 + 2
const CLOSE = Buffer.from('}')
/** Fields the chain sets itself: a caller's own values for them are dropped. */
const SEALED_FIELDS = new Set(['hash', 'seq', 'prev', 'key_id'])

export interface SealedLine {
  entry: AuditEntry
  /** The line as written, without its newline. */
  line: string
}

/**
 * Builds the line for `fields` at `seq` after `prev`: hub's own fields (`ts` unless given, `seq`,
 * `prev`, `key_id`) after the caller's, then the hash. Without a key the hash is a plain SHA-256
 * (only tests and benchmarks write such legacy lines).
 */
export function sealLine(
  fields: AuditFields,
  seq: number,
  prev: string,
  key: AuditKey | undefined,
  at: Date = new Date(),
): SealedLine {
  const body: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(fields)) if (!SEALED_FIELDS.has(name)) body[name] = value
  body.ts = typeof fields.ts === 'string' ? fields.ts : auditTimestamp(at)
  body.seq = seq
  body.prev = prev
  if (key) body.key_id = key.id
  const text = JSON.stringify(body)
  const hash = key ? key.mac(text) : createHash('sha256').update(text).digest('hex')
  body.hash = hash
  return {entry: body as AuditEntry, line: `${text.slice(0, -1)},"hash":"${hash}"}`}
}

function isLowerHex(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i]!
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false
  }

  return true
}

/**
 * Where the hashed body of the line `buf[start, end)` ends, and its hash, when the line ends with a
 * well-formed `,"hash":"<64 hex>"}` as hub writes it; undefined otherwise.
 */
export function splitHash(buf: Buffer, start: number, end: number): undefined | {bodyEnd: number; hash: string} {
  const bodyEnd = end - HASH_FIELD_LENGTH
  if (bodyEnd <= start) return undefined
  for (let k = 0; k < HASH_FIELD_HEAD.length; k++) if (buf[bodyEnd + k] !== HASH_FIELD_HEAD[k]) return undefined
  const hexStart = bodyEnd + HASH_FIELD_HEAD.length
  if (buf[end - 2] !== 0x22 || buf[end - 1] !== 0x7d || !isLowerHex(buf, hexStart, hexStart + 64)) return undefined
  return {bodyEnd, hash: buf.toString('latin1', hexStart, hexStart + 64)}
}

/** The hash a line's body should carry: HMAC under `key`, or SHA-256 for an unkeyed line. */
export function bodyHash(buf: Buffer, start: number, bodyEnd: number, key: AuditKey | undefined): string {
  const body = buf.subarray(start, bodyEnd)
  return key ? key.mac(body, CLOSE) : createHash('sha256').update(body).update(CLOSE).digest('hex')
}
