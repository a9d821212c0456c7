/**
 * `--since` / `--until` values (SPEC §7.2, §7.4): a duration back from now (`30s`, `15m`, `1h`, `7d`,
 * `2w`, or combined like `1h30m`) or an ISO date/time. Times without a zone are UTC, because every
 * time hub writes is UTC and an operator comparing against the log should not get a shift from the
 * machine's zone. Also parses the audit log's own `ts`, which the original tool wrote without a zone.
 */
import {HubError} from './errors.js'

const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

const DURATION = /^(?:\d+(?:\.\d+)?[smhdw])+$/
const DURATION_PART = /(\d+(?:\.\d+)?)([smhdw])/g

// Date, optional time (T or one space), optional fraction, optional zone.
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i

const ACCEPTED =
  'use a duration back from now such as 30s, 15m, 1h, 7d, 2w (or 1h30m), or an ISO date/time such as 2025-01-15, ' +
  '2025-01-15T14:30 or 2025-01-15T14:30:00Z (UTC unless it ends in Z or an offset like +02:00)'

/** Milliseconds in a duration such as `15m` or `1h30m`; undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim().toLowerCase()
  if (!DURATION.test(t)) return undefined
  let ms = 0
  for (const m of t.matchAll(DURATION_PART)) ms += Number(m[1]) * UNIT_MS[m[2]!]!
  return ms
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

/** Epoch milliseconds of an ISO date/time (no zone = UTC); undefined when it is not a valid one. */
export function parseIsoUtc(text: string): number | undefined {
  const m = ISO.exec(text.trim())
  if (!m) return undefined
  const [, y, mo, d, h, mi, s, frac, zone] = m
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  const hour = h === undefined ? 0 : Number(h)
  const minute = mi === undefined ? 0 : Number(mi)
  const second = s === undefined ? 0 : Number(s)
  // Date.UTC would roll 2025-02-30 over into March; a typo should be an error instead.
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined
  if (hour > 23 || minute > 59 || second > 59) return undefined
  const ms = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000)
  let at = Date.UTC(year, month - 1, day, hour, minute, second, ms)
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1
    const digits = zone.slice(1).replace(':', '')
    const offH = Number(digits.slice(0, 2))
    const offM = Number(digits.slice(2, 4))
    if (offH > 23 || offM > 59) return undefined
    at -= sign * (offH * 60 + offM) * 60_000
  }

  return at
}

/**
 * Parses a `--since`/`--until` value into epoch milliseconds. `flag` names the flag in the error, so
 * the person sees which of the two values was wrong.
 */
export function parseTimeArg(value: string, flag: string, now: number = Date.now()): number {
  const duration = parseDuration(value)
  if (duration !== undefined) return now - duration
  const at = parseIsoUtc(value)
  if (at !== undefined) return at
  throw new HubError('usage', `${flag} ${JSON.stringify(value)} is not a time: ${ACCEPTED}.`, {details: {field: flag}})
}

export interface TimeRange {
  /** Inclusive lower bound, epoch ms. */
  since?: number | undefined
  /** Exclusive upper bound, epoch ms: `--since 2025-01-15 --until 2025-01-16` is exactly one day. */
  until?: number | undefined
}

export function parseTimeRange(
  since: string | undefined,
  until: string | undefined,
  now: number = Date.now(),
): TimeRange {
  const range: TimeRange = {
    since: since === undefined ? undefined : parseTimeArg(since, '--since', now),
    until: until === undefined ? undefined : parseTimeArg(until, '--until', now),
  }
  if (range.since !== undefined && range.until !== undefined && range.since >= range.until) {
    throw new HubError(
      'usage',
      `--since ${JSON.stringify(since)} is not before --until ${JSON.stringify(until)}: no line could match.`,
      {details: {field: '--since'}},
    )
  }

  return range
}

/**
 * Epoch ms of an audit `ts`, NaN when it is not a time. hub writes `…Z`; the original tool wrote
 * `2025-01-15T14:31:22` (sometimes with microseconds) and no zone, which is read as UTC (SPEC §3).
 */
export function auditTsMs(ts: unknown): number {
  if (typeof ts !== 'string') return Number.NaN
  // The common case, kept cheap: Date.parse handles hub's own `toISOString()` form.
  if (ts.endsWith('Z')) {
    const at = Date.parse(ts)
    if (!Number.isNaN(at)) return at
  }

  // Not Date.parse: it would read a time without a zone as local time.
  return parseIsoUtc(ts) ?? Number.NaN
}
