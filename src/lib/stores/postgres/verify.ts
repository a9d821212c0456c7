/**
 * `hub audit verify --store postgres://…`: walks the chain in `hub_audit` as the file verifier walks
 * audit.log — each line's text must carry the next seq (the row's own), the previous line's hash as
 * `prev`, and the HMAC of its own bytes under the database's key — and answers in the same shape, so
 * scripts read one report whichever store it came from.
 */
import type pg from 'pg'

import {bodyHash, GENESIS_HASH, splitHash} from '../../audit/chain.js'
import {type AuditKey} from '../../audit/key.js'
import {type BreakKind, describeBreak, type VerifyResult} from '../../audit/verify.js'
import {describeUrl, loadAuditKey} from './pool.js'

const PAGE = 5000

interface Walk {
  expected: number
  hash: string
  key: AuditKey
  lines: number
}

/** The break in one line, or undefined when it continues the chain. */
function checkLine(w: Walk, rowSeq: number, text: string): BreakKind | undefined {
  let obj: unknown
  try {
    obj = JSON.parse(text)
  } catch {
    return 'not_json'
  }

  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return 'not_object'
  const line = obj as {hash?: unknown; key_id?: unknown; prev?: unknown; seq?: unknown}
  if (typeof line.seq !== 'number') return 'seq_invalid'
  if (line.seq !== rowSeq || line.seq > w.expected) return line.seq > w.expected ? 'seq_gap' : 'seq_repeat'
  if (line.seq < w.expected) return 'seq_repeat'
  if (line.prev !== w.hash) return 'prev_mismatch'
  const buf = Buffer.from(text)
  const split = splitHash(buf, 0, buf.length)
  if (!split) return 'hash_malformed'
  if (line.key_id === undefined) return 'unkeyed_in_keyed_range'
  if (line.key_id !== w.key.id) return 'unknown_key'
  if (bodyHash(buf, 0, split.bodyEnd, w.key) !== split.hash) return 'hash_mismatch'
  w.hash = split.hash
  return undefined
}

export async function verifyPostgresChain(pool: pg.Pool, url: string): Promise<VerifyResult> {
  const key = await loadAuditKey(pool)
  const files = {log: `${describeUrl(url)} (table hub_audit)`, key: 'hub_meta.audit_key', head: 'hub_audit'}
  const w: Walk = {expected: 1, hash: GENESIS_HASH, key, lines: 0}
  const total = await pool.query<{n: string}>('SELECT count(*) AS n FROM hub_audit')
  const result: VerifyResult = {
    checkpoint: null,
    checkpoint_status: 'not_checked',
    files,
    key: 'ok',
    key_id: key.id,
    keyed_from: null,
    keyed_lines: 0,
    last_hash: GENESIS_HASH,
    last_seq: 0,
    lines: Number(total.rows[0]?.n ?? 0),
    missing: false,
    ok: true,
    unkeyed_lines: 0,
  }
  let after = 0
  for (;;) {
    const {rows} = await pool.query<{line: string; seq: string}>(
      'SELECT seq, line FROM hub_audit WHERE seq > $1 ORDER BY seq LIMIT $2',
      [after, PAGE],
    )
    for (const row of rows) {
      const seq = Number(row.seq)
      w.lines++
      const kind = checkLine(w, seq, row.line)
      if (kind) {
        const facts = {kind, line: w.lines, seq, expected_seq: w.expected}
        result.ok = false
        result.first_break = {...facts, reason: describeBreak(facts)}
        return result
      }

      result.keyed_from ??= seq
      result.keyed_lines++
      result.last_seq = seq
      result.last_hash = w.hash
      w.expected = seq + 1
    }

    if (rows.length < PAGE) return result
    after = Number(rows.at(-1)!.seq)
  }
}
