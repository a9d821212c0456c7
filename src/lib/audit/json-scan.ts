/**
 * A validating scanner for one JSON line: it checks the bytes against the JSON grammar, exactly as
 * strictly as JSON.parse, without building anything, and notes where a few top-level values are.
 * `--stats` and the raw query path need two or three fields of each line, and JSON.parse would build
 * the whole object, hashes and all: most of the time of a full scan.
 *
 * It is a recursive-descent scanner. Its inner loop, string contents (most of a line: hashes, ids,
 * commands), reads four bytes at a time as one 32-bit word and tests them together for a quote, a
 * backslash or a control character, the only bytes that end or complicate a string. (A table-driven
 * automaton was tried: its table load per byte depends on the previous one, and it ran slower.)
 *
 * What it cannot settle cheaply (an escaped top-level key, which may spell a wanted key, or nesting
 * past MAX_DEPTH) it reports as FALLBACK, for the caller to hand to JSON.parse, so its answers are
 * always JSON.parse's answers (the tests hold it to that). Only objects count as lines: any other
 * JSON value is INVALID. Escaped string values are fine: `string()` decodes them.
 *
 * All state lives in the object `createLineScanner` returns, so two scanners never share it.
 */

export const SCAN_INVALID = 0
export const SCAN_OK = 1
export const SCAN_FALLBACK = 2
export type ScanStatus = typeof SCAN_FALLBACK | typeof SCAN_INVALID | typeof SCAN_OK

/** What kind of value a wanted key had (the last time it appeared, as in JSON.parse). */
export const ABSENT = 0
export const STRING = 1
export const NUMBER = 2
export const OTHER = 3

const MAX_DEPTH = 64

export interface LineScanner {
  /** Value end per wanted key (exclusive; for a string, before its closing quote). */
  readonly end: Int32Array
  /** 1 when the string value of a wanted key has escapes (its bytes are not its text). */
  readonly escaped: Uint8Array
  /** Value kind per wanted key, in the order given (ABSENT, STRING, NUMBER, OTHER). */
  readonly kind: Uint8Array
  /** The number value of key `k`, or undefined when it is not a number. */
  number(b: Buffer, k: number): number | undefined
  /** Scans `b[s, e)`; on SCAN_OK, `kind`, `start` and `end` describe the wanted keys. */
  scan(b: Buffer, s: number, e: number): ScanStatus
  /** Value start per wanted key (for a string, after its opening quote). */
  readonly start: Int32Array
  /** The string value of key `k`, decoded, or undefined when it is not a string. */
  string(b: Buffer, k: number): string | undefined
  /** True when the string value of key `k` equals the UTF-8 `bytes` (compared as bytes unless escaped). */
  stringIs(b: Buffer, k: number, bytes: Buffer): boolean
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const TRUE = Buffer.from('true')
const FALSE = Buffer.from('false')
const NULL = Buffer.from('null')

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66))
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39
}

function skipWs(b: Buffer, i: number, e: number): number {
  while (i < e) {
    const c = b[i]!
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++
    else break
  }

  return i
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

/** Whether `b[start, end)` is exactly `bytes`. */
export function bytesAt(b: Buffer, start: number, end: number, bytes: Buffer): boolean {
  if (end - start !== bytes.length) return false
  for (let j = 0; j < bytes.length; j++) if (b[start + j] !== bytes[j]) return false
  return true
}

function skipWord(b: Buffer, i: number, e: number, word: Buffer): number {
  if (i + word.length > e) return -1
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word[k]) return -1
  return i + word.length
}

