/**
 * The read side of the audit log (SPEC §7.4): a streaming scanner that never holds the file, built to
 * be close to a bare byte scan on a log of millions of lines.
 *
 * - The file is read in large chunks into Buffers and split on `\n` at the byte level; text is decoded
 *   only for the lines that get parsed.
 * - An event filter (`--blocked`, `--executed`, `--event`) is first a byte search for the quoted event
 *   name (`"command_blocked"`), so the scan jumps from hit to hit the way `grep -F` does and lines
 *   without the name are never looked at. A hit is only a candidate: the line is then parsed and its
 *   `event` compared, so a command that merely mentions the name does not match. (The writers never
 *   escape the ASCII of an event name, so a real match always contains the quoted name.)
 * - Lines that do not parse, or that are not objects with a string `event`, are skipped and counted,
 *   never fatal, and a last line without its newline (torn by a crash, or being written) is treated the
 *   same way. Only lines that are looked at can be counted: with an event filter, that is the
 *   candidates, since a line without the name could not have matched anyway.
 * - `limit` keeps the LAST N matching lines (what an operator asks for: the most recent), returned in
 *   file order. The file is then read backwards from its end and the scan stops once it has N, so
 *   `hub audit --limit 20` costs the same on a 2 GB log as on a small one.
 * - `--stats` checks each line with a validating byte scanner instead of JSON.parse (see below) and
 *   keeps one float64 per execution for exact percentiles (stats.ts).
 * - `--json` output is the lines' own bytes, copied into large chunks (JsonArrayWriter).
 */
import {type FileHandle, open} from 'node:fs/promises'

import {chainBreak, GENESIS_HASH} from './audit-log.js'
import {NumberSample, type Summary} from './stats.js'
import {auditTsMs} from './time-range.js'

/** A parsed audit line: hub's lines have `seq`/`prev`/`hash`/`ts`; the original tool's have fewer fields. */
export interface AuditLine {
  [field: string]: unknown
  event: string
}

export interface AuditFilter {
  /** Any of these events (empty or absent: every event). */
  events?: readonly string[] | undefined
  /** Tested against `command`; lines without a string `command` do not match. */
  grep?: RegExp | undefined
  /** Keep only the last N matching lines (in file order). */
  limit?: number | undefined
  /** Inclusive, epoch ms, compared with `ts` (a `ts` without a zone is UTC). */
  since?: number | undefined
  /** Exclusive, epoch ms. */
  until?: number | undefined
}

export interface ScanSummary {
  /** Lines handed to the caller. */
  matched: number
  /** There is no audit log at the path (yet). */
  missing: boolean
  /** Lines looked at that did not parse as an audit entry. */
  skipped_lines: number
}

/**
 * Called once per matching line, in file order. The line's bytes (without the newline) are
 * `buf[start, end)`; `buf` is reused, so copy them if they must outlive the call. (Bytes and offsets
 * rather than a slice: a million slices cost a measurable share of a full scan.)
 */
export type EntryHandler = (entry: AuditLine, buf: Buffer, start: number, end: number) => void

export interface ScanHooks {
  /** Awaited after each chunk: the place to flush output and wait for the reader (backpressure). */
  afterChunk?: () => Promise<void> | void
  /** Read size; tests use small chunks to cross line boundaries. */
  chunkSize?: number
}

export const DEFAULT_CHUNK = 1 << 20

const NL = 0x0a
const CR = 0x0d
const QUOTE = 0x22

interface Utf8Slicer {
  utf8Slice(start: number, end: number): string
}
// Buffer#utf8Slice is what toString('utf8', s, e) calls after its argument checks; calling it
// directly saves about a tenth of a full parse. Kept behind a check in case a runtime lacks it.
const decode: (buf: Buffer, start: number, end: number) => string =
  typeof (Buffer.prototype as unknown as Partial<Utf8Slicer>).utf8Slice === 'function'
    ? (buf, start, end) => (buf as unknown as Utf8Slicer).utf8Slice(start, end)
    : (buf, start, end) => buf.toString('utf8', start, end)

/** Applies the parsed-side filter to one candidate line; returns the entry, `null` (no match) or `undefined` (bad line). */
type LineTest = (buf: Buffer, start: number, end: number) => AuditLine | null | undefined

