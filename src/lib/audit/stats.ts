/**
 * `hub audit --stats` (SPEC §7.4): counts per event and exact `duration_ms` statistics over the
 * matching lines. Percentiles are exact, so every value is kept: one float64 each in a growing typed
 * array — 8 bytes a value, about 8 MB for a million executions — rather than a JS array of boxed
 * numbers or an approximate sketch, because an operator comparing the figures with jq expects the same.
 *
 * The fast path reads each line with the validating scanner (json-scan.ts) and never builds an
 * object; a `--grep`, `--agent` or `--limit` takes the JSON.parse path of query.ts. Both give the same
 * answers (the tests compare them). On a large log the fast path splits the file at line starts and
 * scans the parts on all cores (stats-worker.ts), then adds the parts up in file order, so the figures
 * are the same to the last bit as a scan in one piece.
 */
import type {FileHandle} from 'node:fs/promises'

import {existsSync} from 'node:fs'
import {availableParallelism} from 'node:os'
import {fileURLToPath} from 'node:url'

import {parseEntry} from './entry.js'
import {bytesAt, createLineScanner, NUMBER, SCAN_FALLBACK, SCAN_INVALID, STRING} from './json-scan.js'
import {type AuditFilter, eachCandidate, entryMatches, needlesFor, queryAudit, type ScanSummary} from './query.js'
import {DEFAULT_CHUNK, forwardRegions, NL, openIfExists} from './reader.js'
import {auditTsMs} from './time-range.js'

export interface Summary {
  /** null when there were no values. */
  average: null | number
  count: number
  max: null | number
  min: null | number
  p50: null | number
  p95: null | number
  p99: null | number
  total: number
}

export class NumberSample {
  private n = 0
  private sum = 0
  private values = new Float64Array(1024)

  get count(): number {
    return this.n
  }

  add(value: number): void {
    if (this.n === this.values.length) {
      const grown = new Float64Array(this.values.length * 2)
      grown.set(this.values)
      this.values = grown
    }

    this.values[this.n++] = value
    this.sum += value
  }

  /** Adds each value in order (so the sum is the same as adding them one by one). */
  addAll(values: Float64Array): void {
    for (const v of values) this.add(v)
  }

  /** The values so far, in the order they were added (a copy). */
  copy(): Float64Array {
    return this.values.slice(0, this.n)
  }

  /**
   * Nearest-rank percentiles: p95 is the smallest value that at least 95% of the values are at or
   * below, so it is always a value that was actually seen.
   */
  summary(): Summary {
    const {n} = this
    if (n === 0) return {count: 0, average: null, min: null, p50: null, p95: null, p99: null, max: null, total: 0}
    // A typed array sorts numerically (a plain array would sort as strings).
    const sorted = this.values.subarray(0, n).sort()
    const rank = (p: number): number => sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]!
    return {
      count: n,
      average: this.sum / n,
      min: sorted[0]!,
      p50: rank(0.5),
      p95: rank(0.95),
      p99: rank(0.99),
      max: sorted[n - 1]!,
      total: this.sum,
    }
  }
}

export interface AuditStats extends ScanSummary {
  /** Over the matching `command_executed` lines that carry a numeric `duration_ms`. */
  duration_ms: Summary
  /** Matching lines per event, most frequent first. */
  events: Record<string, number>
  first_ts: null | string
  last_ts: null | string
}

/** Event names repeat on every line: compare bytes with the names seen so far instead of decoding each. */
class EventNames {
  private names: Array<{bytes: Buffer; name: string}> = []

  get(b: Buffer, start: number, end: number): string {
    for (const known of this.names) if (bytesAt(b, start, end, known.bytes)) return known.name

    const name = b.toString('utf8', start, end)
    // A log with endless distinct names must not make this list (and each lookup) grow without end.
    if (this.names.length < 64) this.names.push({bytes: Buffer.from(b.subarray(start, end)), name})
    return name
  }
}

/** The accumulator shared by both paths. */
export class StatsTally {
  readonly durations = new NumberSample()
  readonly events = new Map<string, number>()
  firstTs: null | string = null
  lastTs: null | string = null
  matched = 0
  skipped = 0

  add(event: string, duration: unknown, ts: unknown): void {
    this.matched++
    this.events.set(event, (this.events.get(event) ?? 0) + 1)
    if (event === 'command_executed' && typeof duration === 'number' && Number.isFinite(duration))
      this.durations.add(duration)
    if (typeof ts === 'string') {
      this.firstTs ??= ts
      this.lastTs = ts
    }
  }

