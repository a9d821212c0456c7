import {describe, expect, it} from 'vitest'

import {messyLog, prng, TRICKY} from '../../../test/audit-fixtures.js'
import {createLineScanner, NUMBER, SCAN_FALLBACK, SCAN_INVALID, STRING} from './json-scan.js'

type Fields = 'fallback' | 'invalid' | {duration_ms?: number; event?: string; ts?: string}

/** What the scanner makes of a line: 'invalid', 'fallback', or the fields it found. */
function scanAuditLine(line: string): Fields {
  const scanner = createLineScanner(['event', 'ts', 'duration_ms'])
  const b = Buffer.from(line)
  const r = scanner.scan(b, 0, b.length)
  if (r === SCAN_INVALID) return 'invalid'
  if (r === SCAN_FALLBACK) return 'fallback'
  const out: {duration_ms?: number; event?: string; ts?: string} = {}
  if (scanner.kind[0] === STRING) out.event = scanner.string(b, 0)
  if (scanner.kind[1] === STRING) out.ts = scanner.string(b, 1)
  if (scanner.kind[2] === NUMBER) out.duration_ms = scanner.number(b, 2)
  return out
}

/** What JSON.parse says about the same line, in the scanner's terms. */
function reference(line: string): 'invalid' | {duration_ms?: number; event?: string; ts?: string} {
  let v: unknown
  try {
    v = JSON.parse(line)
  } catch {
    return 'invalid'
  }

  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'invalid'
  const o = v as Record<string, unknown>
  const out: {duration_ms?: number; event?: string; ts?: string} = {}
  if (typeof o.event === 'string') out.event = o.event
  if (typeof o.ts === 'string') out.ts = o.ts
  if (typeof o.duration_ms === 'number') out.duration_ms = o.duration_ms
  return out
}

describe('the line scanner', () => {
  it.each(TRICKY.map((l) => [l]))('agrees with JSON.parse on %j', (line) => {
    const got = scanAuditLine(line)
    const want = reference(line)
    // 'fallback' means "let JSON.parse decide", which is agreement by construction.
    if (got !== 'fallback') expect(got).toEqual(want)
  })

  it('sends escaped keys and deep nesting to JSON.parse, and decodes escaped values itself', () => {
    expect(scanAuditLine(String.raw`{"ev\u0065nt":"escaped key"}`)).toBe('fallback')
    expect(scanAuditLine(String.raw`{"event":"esc\u0061ped"}`)).toEqual({event: 'escaped'})
    expect(scanAuditLine('{"event":"x","deep":' + '['.repeat(100) + ']'.repeat(100) + '}')).toBe('fallback')
    expect(scanAuditLine(String.raw`{"event":"x","command":"esc\u0061ped is fine here"}`)).toEqual({event: 'x'})
  })

  it('agrees with JSON.parse on thousands of mutated lines', () => {
    const rnd = prng(11)
    const base = messyLog(9, 200)
      .split('\n')
      .filter((l) => l.startsWith('{'))
    const alphabet = [
      '"',
      '\\',
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      ' ',
      '\t',
      '0',
      '-',
      'e',
      '.',
      'u',
      'n',
      'x',
      '\u0001',
      'é',
    ]
    let checked = 0
    for (let round = 0; round < 4000; round++) {
      const chars = [...base[Math.floor(rnd() * base.length)]!]
      const edits = 1 + Math.floor(rnd() * 3)
      for (let k = 0; k < edits; k++) {
        const at = Math.floor(rnd() * chars.length)
        const r = rnd()
        if (r < 0.4) chars.splice(at, 1)
        else if (r < 0.8) chars.splice(at, 0, alphabet[Math.floor(rnd() * alphabet.length)]!)
        else chars[at] = alphabet[Math.floor(rnd() * alphabet.length)]!
      }

      const line = chars.join('')
      const got = scanAuditLine(line)
      if (got !== 'fallback') {
        expect(got, line).toEqual(reference(line))
        checked++
      }
    }

    expect(checked).toBeGreaterThan(3900)
  })

  it('finds a quote, backslash or control byte at any alignment (it reads strings four bytes at a time)', () => {
    const scanner = createLineScanner(['event'])
    const specials: Array<[string, 'invalid' | 'ok']> = [
      ['\u0001', 'invalid'],
      ['\u001F', 'invalid'],
      ['\t', 'invalid'],
      [String.raw`\n`, 'ok'],
      [String.raw`\u00e9`, 'ok'],
      [String.raw`\x`, 'invalid'],
      ['"', 'invalid'],
      ['\u007F', 'ok'],
      ['é', 'ok'],
    ]
    for (const [special, want] of specials) {
      for (let at = 0; at < 24; at++) {
        const value = 'a'.repeat(at) + special + 'b'.repeat(23 - at)
        const line = `{"event":"x","s":"${value}"}`
        for (let shift = 0; shift < 8; shift++) {
          // The line at every offset inside a bigger buffer, so the words start at every alignment.
          const big = Buffer.alloc(line.length * 2 + 16, 0x20)
          const bytes = Buffer.from(line)
          bytes.copy(big, shift)
          const view = big.subarray(shift % 4, -3)
          const start = shift - (shift % 4)
          const got = scanner.scan(view, start, start + bytes.length) === SCAN_INVALID ? 'invalid' : 'ok'
          expect(got, `${JSON.stringify(special)} at ${at}, shift ${shift}`).toBe(want)
          expect(reference(line) === 'invalid' ? 'invalid' : 'ok').toBe(want)
        }
      }
    }
  })
})