function compile(filter: AuditFilter): LineTest {
  const events = filter.events && filter.events.length > 0 ? new Set(filter.events) : undefined
  const {since, until, grep} = filter
  const timed = since !== undefined || until !== undefined
  return (buf, start, end) => {
    let value: unknown
    try {
      value = JSON.parse(decode(buf, start, end))
    } catch {
      return undefined
    }

    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
    const entry = value as Record<string, unknown>
    if (typeof entry.event !== 'string') return undefined
    if (events && !events.has(entry.event)) return null
    if (timed) {
      const at = auditTsMs(entry.ts)
      // A line without a readable time cannot be said to fall inside a range.
      if (Number.isNaN(at)) return null
      if (since !== undefined && at < since) return null
      if (until !== undefined && at >= until) return null
    }

    if (grep) {
      if (typeof entry.command !== 'string') return null
      grep.lastIndex = 0
      if (!grep.test(entry.command)) return null
    }

    return entry as AuditLine
  }
}

/**
 * The byte test for an event filter: the name and its closing quote, `command_blocked"`; a hit also
 * needs a quote just before it. Searching without the leading quote is several times faster
 * (Buffer#indexOf starts from the needle's first byte, and `"` is the commonest byte in JSON).
 */
function needlesFor(filter: AuditFilter): Buffer[] {
  return [...new Set(filter.events ?? [])].map((e) => Buffer.from(JSON.stringify(e).slice(1)))
}

/** The next hit of `needle` at or after `from` that has a quote before it; -1 when none. */
function nextQuoted(region: Buffer, needle: Buffer, from: number): number {
  for (let i = region.indexOf(needle, from); i >= 0; i = region.indexOf(needle, i + 1)) {
    if (i > 0 && region[i - 1] === QUOTE) return i - 1
  }

  return -1
}

/** The last hit of `needle` that starts at or before `from` and has a quote before it; -1 when none. */
function prevQuoted(region: Buffer, needle: Buffer, from: number): number {
  for (
    let i = from < 0 ? -1 : region.lastIndexOf(needle, from);
    i >= 0;
    i = i === 0 ? -1 : region.lastIndexOf(needle, i - 1)
  ) {
    if (i > 0 && region[i - 1] === QUOTE) return i - 1
  }

  return -1
}

/** The line's end without a trailing CR (a log edited on Windows); equal to start for an empty line. */
function lineEnd(buf: Buffer, start: number, end: number): number {
  return end > start && buf[end - 1] === CR ? end - 1 : end
}

/**
 * Visits the candidate lines of `region` (which starts at a line start) in file order. The region's
 * last line may lack its newline only when it is the file's last line.
 */
function forEachCandidate(region: Buffer, needles: Buffer[], visit: (start: number, end: number) => void): void {
  const len = region.length
  if (needles.length === 0) {
    let p = 0
    while (p < len) {
      let e = region.indexOf(NL, p)
      if (e < 0) e = len
      visit(p, e)
      p = e + 1
    }

    return
  }

  // Next hit of each needle at or after p; recomputed only once p passes it.
  const next = needles.map(() => -2)
  let p = 0
  while (p < len) {
    let hit = -1
    for (const [i, needle] of needles.entries()) {
      if (next[i]! !== -1 && next[i]! < p) next[i] = nextQuoted(region, needle!, p)
      const h = next[i]!
      if (h >= 0 && (hit < 0 || h < hit)) hit = h
    }

    if (hit < 0) return
    const s = hit === 0 ? 0 : region.lastIndexOf(NL, hit - 1) + 1
    let e = region.indexOf(NL, hit)
    if (e < 0) e = len
    visit(s, e)
    p = e + 1
  }
}

/** Same, newest line first. */
function forEachCandidateReverse(
  region: Buffer,
  needles: Buffer[],
  visit: (start: number, end: number) => boolean,
): void {
  const len = region.length
  // p: the end (exclusive, at a newline or the region end) of the part not yet visited.
  let p = len
  if (needles.length === 0) {
    while (p > 0) {
      const s = region.lastIndexOf(NL, p - 1) + 1
      if (!visit(s, p)) return
      p = s - 1
      if (p < 0) return
    }

    return
  }

  const prev = needles.map(() => Number.MAX_SAFE_INTEGER)
  while (p > 0) {
    let hit = -1
    for (const [i, needle_] of needles.entries()) {
      const needle = needle_!
      // A hit (its quote at prev[i]) must end at or before p.
      if (prev[i]! !== -1 && prev[i]! + 1 + needle.length > p) prev[i] = prevQuoted(region, needle, p - needle.length)
      const h = prev[i]!
      if (h > hit) hit = h
    }

    if (hit < 0) return
    const s = hit === 0 ? 0 : region.lastIndexOf(NL, hit - 1) + 1
    let e = region.indexOf(NL, hit)
    if (e < 0 || e > p) e = p
    if (!visit(s, e)) return
    p = s - 1
    if (p < 0) return
  }
}

