import {describe, expect, it} from 'vitest'

import {formatDuration, formatSeconds} from './duration.js'

describe('formatDuration', () => {
  it('shows the largest two units that matter, from milliseconds to days', () => {
    const cases: Array<[number, string]> = [
      [0, '0 ms'],
      [0.25, '0.3 ms'],
      [7, '7 ms'],
      [142.5, '143 ms'],
      [999.4, '999 ms'],
      [1000, '1.00 s'],
      [4256, '4.25 s'],
      [9999, '9.99 s'],
      [42_150, '42.1 s'],
      [59_960, '59.9 s'],
      [60_000, '1 min'],
      [241_800, '4 min 1 s'],
      [3_599_999, '59 min 59 s'],
      [3_600_000, '1 h'],
      [3_600_000 + 5 * 60_000 + 30_000, '1 h 5 min'],
      [86_400_000, '1 d'],
      [2 * 86_400_000 + 4 * 3_600_000 + 59 * 60_000, '2 d 4 h'],
    ]
    for (const [ms, shown] of cases) expect(formatDuration(ms), String(ms)).toBe(shown)
  })

  it('never shows a wrong or alarming value for what is not a duration', () => {
    for (const v of [Number.NaN, Number.POSITIVE_INFINITY, -1, null, undefined]) expect(formatDuration(v)).toBe('-')
  })

  it('counts whole seconds for a ticking counter, then minutes as usual', () => {
    expect(formatDuration(0, {wholeSeconds: true})).toBe('0 s')
    expect(formatDuration(7999, {wholeSeconds: true})).toBe('7 s')
    expect(formatDuration(65_400, {wholeSeconds: true})).toBe('1 min 5 s')
  })

  it('never grows shorter as time goes on (a counter only moves forward)', () => {
    let last = -1
    for (let ms = 0; ms < 3 * 86_400_000; ms = Math.ceil(ms * 1.07) + 1) {
      const shown = formatDuration(ms)
      const back = parseShown(shown)
      expect(back, shown).toBeGreaterThanOrEqual(last)
      expect(back, shown).toBeLessThanOrEqual(ms + 0.05)
      last = back
    }
  })
})

describe('formatSeconds', () => {
  it('reads uptime_seconds as the daemon sends it', () => {
    expect(formatSeconds(241.8)).toBe('4 min 1 s')
    expect(formatSeconds(0.4)).toBe('400 ms')
    expect(formatSeconds(undefined)).toBe('-')
  })
})

const UNIT: Record<string, number> = {ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000}

/** The milliseconds a shown duration stands for (the sum of its parts). */
function parseShown(shown: string): number {
  let total = 0
  for (const m of shown.matchAll(/([\d.]+) (ms|s|min|h|d)\b/g)) total += Number(m[1]) * UNIT[m[2]!]!
  return total
}
