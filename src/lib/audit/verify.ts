/**
 * `hub audit verify` (SPEC §3.1, §6.4): walks the whole chain and names the first line that breaks
 * it, then checks the end of the log against the signed head (`audit.head`).
 *
 * Every line must parse, carry the next `seq`, name the previous line's hash as `prev`, and carry the
 * hash of its own bytes: an HMAC under the audit key when it says `key_id`, a plain SHA-256 when it
 * was written before there was a key. Once a line is keyed, every later one must be. The head says how
 * far the log had durably reached and from which seq it is keyed, so a log cut back to its first N
 * lines, or hashed again from scratch without `key_id`, fails too.
 *
 * A break is typed (`kind` and the facts that go with it); its `reason` text is made from those facts
 * here, once, for people. Verify needs no daemon: it reads the key from the runtime directory, and says
 * plainly when it cannot.
 */
import {bodyHash, GENESIS_HASH, splitHash} from './chain.js'
import {type Checkpoint, type HeadState, readHead} from './head.js'
import {type AuditFiles, auditFiles, type AuditKey, type KeyState, readAuditKey} from './key.js'
import {decode, DEFAULT_CHUNK, eachLine, forwardRegions, openIfExists} from './reader.js'

export type BreakKind =
  | 'checkpoint_invalid'
  | 'checkpoint_mismatch'
  | 'checkpoint_missing'
  | 'hash_malformed'
  | 'hash_mismatch'
  | 'key_invalid'
  | 'key_missing'
  | 'key_unreadable'
  | 'no_chain'
  | 'not_json'
  | 'not_object'
  | 'prev_mismatch'
  | 'seq_gap'
  | 'seq_invalid'
  | 'seq_repeat'
  | 'torn_line'
  | 'truncated'
  | 'unkeyed_after_keyed'
  | 'unkeyed_in_keyed_range'
  | 'unknown_key'

export interface ChainBreak {
  /** The checkpoint the finding is about (checkpoint_mismatch, truncated). */
  checkpoint?: {hash: string; seq: number}
  /** The seq the line should have had. */
  expected_seq?: number
  /** The key the line names (unknown_key). */
  key_id?: string
  kind: BreakKind
  /** 1-based line number; null for a finding about the end of the log or its files. */
  line: null | number
  /** Why, for people (made from the fields above). */
  reason: string
  /** The line's own seq, or the first missing one (truncated); null when there is none. */
  seq: null | number
}

export type KeyStatus = 'invalid' | 'missing' | 'ok' | 'unreadable'
export type CheckpointStatus = 'invalid' | 'missing' | 'not_checked' | 'ok' | 'unreadable'

export interface VerifyResult {
  checkpoint: Checkpoint | null
  checkpoint_status: CheckpointStatus
  files: AuditFiles
  first_break?: ChainBreak
  key: KeyStatus
  key_id: null | string
  /** The first keyed seq seen, or null. */
  keyed_from: null | number
  /** Lines checked under the key, and without one (written before the key existed). */
  keyed_lines: number
  last_hash: string
  /** seq and hash of the last line of the intact chain (before any break). */
  last_seq: number
  /** Lines in the file (all of them, also those after a break). */
  lines: number
  missing: boolean
  ok: boolean
  unkeyed_lines: number
}

type Facts = Omit<ChainBreak, 'reason'>