async function openIfExists(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/**
 * Reads the file front to back, handing each chunk's whole lines to `region` (the last line may lack
 * its newline only at EOF). Two buffers take turns: the next read is under way while this chunk is
 * scanned, so the copy from the page cache overlaps the search instead of adding to it. A line that
 * spans two chunks is copied out and handed over on its own.
 */
async function readForward(
  handle: FileHandle,
  chunkSize: number,
  region: (buf: Buffer) => void,
  afterChunk?: () => Promise<void> | void,
): Promise<void> {
  const bufs: [Buffer, Buffer] = [Buffer.allocUnsafe(chunkSize), Buffer.allocUnsafe(chunkSize)]
  let which: 0 | 1 = 0
  let pos = 0
  let reading: Promise<{bytesRead: number}> = handle.read(bufs[0], 0, chunkSize, 0)
  // The start of a line whose end is in a later chunk.
  let tail: Buffer | undefined
  try {
    await readLoop()
  } catch (error) {
    // A caller's handler threw with a read in flight: let it land before the file is closed.
    await reading.catch(() => {})
    throw error
  }

  async function readLoop(): Promise<void> {
    for (;;) {
      const {bytesRead} = await reading
      if (bytesRead === 0) {
        // The last line had no newline: torn, or still being written. It gets the same parse-or-skip.
        if (tail) region(tail)
        if (afterChunk) await afterChunk()
        return
      }

      const data = bufs[which].subarray(0, bytesRead)
      pos += bytesRead
      which = which === 0 ? 1 : 0
      reading = handle.read(bufs[which], 0, chunkSize, pos)
      let start = 0
      if (tail) {
        const nl = data.indexOf(NL)
        if (nl === -1) {
          tail = Buffer.concat([tail, data])
          continue
        }

        region(Buffer.concat([tail, data.subarray(0, nl + 1)]))
        tail = undefined
        start = nl + 1
      }

      const lastNl = data.lastIndexOf(NL)
      if (lastNl >= start) region(data.subarray(start, lastNl + 1))
      if (lastNl + 1 < bytesRead) tail = Buffer.from(data.subarray(Math.max(start, lastNl + 1)))
      if (afterChunk) await afterChunk()
    }
  }
}

/**
 * Reads the file back to front. Each call of `region` gets whole lines (newest last within the
 * region), and returns false to stop.
 */
async function readBackward(handle: FileHandle, chunkSize: number, region: (buf: Buffer) => boolean): Promise<void> {
  const {size} = await handle.stat()
  let end = size
  // Bytes from `end` on that belong to a line whose start is in an earlier chunk.
  let carry: Buffer = Buffer.alloc(0)
  while (end > 0) {
    const start = Math.max(0, end - chunkSize)
    const chunk = Buffer.allocUnsafe(end - start)
    let got = 0
    while (got < chunk.length) {
      const {bytesRead} = await handle.read(chunk, got, chunk.length - got, start + got)
      if (bytesRead === 0) break
      got += bytesRead
    }

    const joined = carry.length > 0 ? Buffer.concat([chunk.subarray(0, got), carry]) : chunk.subarray(0, got)
    end = start
    if (start === 0) {
      region(joined)
      return
    }

    // The part up to the first newline may be the end of a line that starts in an earlier chunk.
    const firstNl = joined.indexOf(NL)
    if (firstNl === -1) {
      carry = joined
      continue
    }

    carry = Buffer.from(joined.subarray(0, firstNl))
    const rest = joined.subarray(firstNl + 1)
    if (rest.length > 0 && !region(rest)) return
  }

  if (carry.length > 0) region(carry)
}

/**
 * Streams the audit log at `path`, calling `onEntry` for each matching line in file order. A missing
 * file is an empty log (`missing: true`).
 */
export async function queryAudit(
  path: string,
  filter: AuditFilter,
  onEntry: EntryHandler,
  hooks: ScanHooks = {},
): Promise<ScanSummary> {
  const handle = await openIfExists(path)
  const summary: ScanSummary = {matched: 0, skipped_lines: 0, missing: handle === undefined}
  if (!handle) return summary
  const test = compile(filter)
  const needles = needlesFor(filter)
  const chunkSize = hooks.chunkSize ?? DEFAULT_CHUNK
  try {
    if (filter.limit === undefined) {
      await readForward(
        handle,
        chunkSize,
        (region) => {
          forEachCandidate(region, needles, (s, e) => {
            const end = lineEnd(region, s, e)
            if (end === s) return
            const entry = test(region, s, end)
            if (entry === undefined) summary.skipped_lines++
            else if (entry !== null) {
              summary.matched++
              onEntry(entry, region, s, end)
            }
          })
        },
        hooks.afterChunk,
      )
      return summary
    }

    const {limit} = filter
    // Newest first while reading; the caller gets them in file order.
    const kept: Array<{entry: AuditLine; raw: Buffer}> = []
    if (limit > 0) {
      await readBackward(handle, chunkSize, (region) => {
        forEachCandidateReverse(region, needles, (s, e) => {
          const end = lineEnd(region, s, e)
          if (end === s) return true
          const entry = test(region, s, end)
          if (entry === undefined) summary.skipped_lines++
          else if (entry !== null) kept.push({entry, raw: Buffer.from(region.subarray(s, end))})
          return kept.length < limit
        })
        return kept.length < limit
      })
    }

    for (let i = kept.length - 1; i >= 0; i--) {
      summary.matched++
      const {entry, raw} = kept[i]!
      onEntry(entry, raw, 0, raw.length)
    }

    if (hooks.afterChunk) await hooks.afterChunk()
    return summary
  } finally {
    await handle.close()
  }
}

/**
 * Every line of the file in order, bytes only (`hub audit verify` needs each one, numbered).
 * `terminated` is false for a last line without its newline. Returns false when there is no file.
 */
export async function forEachLine(
  path: string,
  onLine: (buf: Buffer, start: number, end: number, terminated: boolean) => void,
  hooks: Omit<ScanHooks, 'afterChunk'> = {},
): Promise<boolean> {
  const handle = await openIfExists(path)
  if (!handle) return false
  try {
    await readForward(handle, hooks.chunkSize ?? DEFAULT_CHUNK, (region) => {
      const len = region.length
      forEachCandidate(region, [], (s, e) => onLine(region, s, e, e < len || region[len - 1] === NL))
    })
  } finally {
    await handle.close()
  }

  return true
}

export interface ChainBreak {
  /** 1-based line number in the file. */
  line: number
  reason: string
  /** The line's own `seq`, when it has a numeric one. */
  seq: null | number
}

export interface VerifyResult {
  first_break?: ChainBreak
  last_hash: string
  /** seq and hash of the last line of the intact chain (before any break). */
  last_seq: number
  /** Lines in the file (all of them, also those after a break). */
  lines: number
  missing: boolean
  ok: boolean
}

/** Adds what a break most likely means to chainBreak's reason. */
function explain(reason: string, entry: Record<string, unknown>, line: number, expectedSeq: number): string {
  if (reason.startsWith('seq is')) {
    if (typeof entry.seq === 'number' && entry.seq > expectedSeq) {
      const gap = entry.seq - expectedSeq
      return `${reason}: ${gap === 1 ? 'a line' : `${gap} lines`} before it ${gap === 1 ? 'was' : 'were'} removed`
    }

    return `${reason}: a line was inserted or repeated`
  }

  if (reason.startsWith('prev does not match')) {
    return line === 1
      ? `${reason} (the first line should follow the genesis hash: the beginning of the log was cut or replaced)`
      : `${reason} (line ${line - 1} was rewritten with a new hash, or this line was put in from elsewhere)`
  }

  return reason
}

/**
 * Walks the hash chain (`hub audit verify`): every line must parse, carry the next `seq`, name the
 * previous line's hash as `prev`, and hash to its own `hash`. Stops checking at the first break but
 * still counts the lines.
 */
export async function verifyAuditFile(path: string, hooks: Omit<ScanHooks, 'afterChunk'> = {}): Promise<VerifyResult> {
  const result: VerifyResult = {ok: true, lines: 0, last_seq: 0, last_hash: GENESIS_HASH, missing: false}
  const fail = (seq: unknown, reason: string): void => {
    result.ok = false
    result.first_break = {line: result.lines, seq: typeof seq === 'number' ? seq : null, reason}
  }

  const exists = await forEachLine(
    path,
    (buf, start, end, terminated) => {
      result.lines++
      if (!result.ok) return
      const stop = lineEnd(buf, start, end)
      if (stop === start) {
        fail(null, 'the line is empty (the log never has empty lines)')
        return
      }

      let value: unknown
      try {
        value = JSON.parse(decode(buf, start, stop))
      } catch {
        fail(
          null,
          terminated
            ? 'the line is not valid JSON'
            : 'the last line is incomplete (no newline): torn by a crash mid-write, or being written right now',
        )
        return
      }

      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        fail(null, 'the line is not a JSON object')
        return
      }

      const entry = value as Record<string, unknown>
      if (entry.seq === undefined && entry.prev === undefined && entry.hash === undefined) {
        fail(null, 'no hash chain from here: the line has no seq, prev or hash (written by the original tool?)')
        return
      }

      const why = chainBreak(entry, result.last_seq + 1, result.last_hash)
      if (why !== null) {
        fail(entry.seq, explain(why, entry, result.lines, result.last_seq + 1))
        return
      }

      result.last_seq = entry.seq as number
      result.last_hash = entry.hash as string
    },
    hooks,
  )
  result.missing = !exists
  return result
}

