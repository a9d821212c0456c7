/**
 * Filtering the audit log (`hub audit`, SPEC §7.4), built to stay close to a bare byte scan on a log
 * of millions of lines.
 *
 * - An event filter (`--blocked`, `--executed`, `--event`) is first a byte search for the quoted event
 *   name, so the scan jumps from hit to hit the way `grep -F` does and lines without the name are
 *   never looked at. A hit is only a candidate: the line is then checked and its `event` compared, so
 *   a command that merely mentions the name does not match. (Writers never escape the ASCII of an
 *   event name, so a real match always contains the quoted name.)
 * - Lines that are not audit entries (not JSON, not an object, no string `event`) are skipped and
 *   counted, never fatal; so is a last line without its newline that does not parse. Only lines
 *   that are looked at can be counted: with an event filter, that is the candidates.
 * - `limit` keeps the LAST N matching lines, in file order: the file is read backwards from its end
 *   and the scan stops once it has N, so `--limit 20` costs the same on a 2 GB log as on a small one.
 * - `queryAuditRaw` hands over the lines' bytes only and checks them with the validating scanner
 *   (json-scan.ts) instead of JSON.parse, for `--json`, whose output is the lines' own bytes.
 */
import type {FileHandle} from 'node:fs/promises'

import {type AuditLine, parseEntry} from './entry.js'
import {createLineScanner, type LineScanner, SCAN_FALLBACK, SCAN_INVALID, STRING} from './json-scan.js'
import {
  backwardRegions,
  DEFAULT_CHUNK,
  eachLine,
  eachLineReverse,
  forwardRegions,
  lineEnd,
  NL,
  openIfExists,
  type Region,
} from './reader.js'
import {auditTsMs} from './time-range.js'

export interface AuditFilter {
  /** Only these actors' token fingerprints (`actor.token`). */
  agents?: readonly string[] | undefined
  /** Only these clients (`client`). */
  clients?: readonly string[] | undefined
  /** Any of these events (empty or absent: every event). */
  events?: readonly string[] | undefined
  /** Tested against `command` and `command_full`; lines with neither as a string do not match. */
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
  /** The file that was read. */
  path: string
  /** Lines looked at that are not audit entries. */
  skipped_lines: number
}

/**
 * Called once per matching line, in file order. The line's bytes (without the newline) are
 * `buf[start, end)`; `buf` is reused, so copy them if they must outlive the call.
 */
export type EntryHandler = (entry: AuditLine, buf: Buffer, start: number, end: number) => void
export type LineHandler = (buf: Buffer, start: number, end: number) => void

export interface ScanHooks {
  /** Awaited after each region: the place to flush output and wait for the reader (backpressure). */
  afterChunk?: () => Promise<void> | void
  /** Read size; tests use small chunks to cross line boundaries. */
  chunkSize?: number
}

const QUOTE = 0x22
const MATCH = 1
const NO_MATCH = 0
const BAD = -1

/** Tests one line: MATCH, NO_MATCH or BAD; `parsed` holds the entry after a MATCH in parse mode. */
interface LineTest {
  parsed: AuditLine | undefined
  test(buf: Buffer, start: number, end: number): number
}

function inRange(filter: AuditFilter, ts: unknown): boolean {
  const at = auditTsMs(ts)
  // A line without a readable time cannot be said to fall inside a range.
  if (Number.isNaN(at)) return false
  if (filter.since !== undefined && at < filter.since) return false
  return filter.until === undefined || at < filter.until
}

function grepMatches(grep: RegExp, command: unknown, full: unknown): boolean {
  grep.lastIndex = 0
  if (typeof command === 'string' && grep.test(command)) return true
  grep.lastIndex = 0
  return typeof full === 'string' && full !== command && grep.test(full)
}

/** The filter on a parsed entry (everything but the event's byte search and the limit). */
export function entryMatches(filter: AuditFilter, entry: AuditLine, events = eventSet(filter)): boolean {
  if (events && !events.has(entry.event)) return false
  if ((filter.since !== undefined || filter.until !== undefined) && !inRange(filter, entry.ts)) return false
  if (filter.clients && filter.clients.length > 0 && !filter.clients.includes(entry.client as string)) return false
  if (filter.agents && filter.agents.length > 0) {
    const token = (entry.actor as undefined | {token?: unknown})?.token
    if (typeof token !== 'string' || !filter.agents.includes(token)) return false
  }

  return !filter.grep || grepMatches(filter.grep, entry.command, entry.command_full)
}

