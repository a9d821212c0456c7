/**
 * Times for people (SPEC §7.2, §7.4, issue 13): `--since` / `--until` values are a duration back from
 * now (`30s`, `15m`, `1h`, `7d`, `2w`, or combined like `1h30m`) or an ISO date/time; one without a
 * zone is read in the local zone (`TZ`), as a person types a time from their clock. Tables show UTC
 * unless asked for local time (`--local`, or `TZ` set), and say which.
 *
 * The audit log's own `ts` is another matter: hub writes UTC with a `Z`, and the original tool wrote
 * no zone, which SPEC §3 reads as UTC.
 */
import {HubError} from '../errors.js'

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
  '2025-01-15T14:30 or 2025-01-15T14:30:00Z (local time unless it ends in Z or an offset like +02:00)'

/** Which clock a table shows and a zone-less time is read in. */
export type Zone = 'local' | 'utc'

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
  return parseIsoTime(text, 'utc')
}

/** Epoch milliseconds of an ISO date/time, reading one without a zone in `zoneless`; undefined when invalid. */
export function parseIsoTime(text: string, zoneless: Zone): number | undefined {
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
  // A local time in a daylight-saving gap does not exist; Date moves it forward, as a clock does.
  if (zone === undefined && zoneless === 'local')
    return new Date(year, month - 1, day, hour, minute, second, ms).getTime()
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
  const at = parseIsoTime(value, 'local')
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

const pad = (n: number): string => String(n).padStart(2, '0')

/** Tables show local time with `--local`, or when the environment sets `TZ`; UTC otherwise. */
export function displayZone(local: boolean | undefined, env: NodeJS.ProcessEnv = process.env): Zone {
  return local || (env.TZ !== undefined && env.TZ !== '') ? 'local' : 'utc'
}

/** The zone's name for a header: `UTC`, or the local zone (`Asia/Tokyo`, else its offset). */
export function zoneLabel(zone: Zone, at: Date = new Date()): string {
  if (zone === 'utc') return 'UTC'
  const name = new Intl.DateTimeFormat().resolvedOptions().timeZone
  if (name && name !== 'UTC' && name !== 'Etc/UTC') return name
  const offset = -at.getTimezoneOffset()
  if (offset === 0) return 'local, UTC'
  const abs = Math.abs(offset)
  return `local, UTC${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
}

/** `YYYY-MM-DD HH:MM:SS` of epoch ms in the zone. */
export function formatTime(ms: number, zone: Zone): string {
  const d = new Date(ms)
  if (zone === 'utc') return d.toISOString().slice(0, 19).replace('T', ' ')
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
  return `${date} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}