export interface AuditStats extends ScanSummary {
  /** Over the matching `command_executed` lines that carry a numeric `duration_ms`. */
  duration_ms: Summary
  /** Matching lines per event. */
  events: Record<string, number>
  first_ts: null | string
  last_ts: null | string
}

// ---------------------------------------------------------------------------------------------
// A validating scanner for `--stats`. Statistics need three top-level fields of every line (event,
// ts, duration_ms) but JSON.parse builds the whole object, hashes and all: two thirds of the time
// of a full scan. This checks the line against the JSON grammar byte by byte, exactly as strictly as
// JSON.parse, without building anything, and notes where those three values are. Whatever it cannot
// settle cheaply (an escaped key, an escaped event or ts, very deep nesting) goes to JSON.parse, so
// its answers are JSON.parse's answers (the tests hold it to that).

const SCAN_INVALID = 0
const SCAN_OK = 1
const SCAN_FALLBACK = 2

/** Where the last scanned line keeps its fields (-1: absent, or not of the type the stats need). */
const found = {eventStart: -1, eventEnd: -1, tsStart: -1, tsEnd: -1, durStart: -1, durEnd: -1}
let sawEscape = false
/** The line needs JSON.parse after all (nesting past MAX_DEPTH, or an escape where it matters). */
let needParse = false
const MAX_DEPTH = 64

