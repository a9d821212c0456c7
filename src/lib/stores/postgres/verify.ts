/**
 * `hub audit verify --store postgres://…`: walks the chain in `hub_audit` as the file verifier walks
 * audit.log — each line's text must carry the next seq (the row's own), the previous line's hash as
 * `prev`, and the HMAC of its own bytes under this host's key (audit-key.ts: the key is never in the
 * database) — then checks the end against the signed head in hub_meta, so rows rewritten with
 * recomputed hashes and rows cut off the end both fail. It answers in the same shape as for a file,
 * so scripts read one report whichever store it came from.
 */
import type pg from 'pg'

import {bodyHash, GENESIS_HASH, splitHash} from '../../audit/chain.js'
import {type AuditFiles, type AuditKey, readAuditKey} from '../../audit/key.js'
import {type BreakKind, type ChainBreak, describeBreak, type VerifyResult} from '../../audit/verify.js'
import {hostKeyPath, readMeta, readSignedHead, type SignedHead} from './audit-key.js'
import {describeUrl} from './pool.js'
import {META} from './schema.js'

const PAGE = 5000

type Facts = Omit<ChainBreak, 'reason'>

interface Walk {
  expected: number
  hash: string
  /** Set once a keyed line is seen: no unkeyed line may follow. */
  keyed: boolean
  keyedFrom: number
}

/** The break in one line, or undefined when it continues the chain; `unkeyed` is set for a legacy line. */
function checkLine(w: Walk, key: AuditKey | undefined, rowSeq: number, text: string): 'unkeyed' | Facts | undefined {
  const at = {line: w.expected, seq: rowSeq}
  const fail = (kind: BreakKind, more: Partial<Facts> = {}): Facts => ({kind, ...at, ...more})
  let obj: unknown
  try {
    obj = JSON.parse(text)
  } catch {
    return fail('not_json', {seq: null})
  }

  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return fail('not_object', {seq: null})
  const line = obj as {hash?: unknown; key_id?: unknown; prev?: unknown; seq?: unknown}
  if (typeof line.seq !== 'number' || !Number.isInteger(line.seq))
    return fail('seq_invalid', {expected_seq: w.expected})
  // The row's seq column and the line's own must agree: a row renumbered to hide a gap is a gap.
  if (line.seq !== w.expected || rowSeq !== w.expected)
    return fail(line.seq > w.expected ? 'seq_gap' : 'seq_repeat', {seq: line.seq, expected_seq: w.expected})
  if (line.prev !== w.hash) return fail('prev_mismatch')
  const buf = Buffer.from(text)
  const split = splitHash(buf, 0, buf.length)
  if (!split || line.hash !== split.hash) return fail('hash_malformed')
  if (line.key_id === undefined) {
    if (w.keyed) return fail('unkeyed_after_keyed')
    if (rowSeq >= w.keyedFrom) return fail('unkeyed_in_keyed_range', {expected_seq: w.keyedFrom})
    if (bodyHash(buf, 0, split.bodyEnd, undefined) !== split.hash) return fail('hash_mismatch')
    w.hash = split.hash
    return 'unkeyed'
  }

  return checkKeyed(w, key, line.key_id, {buf, ...split})
}

/** A keyed line: named by this host's key and hashed under it. */
function checkKeyed(
  w: Walk,
  key: AuditKey | undefined,
  keyId: unknown,
  text: {bodyEnd: number; buf: Buffer; hash: string},
): Facts | undefined {
  const at = {line: w.expected, seq: w.expected}
  const id = typeof keyId === 'string' ? keyId : JSON.stringify(keyId)
  if (!key) return {kind: 'key_missing', ...at, key_id: id}
  if (id !== key.id) return {kind: 'unknown_key', ...at, key_id: id}
  if (bodyHash(text.buf, 0, text.bodyEnd, key) !== text.hash) return {kind: 'hash_mismatch', ...at}
  w.keyed = true
  w.hash = text.hash
  return undefined
}