function eventSet(filter: AuditFilter): Set<string> | undefined {
  return filter.events && filter.events.length > 0 ? new Set(filter.events) : undefined
}

function parseTest(filter: AuditFilter): LineTest {
  const events = eventSet(filter)
  const t: LineTest = {
    parsed: undefined,
    test(buf, start, end) {
      const entry = parseEntry(buf, start, end)
      if (!entry) return BAD
      if (!entryMatches(filter, entry, events)) return NO_MATCH
      t.parsed = entry
      return MATCH
    },
  }
  return t
}

const K_EVENT = 0
const K_TS = 1
const K_COMMAND = 2
const K_FULL = 3
const K_CLIENT = 4

/** The raw path's test: the validating scanner, with JSON.parse only where the scanner defers to it. */
function scanTest(filter: AuditFilter): LineTest {
  // The actor's token is nested: a filter on it takes the JSON.parse path.
  if (filter.agents && filter.agents.length > 0) return parseTest(filter)
  const events = eventSet(filter)
  const eventBytes = events ? [...events].map((e) => Buffer.from(e)) : undefined
  const scanner: LineScanner = createLineScanner(['event', 'ts', 'command', 'command_full', 'client'])
  const fallback = parseTest(filter)
  const timed = filter.since !== undefined || filter.until !== undefined
  const clients = filter.clients && filter.clients.length > 0 ? filter.clients : undefined
  return {
    parsed: undefined,
    test(buf, start, end) {
      const status = scanner.scan(buf, start, end)
      if (status === SCAN_INVALID) return BAD
      if (status === SCAN_FALLBACK) return fallback.test(buf, start, end)
      if (scanner.kind[K_EVENT] !== STRING) return BAD
      if (eventBytes && !eventBytes.some((e) => scanner.stringIs(buf, K_EVENT, e))) return NO_MATCH
      if (timed && !inRange(filter, scanner.string(buf, K_TS))) return NO_MATCH
      if (clients && !clients.includes(scanner.string(buf, K_CLIENT) as string)) return NO_MATCH
      if (filter.grep) {
        const command = scanner.string(buf, K_COMMAND)
        const full = scanner.string(buf, K_FULL)
        if (!grepMatches(filter.grep, command, full)) return NO_MATCH
      }

      return MATCH
    },
  }
}

/**
 * The byte test for an event filter: the name and its closing quote, `command_blocked"`; a hit also
 * needs a quote just before it. Searching without the leading quote is several times faster
 * (Buffer#indexOf starts from the needle's first byte, and `"` is the commonest byte in JSON).
 */