function skipWs(b: Buffer, i: number, e: number): number {
  while (i < e) {
    const c = b[i]!
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++
    else break
  }

  return i
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66))
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39
}

/** `b[i]` is a quote; returns the index after the closing quote, or -1. */
function skipString(b: Buffer, i: number, e: number): number {
  i++
  while (i < e) {
    const c = b[i]!
    // The commonest case first: an ordinary character (above the quote, not a backslash).
    if (c > QUOTE && c !== 0x5c) {
      i++
      continue
    }

    if (c === QUOTE) return i + 1
    if (c === 0x5c) {
      sawEscape = true
      if (i + 1 >= e) return -1
      const n = b[i + 1]!
      if (n === 0x75) {
        if (i + 5 >= e || !isHex(b[i + 2]) || !isHex(b[i + 3]) || !isHex(b[i + 4]) || !isHex(b[i + 5])) return -1
        i += 6
      } else if (
        n === QUOTE ||
        n === 0x5c ||
        n === 0x2f ||
        n === 0x62 ||
        n === 0x66 ||
        n === 0x6e ||
        n === 0x72 ||
        n === 0x74
      ) {
        i += 2
      } else {
        return -1
      }
    } else if (c < 0x20) {
      return -1
    } else {
      i++
    }
  }

  return -1
}