/** The sentence for a break, from its facts. */
export function describeBreak(b: Facts, files?: AuditFiles): string {
  const keyFile = files?.key ?? 'audit.key'
  const headFile = files?.head ?? 'audit.head'
  switch (b.kind) {
    case 'not_json': {
      return 'the line is not valid JSON'
    }

    case 'torn_line': {
      return 'the last line is incomplete (no newline): torn by a crash mid-write, or being written right now'
    }

    case 'not_object': {
      return 'the line is not a JSON object'
    }

    case 'no_chain': {
      return 'no hash chain from here: the line has no seq, prev or hash (written by the original tool?)'
    }

    case 'seq_invalid': {
      return 'the line has no numeric seq'
    }

    case 'seq_gap': {
      const gap = b.seq! - b.expected_seq!
      const what = gap === 1 ? 'a line before it was removed' : `${gap} lines before it were removed`
      return `seq is ${b.seq}, expected ${b.expected_seq}: ${what}`
    }

    case 'seq_repeat': {
      return `seq is ${b.seq}, expected ${b.expected_seq}: a line was inserted or repeated`
    }

    case 'prev_mismatch': {
      return b.line === 1
        ? 'prev does not match the genesis hash: the beginning of the log was cut or replaced'
        : `prev does not match the hash of the line before it (line ${b.line! - 1} was rewritten with a new ` +
            'hash, or this line was put in from elsewhere)'
    }

    case 'hash_malformed': {
      return 'the line does not end with its hash as hub writes it (a "hash" of 64 hex digits, last)'
    }

    case 'hash_mismatch': {
      return 'the line was changed after it was written (hash mismatch)'
    }

    case 'unknown_key': {
      return (
        `the line is hashed under another key (key_id ${b.key_id}), not the one in ${keyFile}: ` +
        'rewritten with a guessed key, or the key file was replaced'
      )
    }

    case 'unkeyed_after_keyed': {
      return (
        'the line has no key_id after keyed lines: keyed lines never go back to unkeyed ' +
        '(rewritten with a plain SHA-256?)'
      )
    }

    case 'unkeyed_in_keyed_range': {
      return (
        `the line has no key_id, but the signed checkpoint says the log is keyed from seq ${b.expected_seq}: ` +
        'the log was hashed again without the key'
      )
    }

    case 'key_missing': {
      return `the line is keyed (key_id ${b.key_id}) but there is no key at ${keyFile}: it cannot be authenticated`
    }

    case 'key_unreadable': {
      return (
        `the line is keyed (key_id ${b.key_id}) but ${keyFile} cannot be read: ` +
        "it cannot be authenticated (run as the daemon's user)"
      )
    }

    case 'key_invalid': {
      return `the line is keyed (key_id ${b.key_id}) but ${keyFile} is not a 32-byte key: it cannot be authenticated`
    }

    case 'truncated': {
      const cp = b.checkpoint!
      const ends = b.seq! <= 1 ? 'the log has no chained lines' : `the log ends at seq ${b.seq! - 1}`
      const cut = cp.seq > b.seq! ? `${b.seq}–${cp.seq}` : `${b.seq}`
      return `${ends}, but the signed checkpoint in ${headFile} says seq ${cp.seq} was written: seq ${cut} cut off`
    }

    case 'checkpoint_mismatch': {
      const named = `hash ${b.checkpoint!.hash.slice(0, 16)}…`
      return (
        `the line at seq ${b.seq} is not the one the signed checkpoint in ${headFile} names (${named}): ` +
        'the log was rewritten up to its end'
      )
    }

    case 'checkpoint_missing': {
      return `the log is keyed but its signed checkpoint ${headFile} is missing: a cut at the end could not be seen`
    }

    case 'checkpoint_invalid': {
      return `the signed checkpoint ${headFile} does not verify under the key: it was replaced or damaged`
    }
  }
}

function keyStatus(state: KeyState): KeyStatus {
  return state.state
}

function headStatus(state: HeadState | undefined): CheckpointStatus {
  return state === undefined ? 'not_checked' : state.state
}