export async function verifyPostgresChain(pool: pg.Pool, url: string, runtimeDir: string): Promise<VerifyResult> {
  const keyPath = hostKeyPath(runtimeDir)
  const keyState = await readAuditKey(keyPath)
  const key = keyState.state === 'ok' ? keyState.key : undefined
  const files: AuditFiles = {log: `${describeUrl(url)} (table hub_audit)`, key: keyPath, head: 'hub_meta.audit_head'}
  const headText = key ? await readMeta(pool, META.head) : undefined
  const head: SignedHead | string | undefined =
    key && headText !== undefined ? readSignedHead(key, headText) : undefined
  const checkpoint = typeof head === 'object' ? head : undefined
  const total = await pool.query<{n: string}>('SELECT count(*) AS n FROM hub_audit')
  const result: VerifyResult = {
    checkpoint: checkpoint ?? null,
    checkpoint_status: key ? (head === undefined ? 'missing' : checkpoint ? 'ok' : 'invalid') : 'not_checked',
    files,
    key: keyState.state,
    key_id: key?.id ?? null,
    keyed_from: null,
    keyed_lines: 0,
    last_hash: GENESIS_HASH,
    last_seq: 0,
    lines: Number(total.rows[0]?.n ?? 0),
    missing: false,
    ok: true,
    unkeyed_lines: 0,
  }
  const fail = (facts: Facts): VerifyResult => {
    result.ok = false
    result.first_break = {...facts, reason: describeBreak(facts, files)}
    return result
  }

  if (keyState.state !== 'ok' && keyState.state !== 'missing') {
    const kind = keyState.state === 'invalid' ? 'key_invalid' : 'key_unreadable'
    return fail({kind, line: null, seq: null})
  }

  const walked = await walk(pool, key, checkpoint, result)
  if (walked.broken) return fail(walked.broken)
  if (!key) return result
  // A head is written as soon as the key is named (seq 0): a database named but without a head was
  // emptied, not new.
  const named = (await readMeta(pool, META.keyId)) !== undefined
  const end = checkEnd(result, {atCheckpoint: walked.atCheckpoint, checkpoint, head, named})
  return end ? fail(end) : result
}

/** The rows in seq order, checked line by line; the first break, and the hash found at the head's seq. */
async function walk(
  pool: pg.Pool,
  key: AuditKey | undefined,
  checkpoint: SignedHead | undefined,
  result: VerifyResult,
): Promise<{atCheckpoint?: string; broken?: Facts}> {
  const w: Walk = {expected: 1, hash: GENESIS_HASH, keyed: false, keyedFrom: checkpoint?.keyed_from ?? 1}
  let atCheckpoint: string | undefined
  let after = 0
  for (;;) {
    const {rows} = await pool.query<{line: string; seq: string}>(
      'SELECT seq, line FROM hub_audit WHERE seq > $1 ORDER BY seq LIMIT $2',
      [after, PAGE],
    )
    for (const row of rows) {
      const seq = Number(row.seq)
      const found = checkLine(w, key, seq, row.line)
      if (typeof found === 'object') return {broken: found}
      if (found === 'unkeyed') result.unkeyed_lines++
      else {
        result.keyed_from ??= seq
        result.keyed_lines++
      }

      if (checkpoint && seq === checkpoint.seq) atCheckpoint = w.hash
      result.last_seq = seq
      result.last_hash = w.hash
      w.expected = seq + 1
    }

    if (rows.length < PAGE) return {atCheckpoint}
    after = Number(rows.at(-1)!.seq)
  }
}

/** The end of the chain against the signed head. */
function checkEnd(
  result: VerifyResult,
  found: {
    atCheckpoint: string | undefined
    checkpoint: SignedHead | undefined
    head: SignedHead | string | undefined
    named: boolean
  },
): Facts | undefined {
  const {atCheckpoint, checkpoint, head, named} = found
  if (head === undefined)
    return result.lines > 0 || named ? {kind: 'checkpoint_missing', line: null, seq: null} : undefined
  if (!checkpoint) return {kind: 'checkpoint_invalid', line: null, seq: null}
  const cp = {seq: checkpoint.seq, hash: checkpoint.hash}
  // Rows cut off the end (a DELETE, a TRUNCATE): the chain that is left is intact but ends early.
  if (result.last_seq < cp.seq) return {kind: 'truncated', line: null, seq: result.last_seq + 1, checkpoint: cp}
  if (cp.seq > 0 && atCheckpoint !== cp.hash)
    return {kind: 'checkpoint_mismatch', line: cp.seq, seq: cp.seq, checkpoint: cp}
  return undefined
}