function skipNumber(b: Buffer, i: number, e: number): number {
  if (b[i] === 0x2d) i++
  if (i >= e) return -1
  if (b[i] === 0x30) i++
  else if (b[i]! >= 0x31 && b[i]! <= 0x39) while (i < e && isDigit(b[i])) i++
  else return -1
  if (i < e && b[i] === 0x2e) {
    i++
    if (i >= e || !isDigit(b[i])) return -1
    while (i < e && isDigit(b[i])) i++
  }

  if (i < e && (b[i] === 0x65 || b[i] === 0x45)) {
    i++
    if (i < e && (b[i] === 0x2b || b[i] === 0x2d)) i++
    if (i >= e || !isDigit(b[i])) return -1
    while (i < e && isDigit(b[i])) i++
  }

  return i
}

function skipWord(b: Buffer, i: number, e: number, word: Buffer): number {
  if (i + word.length > e) return -1
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word[k]) return -1
  return i + word.length
}

const TRUE = Buffer.from('true')
const FALSE = Buffer.from('false')
const NULL = Buffer.from('null')

function skipValue(b: Buffer, i: number, e: number, depth: number): number {
  if (i >= e) return -1
  const c = b[i]!
  if (c === QUOTE) return skipString(b, i, e)
  if (c === 0x7b) return skipObject(b, i, e, depth + 1, false)
  if (c === 0x5b) return skipArray(b, i, e, depth + 1)
  if (c === 0x74) return skipWord(b, i, e, TRUE)
  if (c === 0x66) return skipWord(b, i, e, FALSE)
  if (c === 0x6e) return skipWord(b, i, e, NULL)
  if (c === 0x2d || isDigit(c)) return skipNumber(b, i, e)
  return -1
}

function skipArray(b: Buffer, i: number, e: number, depth: number): number {
  if (depth > MAX_DEPTH) {
    needParse = true
    return -1
  }

  i = skipWs(b, i + 1, e)
  if (i < e && b[i] === 0x5d) return i + 1
  for (;;) {
    i = skipValue(b, i, e, depth)
    if (i < 0) return -1
    i = skipWs(b, i, e)
    if (i >= e) return -1
    if (b[i] === 0x2c) i = skipWs(b, i + 1, e)
    else if (b[i] === 0x5d) return i + 1
    else return -1
  }
}

function keyIs(b: Buffer, ks: number, ke: number, key: Buffer): boolean {
  if (ke - ks !== key.length) return false
  for (let k = 0; k < key.length; k++) if (b[ks + k] !== key[k]) return false
  return true
}

const KEY_EVENT = Buffer.from('event')
const KEY_TS = Buffer.from('ts')
const KEY_DURATION = Buffer.from('duration_ms')

function skipObject(b: Buffer, i: number, e: number, depth: number, top: boolean): number {
  if (depth > MAX_DEPTH) {
    needParse = true
    return -1
  }

  i = skipWs(b, i + 1, e)
  if (i < e && b[i] === 0x7d) return i + 1
  for (;;) {
    if (i >= e || b[i] !== QUOTE) return -1
    const ks = i + 1
    sawEscape = false
    i = skipString(b, i, e)
    if (i < 0) return -1
    const ke = i - 1
    const keyEscaped = sawEscape
    i = skipWs(b, i, e)
    if (i >= e || b[i] !== 0x3a) return -1
    i = skipWs(b, i + 1, e)
    const vs = i
    sawEscape = false
    i = skipValue(b, i, e, depth)
    if (i < 0) return -1
    if (top) {
      // An escaped key may spell one of ours (`"ev\u0065nt"`); JSON.parse settles that.
      if (keyEscaped) needParse = true
      // A key seen again replaces the earlier value, as in JSON.parse.
      else if (keyIs(b, ks, ke, KEY_EVENT)) {
        if (b[vs] === QUOTE && sawEscape) needParse = true
        found.eventStart = b[vs] === QUOTE ? vs + 1 : -1
        found.eventEnd = i - 1
      } else if (keyIs(b, ks, ke, KEY_TS)) {
        if (b[vs] === QUOTE && sawEscape) needParse = true
        found.tsStart = b[vs] === QUOTE ? vs + 1 : -1
        found.tsEnd = i - 1
      } else if (keyIs(b, ks, ke, KEY_DURATION)) {
        const c = b[vs]!
        found.durStart = c === 0x2d || isDigit(c) ? vs : -1
        found.durEnd = i
      }
    }

    i = skipWs(b, i, e)
    if (i >= e) return -1
    if (b[i] === 0x2c) i = skipWs(b, i + 1, e)
    else if (b[i] === 0x7d) return i + 1
    else return -1
  }
}