/** Verifies the audit log at `logPath`, with the key and head beside it (auditFiles). */
export async function verifyAuditFile(logPath: string, opts: {chunkSize?: number} = {}): Promise<VerifyResult> {
  const files = auditFiles(logPath)
  const keyState = await readAuditKey(files.key)
  const key: AuditKey | undefined = keyState.state === 'ok' ? keyState.key : undefined
  const headState = key ? await readHead(files.head, key) : undefined
  const checkpoint = headState?.state === 'ok' ? headState.checkpoint : undefined
  const result: VerifyResult = {
    ok: true,
    lines: 0,
    last_seq: 0,
    last_hash: GENESIS_HASH,
    missing: false,
    keyed_lines: 0,
    unkeyed_lines: 0,
    keyed_from: null,
    key: keyStatus(keyState),
    key_id: key?.id ?? null,
    checkpoint: checkpoint ?? null,
    checkpoint_status: headStatus(headState),
    files,
  }
  const fail = (facts: Facts): void => {
    result.ok = false
    result.first_break = {...facts, reason: describeBreak(facts, files)}
  }

  let atCheckpoint: undefined | {hash: string; line: number}
  const handle = await openIfExists(logPath)
  if (handle) {
    try {
      for await (const region of forwardRegions(handle, {chunkSize: opts.chunkSize ?? DEFAULT_CHUNK})) {
        const {buf} = region
        eachLine(region, (start, end, terminated) => {
          result.lines++
          if (!result.ok) return
          const line = result.lines
          let value: unknown
          try {
            value = JSON.parse(decode(buf, start, end))
          } catch {
            fail({kind: terminated ? 'not_json' : 'torn_line', line, seq: null})
            return
          }

          if (typeof value !== 'object' || value === null || Array.isArray(value)) {
            fail({kind: 'not_object', line, seq: null})
            return
          }

          const entry = value as Record<string, unknown>
          const {seq, prev} = entry
          if (seq === undefined && prev === undefined && entry.hash === undefined) {
            fail({kind: 'no_chain', line, seq: null})
            return
          }

          const expected = result.last_seq + 1
          if (typeof seq !== 'number' || !Number.isInteger(seq)) {
            fail({kind: 'seq_invalid', line, seq: null, expected_seq: expected})
            return
          }

          if (seq !== expected) {
            fail({kind: seq > expected ? 'seq_gap' : 'seq_repeat', line, seq, expected_seq: expected})
            return
          }

          if (prev !== result.last_hash) {
            fail({kind: 'prev_mismatch', line, seq})
            return
          }

          const split = splitHash(buf, start, end)
          if (!split || entry.hash !== split.hash) {
            fail({kind: 'hash_malformed', line, seq})
            return
          }

          const keyId = entry.key_id
          if (keyId === undefined) {
            if (result.keyed_lines > 0) {
              fail({kind: 'unkeyed_after_keyed', line, seq})
              return
            }

            if (checkpoint && seq >= checkpoint.keyed_from) {
              fail({kind: 'unkeyed_in_keyed_range', line, seq, expected_seq: checkpoint.keyed_from})
              return
            }

            if (bodyHash(buf, start, split.bodyEnd, undefined) !== split.hash) {
              fail({kind: 'hash_mismatch', line, seq})
              return
            }

            result.unkeyed_lines++
          } else {
            const id = typeof keyId === 'string' ? keyId : JSON.stringify(keyId)
            if (!key) {
              const kind =
                keyState.state === 'missing'
                  ? 'key_missing'
                  : keyState.state === 'invalid'
                    ? 'key_invalid'
                    : 'key_unreadable'
              fail({kind, line, seq, key_id: id})
              return
            }

            if (keyId !== key.id) {
              fail({kind: 'unknown_key', line, seq, key_id: id})
              return
            }

            if (bodyHash(buf, start, split.bodyEnd, key) !== split.hash) {
              fail({kind: 'hash_mismatch', line, seq})
              return
            }

            result.keyed_lines++
            result.keyed_from ??= seq
          }

          if (checkpoint && seq === checkpoint.seq) atCheckpoint = {hash: split.hash, line}
          result.last_seq = seq
          result.last_hash = split.hash
        })
      }
    } finally {
      await handle.close()
    }
  }

  result.missing = handle === undefined
  if (result.ok && key) checkEnd(result, headState!, atCheckpoint, fail)
  return result
}

/** The end of the log against the signed head. */
function checkEnd(
  result: VerifyResult,
  head: HeadState,
  atCheckpoint: undefined | {hash: string; line: number},
  fail: (facts: Facts) => void,
): void {
  if (head.state === 'missing') {
    if (result.keyed_lines > 0) fail({kind: 'checkpoint_missing', line: null, seq: null})
    return
  }

  if (head.state !== 'ok') {
    fail({kind: 'checkpoint_invalid', line: null, seq: null})
    return
  }

  const cp = head.checkpoint
  if (result.last_seq < cp.seq) {
    fail({kind: 'truncated', line: null, seq: result.last_seq + 1, checkpoint: {seq: cp.seq, hash: cp.hash}})
    return
  }

  if (cp.seq > 0 && atCheckpoint?.hash !== cp.hash) {
    const line = atCheckpoint?.line ?? null
    fail({kind: 'checkpoint_mismatch', line, seq: cp.seq, checkpoint: {seq: cp.seq, hash: cp.hash}})
  }
}