export function needlesFor(filter: AuditFilter): Buffer[] {
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

/** Visits the lines of a region that contain a needle (every line without needles), in file order. */
export function eachCandidate(region: Region, needles: Buffer[], visit: (start: number, end: number) => void): void {
  if (needles.length === 0) {
    eachLine(region, visit)
    return
  }

  const {buf} = region
  const len = buf.length
  // Next hit of each needle at or after p; recomputed only once p passes it.
  const next = needles.map(() => -2)
  let p = 0
  while (p < len) {
    let hit = -1
    for (const [i, needle] of needles.entries()) {
      if (next[i]! !== -1 && next[i]! < p) next[i] = nextQuoted(buf, needle!, p)
      const h = next[i]!
      if (h >= 0 && (hit < 0 || h < hit)) hit = h
    }

    if (hit < 0) return
    const s = hit === 0 ? 0 : buf.lastIndexOf(NL, hit - 1) + 1
    let e = buf.indexOf(NL, hit)
    if (e < 0) e = len
    const stop = lineEnd(buf, s, e)
    if (stop > s) visit(s, stop)
    p = e + 1
  }
}

/** Same, newest line first; `visit` returns false to stop. Returns false when stopped. */
function eachCandidateReverse(
  region: Region,
  needles: Buffer[],
  visit: (start: number, end: number) => boolean,
): boolean {
  if (needles.length === 0) return eachLineReverse(region, visit)
  const {buf} = region
  // p: the end (exclusive, at a newline or the region end) of the part not yet visited.
  let p = buf.length
  const prev = needles.map(() => Number.MAX_SAFE_INTEGER)
  while (p > 0) {
    let hit = -1
    for (const [i, needle_] of needles.entries()) {
      const needle = needle_!
      // A hit (its quote at prev[i]) must end at or before p.
      if (prev[i]! !== -1 && prev[i]! + 1 + needle.length > p) prev[i] = prevQuoted(buf, needle, p - needle.length)
      const h = prev[i]!
      if (h > hit) hit = h
    }

    if (hit < 0) return true
    const s = hit === 0 ? 0 : buf.lastIndexOf(NL, hit - 1) + 1
    let e = buf.indexOf(NL, hit)
    if (e < 0 || e > p) e = p
    const stop = lineEnd(buf, s, e)
    if (stop > s && !visit(s, stop)) return false
    p = s - 1
    if (p < 0) return true
  }

  return true
}

async function scan(
  path: string,
  filter: AuditFilter,
  lineTest: LineTest,
  onMatch: (buf: Buffer, start: number, end: number) => void,
  hooks: ScanHooks,
): Promise<ScanSummary> {
  const handle = await openIfExists(path)
  const summary: ScanSummary = {matched: 0, skipped_lines: 0, missing: handle === undefined, path}
  if (!handle) return summary
  const needles = needlesFor(filter)
  try {
    await (filter.limit === undefined
      ? scanForward(handle, needles, lineTest, onMatch, summary, hooks)
      : scanLast(handle, filter.limit, needles, lineTest, onMatch, summary, hooks))
    return summary
  } finally {
    await handle.close()
  }
}

async function scanForward(
  handle: FileHandle,
  needles: Buffer[],
  lineTest: LineTest,
  onMatch: (buf: Buffer, start: number, end: number) => void,
  summary: ScanSummary,
  hooks: ScanHooks,
): Promise<void> {
  for await (const region of forwardRegions(handle, {chunkSize: hooks.chunkSize ?? DEFAULT_CHUNK})) {
    const {buf} = region
    eachCandidate(region, needles, (s, e) => {
      const r = lineTest.test(buf, s, e)
      if (r === BAD) summary.skipped_lines++
      else if (r === MATCH) {
        summary.matched++
        onMatch(buf, s, e)
      }
    })
    if (hooks.afterChunk) await hooks.afterChunk()
  }
}

async function scanLast(
  handle: FileHandle,
  limit: number,
  needles: Buffer[],
  lineTest: LineTest,
  onMatch: (buf: Buffer, start: number, end: number) => void,
  summary: ScanSummary,
  hooks: ScanHooks,
): Promise<void> {
  // Newest first while reading; handed over in file order. Parsed entries are kept with their bytes.
  const kept: Array<{entry: AuditLine | undefined; raw: Buffer}> = []
  if (limit > 0) {
    for await (const region of backwardRegions(handle, {chunkSize: hooks.chunkSize ?? DEFAULT_CHUNK})) {
      const {buf} = region
      const more = eachCandidateReverse(region, needles, (s, e) => {
        const r = lineTest.test(buf, s, e)
        if (r === BAD) summary.skipped_lines++
        else if (r === MATCH) kept.push({entry: lineTest.parsed, raw: Buffer.from(buf.subarray(s, e))})
        return kept.length < limit
      })
      if (!more) break
    }
  }

  for (let i = kept.length - 1; i >= 0; i--) {
    summary.matched++
    const {entry, raw} = kept[i]!
    lineTest.parsed = entry
    onMatch(raw, 0, raw.length)
  }

  if (hooks.afterChunk) await hooks.afterChunk()
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
  const lineTest = parseTest(filter)
  return scan(path, filter, lineTest, (buf, s, e) => onEntry(lineTest.parsed!, buf, s, e), hooks)
}

/** Same, bytes only: the lines are checked without building objects (for output of the lines as they are). */
export async function queryAuditRaw(
  path: string,
  filter: AuditFilter,
  onLine: LineHandler,
  hooks: ScanHooks = {},
): Promise<ScanSummary> {
  return scan(path, filter, scanTest(filter), onLine, hooks)
}