/** SCAN_OK (fields in `found`), SCAN_INVALID (JSON.parse would throw, or not an object), or SCAN_FALLBACK. */
function scanLine(b: Buffer, s: number, e: number): number {
  found.eventStart = -1
  found.tsStart = -1
  found.durStart = -1
  needParse = false
  let i = skipWs(b, s, e)
  if (i >= e || b[i] !== 0x7b) return needParse ? SCAN_FALLBACK : SCAN_INVALID
  i = skipObject(b, i, e, 0, true)
  if (needParse) return SCAN_FALLBACK
  if (i < 0) return SCAN_INVALID
  return skipWs(b, i, e) === e ? SCAN_OK : SCAN_INVALID
}

/** What the scanner makes of a line, for tests: 'invalid', 'fallback', or the fields it found. */
export function scanAuditLine(
  line: string,
): 'fallback' | 'invalid' | {duration_ms?: number; event?: string; ts?: string} {
  const b = Buffer.from(line)
  const r = scanLine(b, 0, b.length)
  if (r === SCAN_INVALID) return 'invalid'
  if (r === SCAN_FALLBACK) return 'fallback'
  const out: {duration_ms?: number; event?: string; ts?: string} = {}
  if (found.eventStart >= 0) out.event = decode(b, found.eventStart, found.eventEnd)
  if (found.tsStart >= 0) out.ts = decode(b, found.tsStart, found.tsEnd)
  if (found.durStart >= 0) out.duration_ms = Number(decode(b, found.durStart, found.durEnd))
  return out
}

/** Event names repeat on every line: compare bytes with the names seen so far instead of decoding each. */
class EventNames {
  private names: Array<{bytes: Buffer; name: string}> = []

  get(b: Buffer, start: number, end: number): string {
    const len = end - start
    outer: for (const known of this.names) {
      if (known.bytes.length !== len) continue
      for (let k = 0; k < len; k++) if (known.bytes[k] !== b[start + k]) continue outer
      return known.name
    }

    const name = decode(b, start, end)
    // A log with endless distinct names must not make this list (and each lookup) grow without end.
    if (this.names.length < 64) this.names.push({bytes: Buffer.from(b.subarray(start, end)), name})
    return name
  }
}

/** The stats accumulator shared by the fast scan and the JSON.parse path. */
class StatsTally {
  readonly durations = new NumberSample()
  readonly events = new Map<string, number>()
  firstTs: null | string = null
  lastTs: null | string = null
  matched = 0
  skipped = 0

  add(event: string, duration: unknown): void {
    this.matched++
    this.events.set(event, (this.events.get(event) ?? 0) + 1)
    if (event === 'command_executed' && typeof duration === 'number' && Number.isFinite(duration))
      this.durations.add(duration)
  }

