import {HubError} from './errors.js'
/**
 * Ids are `YYYYMMDD_HHMMSS_<8 hex>` in UTC (SPEC §3): sorting names sorts by time, and the strict
 * pattern is what lets an id from outside become part of a path without any other escaping.
 * The first three hex digits are the milliseconds, so that ids made within one second still sort
 * in order; the other five are random.
 */
import {randomHex} from './random.js'

export const ID_PATTERN = /^\d{8}_\d{6}_[0-9a-f]{8}$/

export function newId(at: Date = new Date()): string {
  const iso = at.toISOString() // 2025-01-15T14:31:22.000Z
  const day = iso.slice(0, 10).replaceAll('-', '')
  const time = iso.slice(11, 19).replaceAll(':', '')
  const ms = at.getUTCMilliseconds().toString(16).padStart(3, '0')
  return `${day}_${time}_${ms}${randomHex(5)}`
}

export function isId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value)
}

/** Throws a 404-class error, not a 400: to a caller an id that cannot exist is simply not found. */
export function assertId(value: string, what = 'id'): string {
  if (!ID_PATTERN.test(value)) {
    throw new HubError(
      'not_found',
      `No ${what} ${JSON.stringify(value.slice(0, 80))}: ids look like 20250115_143122_e5f6a7b8.`,
      {
        details: {field: what},
      },
    )
  }

  return value
}

/** The whole second an id was made (epoch ms, UTC): a lower bound on when its run started. */
export function idSecond(id: string): number {
  return Date.UTC(
    Number(id.slice(0, 4)),
    Number(id.slice(4, 6)) - 1,
    Number(id.slice(6, 8)),
    Number(id.slice(9, 11)),
    Number(id.slice(11, 13)),
    Number(id.slice(13, 15)),
  )
}