  result(path: string, missing: boolean): AuditStats {
    return {
      matched: this.matched,
      skipped_lines: this.skipped,
      missing,
      path,
      events: Object.fromEntries([...this.events].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
      first_ts: this.firstTs,
      last_ts: this.lastTs,
      duration_ms: this.durations.summary(),
    }
  }
}

const K_EVENT = 0
const K_TS = 1
const K_DURATION = 2
const K_CLIENT = 3

/** The part of the fast path's filter that crosses to a worker (plain data). */
export interface RangeFilter {
  clients?: readonly string[] | undefined
  events?: readonly string[] | undefined
  since?: number | undefined
  until?: number | undefined
}

/** One part's figures, to be added up in file order. */
export interface RangeStats {
  durations: Float64Array
  events: Array<[string, number]>
  firstTs: null | string
  lastTs: null | string
  matched: number
  skipped: number
}

/** The scanner's path over `[from, to)` of the file (both line starts): every filter but grep, agent and limit. */
export async function statsOfRange(
  handle: FileHandle,
  filter: RangeFilter,
  range: {chunkSize: number; from: number; to?: number},
): Promise<RangeStats> {
  const tally = new StatsTally()
  const events = filter.events && filter.events.length > 0 ? new Set(filter.events) : undefined
  const {since, until} = filter
  const timed = since !== undefined || until !== undefined
  const clients = filter.clients && filter.clients.length > 0 ? filter.clients : undefined
  const needles = needlesFor(filter)
  const scanner = createLineScanner(clients ? ['event', 'ts', 'duration_ms', 'client'] : ['event', 'ts', 'duration_ms'])
  const names = new EventNames()
  for await (const region of forwardRegions(handle, range)) {
    const b = region.buf
    // The latest matching ts is decoded once per region, not once per line.
    let lastTsStart = -1
    let lastTsEnd = -1
    eachCandidate(region, needles, (s, e) => {
      const r = scanner.scan(b, s, e)
      if (r === SCAN_INVALID) {
        tally.skipped++
        return
      }

      if (r === SCAN_FALLBACK) {
        const entry = parseEntry(b, s, e)
        if (!entry) tally.skipped++
        else if (entryMatches(filter, entry, events)) {
          tally.add(entry.event, entry.duration_ms, entry.ts)
          if (typeof entry.ts === 'string') lastTsStart = -1
        }

        return
      }

      if (scanner.kind[K_EVENT] !== STRING) {
        tally.skipped++
        return
      }

      const event = scanner.escaped[K_EVENT]
        ? scanner.string(b, K_EVENT)!
        : names.get(b, scanner.start[K_EVENT]!, scanner.end[K_EVENT]!)
      if (events && !events.has(event)) return
      if (clients && !clients.includes(scanner.string(b, K_CLIENT) as string)) return
      const tsIsString = scanner.kind[K_TS] === STRING
      if (timed) {
        const at = tsIsString ? auditTsMs(scanner.string(b, K_TS)) : Number.NaN
        if (Number.isNaN(at) || (since !== undefined && at < since) || (until !== undefined && at >= until)) return
      }

      tally.matched++
      tally.events.set(event, (tally.events.get(event) ?? 0) + 1)
      if (event === 'command_executed' && scanner.kind[K_DURATION] === NUMBER) {
        const d = scanner.number(b, K_DURATION)!
        if (Number.isFinite(d)) tally.durations.add(d)
      }

      if (tsIsString) {
        tally.firstTs ??= scanner.string(b, K_TS)!
        if (scanner.escaped[K_TS]) {
          tally.lastTs = scanner.string(b, K_TS)!
          lastTsStart = -1
        } else {
          lastTsStart = scanner.start[K_TS]!
          lastTsEnd = scanner.end[K_TS]!
        }
      }
    })
    if (lastTsStart >= 0) tally.lastTs = b.toString('utf8', lastTsStart, lastTsEnd)
  }

  return {
    matched: tally.matched,
    skipped: tally.skipped,
    events: [...tally.events],
    durations: tally.durations.copy(),
    firstTs: tally.firstTs,
    lastTs: tally.lastTs,
  }
}

/** Below this size one thread is quicker than starting others. */
const PARALLEL_MIN_BYTES = 48 << 20
const MAX_PARTS = 4

/** Where the line that holds byte `at` ends: the start of the next line (or the file's end). */
async function nextLineStart(handle: FileHandle, at: number, size: number): Promise<number> {
  const probe = Buffer.allocUnsafe(64 << 10)
  for (let pos = at; pos < size; pos += probe.length) {
    const {bytesRead} = await handle.read(probe, 0, probe.length, pos)
    const nl = probe.subarray(0, bytesRead).indexOf(NL)
    if (nl !== -1) return pos + nl + 1
    if (bytesRead === 0) break
  }

  return size
}

/** `parts` ranges of about equal size, each starting at a line start. */
export async function splitAtLines(handle: FileHandle, size: number, parts: number): Promise<number[]> {
  const bounds = [0]
  for (let k = 1; k < parts; k++) {
    const at = await nextLineStart(handle, Math.floor((size * k) / parts) - 1, size)
    if (at > bounds.at(-1)! && at < size) bounds.push(at)
  }

  bounds.push(size)
  return bounds
}

/** The figures of the parts, added up in file order. */
function merge(parts: RangeStats[]): StatsTally {
  const tally = new StatsTally()
  for (const p of parts) {
    tally.matched += p.matched
    tally.skipped += p.skipped
    for (const [event, n] of p.events) tally.events.set(event, (tally.events.get(event) ?? 0) + n)
    tally.durations.addAll(p.durations)
    tally.firstTs ??= p.firstTs
    if (p.lastTs !== null) tally.lastTs = p.lastTs
  }

  return tally
}

const WORKER = new URL('stats-worker.js', import.meta.url)

/** A part scanned by a worker thread; if one cannot be started, by this thread instead. */
async function inWorker(
  handle: FileHandle,
  path: string,
  filter: RangeFilter,
  range: {chunkSize: number; from: number; to: number},
  onPart: StatsOptions['onPart'],
): Promise<RangeStats> {
  const {Worker} = await import('node:worker_threads')
  try {
    const part = await new Promise<RangeStats>((resolve, reject) => {
      const worker = new Worker(WORKER, {workerData: {path, filter, range}})
      worker.once('message', (p: RangeStats) => resolve(p))
      worker.once('error', reject)
      worker.once('exit', (code) => reject(new Error(`the stats worker exited with ${code}`)))
    })
    onPart?.('worker')
    return part
  } catch {
    onPart?.('worker failed')
    return statsOfRange(handle, filter, range)
  }
}

export interface StatsOptions {
  chunkSize?: number
  /** Force the JSON.parse path (tests compare the two). */
  exact?: boolean
  /** Told where each part was scanned (tests check that workers really ran). */
  onPart?: (where: 'here' | 'worker' | 'worker failed') => void
  /** Split a log of at least this many bytes across threads (default 48 MiB). */
  parallelFrom?: number
  /** How many parts (default: one per core, at most 4). */
  parts?: number
}

async function fastStats(path: string, filter: AuditFilter, opts: StatsOptions): Promise<AuditStats> {
  const handle = await openIfExists(path)
  if (!handle) return new StatsTally().result(path, true)
  const plain: RangeFilter = {events: filter.events, since: filter.since, until: filter.until, clients: filter.clients}
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK
  try {
    const {size} = await handle.stat()
    const parts = opts.parts ?? Math.min(MAX_PARTS, availableParallelism())
    if (size < (opts.parallelFrom ?? PARALLEL_MIN_BYTES) || parts < 2) {
      opts.onPart?.('here')
      return merge([await statsOfRange(handle, plain, {chunkSize, from: 0})]).result(path, false)
    }

    // Workers run the built JavaScript; from the TypeScript sources (tests) every part runs here.
    const threads = existsSync(fileURLToPath(WORKER))
    const bounds = await splitAtLines(handle, size, parts)
    const ranged = await Promise.all(
      bounds.slice(1).map((to, k) => {
        const range = {chunkSize, from: bounds[k]!, to}
        if (k > 0 && threads) return inWorker(handle, path, plain, range, opts.onPart)
        opts.onPart?.('here')
        return statsOfRange(handle, plain, range)
      }),
    )
    return merge(ranged).result(path, false)
  } finally {
    await handle.close()
  }
}

/** Counts and `duration_ms` statistics over the matching lines (`hub audit --stats`). */
export async function auditStats(path: string, filter: AuditFilter, opts: StatsOptions = {}): Promise<AuditStats> {
  const agents = filter.agents && filter.agents.length > 0
  if (!opts.exact && filter.grep === undefined && filter.limit === undefined && !agents) {
    return fastStats(path, filter, opts)
  }

  const tally = new StatsTally()
  const summary = await queryAudit(path, filter, (entry) => tally.add(entry.event, entry.duration_ms, entry.ts), {
    chunkSize: opts.chunkSize,
  })
  tally.skipped = summary.skipped_lines
  return tally.result(path, summary.missing)
}