  result(missing: boolean): AuditStats {
    return {
      matched: this.matched,
      skipped_lines: this.skipped,
      missing,
      events: Object.fromEntries([...this.events].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
      first_ts: this.firstTs,
      last_ts: this.lastTs,
      duration_ms: this.durations.summary(),
    }
  }
}

/** The scanner's path: every filter but grep and limit, which take the JSON.parse path. */
async function fastStats(handle: FileHandle, filter: AuditFilter, chunkSize: number): Promise<StatsTally> {
  const tally = new StatsTally()
  const events = filter.events && filter.events.length > 0 ? new Set(filter.events) : undefined
  const {since, until} = filter
  const timed = since !== undefined || until !== undefined
  const needles = needlesFor(filter)
  const parseTest = compile(filter)
  const names = new EventNames()
  await readForward(handle, chunkSize, (region) => {
    // The latest matching ts is decoded once per chunk, not once per line.
    let lastTsStart = -1
    let lastTsEnd = -1
    forEachCandidate(region, needles, (s, e) => {
      const end = lineEnd(region, s, e)
      if (end === s) return
      const r = scanLine(region, s, end)
      if (r === SCAN_INVALID) {
        tally.skipped++
        return
      }

      if (r === SCAN_FALLBACK) {
        const entry = parseTest(region, s, end)
        if (entry === undefined) tally.skipped++
        else if (entry !== null) {
          tally.add(entry.event, entry.duration_ms)
          if (typeof entry.ts === 'string') {
            tally.firstTs ??= entry.ts
            tally.lastTs = entry.ts
            lastTsStart = -1
          }
        }

        return
      }

      if (found.eventStart < 0) {
        tally.skipped++
        return
      }

      const event = names.get(region, found.eventStart, found.eventEnd)
      if (events && !events.has(event)) return
      if (timed) {
        const at = found.tsStart < 0 ? Number.NaN : auditTsMs(decode(region, found.tsStart, found.tsEnd))
        if (Number.isNaN(at) || (since !== undefined && at < since) || (until !== undefined && at >= until)) return
      }

      tally.add(
        event,
        found.durStart >= 0 && event === 'command_executed'
          ? Number(decode(region, found.durStart, found.durEnd))
          : undefined,
      )
      if (found.tsStart >= 0) {
        tally.firstTs ??= decode(region, found.tsStart, found.tsEnd)
        lastTsStart = found.tsStart
        lastTsEnd = found.tsEnd
      }
    })
    if (lastTsStart >= 0) tally.lastTs = decode(region, lastTsStart, lastTsEnd)
  })
  return tally
}

/**
 * Counts and `duration_ms` statistics over the matching lines (`hub audit --stats`). `exact: true`
 * forces the JSON.parse path (tests compare the two).
 */
export async function auditStats(
  path: string,
  filter: AuditFilter,
  hooks: Omit<ScanHooks, 'afterChunk'> & {exact?: boolean} = {},
): Promise<AuditStats> {
  if (!hooks.exact && filter.grep === undefined && filter.limit === undefined) {
    const handle = await openIfExists(path)
    if (!handle) return new StatsTally().result(true)
    try {
      return (await fastStats(handle, filter, hooks.chunkSize ?? DEFAULT_CHUNK)).result(false)
    } finally {
      await handle.close()
    }
  }

  const tally = new StatsTally()
  const summary = await queryAudit(
    path,
    filter,
    (entry) => {
      tally.add(entry.event, entry.duration_ms)
      if (typeof entry.ts === 'string') {
        tally.firstTs ??= entry.ts
        tally.lastTs = entry.ts
      }
    },
    hooks,
  )
  tally.skipped = summary.skipped_lines
  return tally.result(summary.missing)
}

/**
 * Writes a JSON array of raw lines to a stream in large chunks, waiting for the reader when the
 * stream asks (backpressure), so a 180 MB answer never becomes one string and never floods memory.
 */
export class JsonArrayWriter {
  private buf: Buffer
  private count = 0
  private pending: Buffer[] = []
  private used = 0

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly chunkSize = DEFAULT_CHUNK,
  ) {
    this.buf = Buffer.allocUnsafe(chunkSize)
    this.put(Buffer.from('['))
  }

  /** Copies `bytes[start, end)` (they may live in a reused buffer). */
  add(bytes: Buffer, start = 0, end = bytes.length): void {
    // Room for the separator too, so it can be stored byte by byte (cheaper than a copy call).
    if (this.used + 2 > this.buf.length) this.cut()
    if (this.count > 0) this.buf[this.used++] = 0x2c // ,
    this.buf[this.used++] = NL
    this.put(bytes, start, end)
    this.count++
  }

  async end(): Promise<void> {
    this.put(this.count === 0 ? CLOSE_EMPTY : CLOSE)
    await this.flush(true)
  }

  /** Sends what is buffered once a chunk's worth has built up (or always, with force). */
  async flush(force = false): Promise<void> {
    if (force || this.used >= this.chunkSize / 2) this.cut()
    for (const b of this.pending.splice(0)) {
      if (!this.out.write(b)) await new Promise<void>((resolve) => this.out.once('drain', resolve))
    }
  }

  private cut(): void {
    if (this.used === 0) return
    this.pending.push(this.buf.subarray(0, this.used))
    // A fresh buffer: the stream may still hold the old one until it is written.
    this.buf = Buffer.allocUnsafe(this.chunkSize)
    this.used = 0
  }

  private put(bytes: Buffer, start = 0, end = bytes.length): void {
    const n = end - start
    if (this.used + n > this.buf.length) this.cut()
    if (n > this.buf.length) {
      this.pending.push(Buffer.from(bytes.subarray(start, end)))
      return
    }

    // set() on a view warms up faster than Buffer#copy, which matters for a one-shot CLI run.
    this.buf.set(bytes.subarray(start, end), this.used)
    this.used += n
  }
}

const CLOSE = Buffer.from('\n]\n')
const CLOSE_EMPTY = Buffer.from(']\n')
