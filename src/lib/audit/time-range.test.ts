import {afterEach, describe, expect, it} from 'vitest'

import {HubError} from '../errors.js'
import {
  auditTsMs,
  displayZone,
  formatTime,
  parseDuration,
  parseIsoUtc,
  parseTimeArg,
  parseTimeRange,
  zoneLabel,
} from './time-range.js'

const ORIGINAL_TZ = process.env.TZ

/** Node reads TZ again whenever it is assigned, so a test can move the machine's zone. */
function setZone(tz: string | undefined): void {
  if (tz === undefined) delete process.env.TZ
  else process.env.TZ = tz
}

afterEach(() => setZone(ORIGINAL_TZ))

const NOW = Date.UTC(2025, 0, 15, 14, 30, 0)

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['7d', 7 * 86_400_000],
    ['2w', 14 * 86_400_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['  2H ', 7_200_000],
  ])('%s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  it.each(['', '1', 'h', '1x', '-1h', '1 h', '1h-', 'm15'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined()
  })
})

describe('parseIsoUtc', () => {
  it.each([
    ['2025-01-15', Date.UTC(2025, 0, 15)],
    ['2025-01-15T14:30', Date.UTC(2025, 0, 15, 14, 30)],
    ['2025-01-15 14:30', Date.UTC(2025, 0, 15, 14, 30)],
    ['2025-01-15T14:30:22', Date.UTC(2025, 0, 15, 14, 30, 22)],
    ['2025-01-15T14:30:22Z', Date.UTC(2025, 0, 15, 14, 30, 22)],
    ['2025-01-15T14:30:22.456Z', Date.UTC(2025, 0, 15, 14, 30, 22, 456)],
    ['2025-01-15T14:31:22.123456', Date.UTC(2025, 0, 15, 14, 31, 22, 123)],
    ['2025-01-15T16:30:00+02:00', Date.UTC(2025, 0, 15, 14, 30)],
    ['2025-01-15T09:30:00-0500', Date.UTC(2025, 0, 15, 14, 30)],
    ['2024-02-29', Date.UTC(2024, 1, 29)],
  ])('%s', (text, ms) => {
    expect(parseIsoUtc(text)).toBe(ms)
  })

  it.each([
    '2025-02-30',
    '2025-13-01',
    '2025-01-15T24:00',
    '2025-01-15T14:60',
    '2025-1-15',
    '15/01/2025',
    'yesterday',
    '2025-01-15T14',
    '2023-02-29',
  ])('rejects %j', (text) => {
    expect(parseIsoUtc(text)).toBeUndefined()
  })
})

describe('parseTimeArg', () => {
  it('takes durations back from now', () => {
    expect(parseTimeArg('1h', '--since', NOW)).toBe(NOW - 3_600_000)
  })

  it('reads a time without a zone in the local zone, and one with a zone as it says', () => {
    setZone('Asia/Tokyo')
    expect(parseTimeArg('2025-01-15T23:30', '--since', NOW)).toBe(NOW)
    expect(parseTimeArg('2025-01-15', '--since', NOW)).toBe(Date.UTC(2025, 0, 14, 15, 0, 0))
    expect(parseTimeArg('2025-01-15T14:30Z', '--since', NOW)).toBe(NOW)
    expect(parseTimeArg('2025-01-15T15:30+01:00', '--since', NOW)).toBe(NOW)
    setZone('UTC')
    expect(parseTimeArg('2025-01-15T14:30', '--since', NOW)).toBe(NOW)
    setZone('America/New_York')
    expect(parseTimeArg('2025-01-15T09:30', '--since', NOW)).toBe(NOW)
    // In July New York is on daylight time (UTC-4).
    expect(parseTimeArg('2025-07-15T10:30', '--since', NOW)).toBe(Date.UTC(2025, 6, 15, 14, 30))
  })

  it('names the flag, the value and the accepted forms in a usage error', () => {
    let err: unknown
    try {
      parseTimeArg('last tuesday', '--until', NOW)
    } catch (error) {
      err = error
    }

    expect(err).toBeInstanceOf(HubError)
    const hubErr = err as HubError
    expect(hubErr.code).toBe('usage')
    expect(hubErr.exitCode).toBe(2)
    expect(hubErr.message).toContain('--until "last tuesday"')
    expect(hubErr.message).toContain('15m')
    expect(hubErr.message).toContain('2025-01-15T14:30')
  })
})

describe('parseTimeRange', () => {
  it('leaves missing ends open', () => {
    expect(parseTimeRange(undefined, undefined, NOW)).toEqual({since: undefined, until: undefined})
    expect(parseTimeRange('15m', undefined, NOW)).toEqual({since: NOW - 900_000, until: undefined})
  })

  it('refuses a range that ends before it starts', () => {
    expect(() => parseTimeRange('2025-01-16', '2025-01-15', NOW)).toThrow(
      /--since "2025-01-16" is not before --until "2025-01-15"/,
    )
  })
})

describe('auditTsMs', () => {
  it('reads hub timestamps and the original tool’s zone-less ones as UTC', () => {
    expect(auditTsMs('2025-01-15T14:31:22.000Z')).toBe(Date.UTC(2025, 0, 15, 14, 31, 22))
    expect(auditTsMs('2025-01-15T14:31:22')).toBe(Date.UTC(2025, 0, 15, 14, 31, 22))
    expect(auditTsMs('2025-01-15T14:31:22.5+01:00')).toBe(Date.UTC(2025, 0, 15, 13, 31, 22, 500))
  })

  it('is NaN for anything that is not a time', () => {
    expect(auditTsMs(undefined)).toBeNaN()
    expect(auditTsMs(1_705_329_082)).toBeNaN()
    expect(auditTsMs('soon')).toBeNaN()
  })
})

describe('display zone', () => {
  it('is UTC unless --local or TZ asks for local time, and says which', () => {
    expect(displayZone(false, {})).toBe('utc')
    expect(displayZone(true, {})).toBe('local')
    expect(displayZone(false, {TZ: 'Asia/Tokyo'})).toBe('local')
    expect(displayZone(false, {TZ: ''})).toBe('utc')
    setZone('Asia/Tokyo')
    expect(zoneLabel('local')).toBe('Asia/Tokyo')
    expect(zoneLabel('utc')).toBe('UTC')
    expect(formatTime(NOW, 'local')).toBe('2025-01-15 23:30:00')
    expect(formatTime(NOW, 'utc')).toBe('2025-01-15 14:30:00')
  })
})