/** A scanner that notes the top-level values of `keys` (plain ASCII key names). */
export function createLineScanner(keys: readonly string[]): LineScanner {
  const wanted = keys.map((k) => Buffer.from(k, 'latin1'))
  const n = wanted.length
  const kind = new Uint8Array(n)
  const start = new Int32Array(n)
  const end = new Int32Array(n)
  const escaped = new Uint8Array(n)
  // Per-scan state, in this closure rather than in the module, so scanners never share it.
  let sawEscape = false
  let needParse = false
  // The scanned buffer's memory as 32-bit words, and where the buffer starts in it.
  let wordsOf: ArrayBufferLike | undefined
  let words: Uint32Array<ArrayBufferLike> = new Uint32Array(0)
  let base = 0

  /** `b[i]` is a quote; returns the index after the closing quote, or -1. */
  function skipString(b: Buffer, i: number, e: number): number {
    i++
    while (i < e) {
      // Four bytes at a time while none of them is a quote, a backslash or a control character.
      if (((base + i) & 3) === 0) {
        let k = (base + i) >> 2
        const last = (base + e) >> 2
        while (k < last) {
          const x = words[k]!
          const q = x ^ 0x22_22_22_22
          const s = x ^ 0x5c_5c_5c_5c
          if ((((q - 0x01_01_01_01) & ~q) | ((s - 0x01_01_01_01) & ~s) | ((x - 0x20_20_20_20) & ~x)) & 0x80_80_80_80)
            break
          k++
        }

        i = (k << 2) - base
        if (i >= e) return -1
      }

      const c = b[i]!
      // The commonest case first: an ordinary character (above the quote, not a backslash).
      if (c > QUOTE && c !== BACKSLASH) {
        i++
        continue
      }

      if (c === QUOTE) return i + 1
      if (c === BACKSLASH) {
        sawEscape = true
        if (i + 1 >= e) return -1
        const x = b[i + 1]!
        if (x === 0x75) {
          if (i + 5 >= e || !isHex(b[i + 2]) || !isHex(b[i + 3]) || !isHex(b[i + 4]) || !isHex(b[i + 5])) return -1
          i += 6
        } else if (
          x === QUOTE ||
          x === BACKSLASH ||
          x === 0x2f ||
          x === 0x62 ||
          x === 0x66 ||
          x === 0x6e ||
          x === 0x72 ||
          x === 0x74
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

  function wantedKey(b: Buffer, ks: number, ke: number): number {
    for (let k = 0; k < n; k++) if (bytesAt(b, ks, ke, wanted[k]!)) return k
    return -1
  }

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
        else {
          const k = wantedKey(b, ks, ke)
          // A key seen again replaces the earlier value, as in JSON.parse.
          if (k >= 0) {
            const c = b[vs]!
            if (c === QUOTE) {
              kind[k] = STRING
              start[k] = vs + 1
              end[k] = i - 1
              escaped[k] = sawEscape ? 1 : 0
            } else {
              kind[k] = c === 0x2d || isDigit(c) ? NUMBER : OTHER
              start[k] = vs
              end[k] = i
            }
          }
        }
      }

      i = skipWs(b, i, e)
      if (i >= e) return -1
      if (b[i] === 0x2c) i = skipWs(b, i + 1, e)
      else if (b[i] === 0x7d) return i + 1
      else return -1
    }
  }

  function scan(b: Buffer, s: number, e: number): ScanStatus {
    if (b.buffer !== wordsOf) {
      wordsOf = b.buffer
      words = new Uint32Array(b.buffer, 0, b.buffer.byteLength >> 2)
    }

    base = b.byteOffset
    for (let k = 0; k < n; k++) kind[k] = ABSENT
    needParse = false
    let i = skipWs(b, s, e)
    if (i >= e || b[i] !== 0x7b) return SCAN_INVALID
    i = skipObject(b, i, e, 0, true)
    if (needParse) return SCAN_FALLBACK
    if (i < 0) return SCAN_INVALID
    return skipWs(b, i, e) === e ? SCAN_OK : SCAN_INVALID
  }

  const scanner: LineScanner = {
    escaped,
    kind,
    start,
    end,
    scan,
    string(b, k) {
      if (kind[k] !== STRING) return undefined
      if (escaped[k] === 0) return b.toString('utf8', start[k]!, end[k]!)
      return JSON.parse(b.toString('utf8', start[k]! - 1, end[k]! + 1)) as string
    },
    stringIs(b, k, bytes) {
      if (kind[k] !== STRING) return false
      if (escaped[k] !== 0) return scanner.string(b, k) === bytes.toString('utf8')
      return bytesAt(b, start[k]!, end[k]!, bytes)
    },
    number(b, k) {
      return kind[k] === NUMBER ? Number(b.toString('latin1', start[k]!, end[k]!)) : undefined
    },
  }
  return scanner
}
