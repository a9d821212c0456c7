import {mkdtemp, open, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {prng} from '../../../test/audit-fixtures.js'
import {backwardRegions, decode, eachLine, eachLineReverse, forwardRegions} from './reader.js'

let dir: string
let n = 0

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hub-audit-reader-'))
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

interface Seen {
  /** File offset of the line's first byte. */
  at: number
  terminated: boolean
  text: string
}

/** What a plain split of the whole file says: non-empty lines, CR dropped, the last one maybe unterminated. */
function reference(bytes: Buffer): Seen[] {
  const out: Seen[] = []
  let at = 0
  const parts = bytes.toString('latin1').split('\n')
  for (const [i, part] of parts.entries()) {
    const raw = Buffer.from(part, 'latin1')
    const body = raw.at(-1) === 0x0d ? raw.subarray(0, -1) : raw
    if (body.length > 0) out.push({at, terminated: i < parts.length - 1, text: body.toString('utf8')})
    at += raw.length + 1
  }

  return out
}

async function withFile<T>(bytes: Buffer, use: (h: Awaited<ReturnType<typeof open>>) => Promise<T>): Promise<T> {
  const path = join(dir, `f${++n}`)
  await writeFile(path, bytes)
  const handle = await open(path, 'r')
  try {
    return await use(handle)
  } finally {
    await handle.close()
  }
}

async function forward(bytes: Buffer, chunkSize: number, from = 0): Promise<Seen[]> {
  return withFile(bytes, async (h) => {
    const seen: Seen[] = []
    for await (const region of forwardRegions(h, {chunkSize, from})) {
      eachLine(region, (s, e, terminated) =>
        seen.push({at: region.offset + s, terminated, text: decode(region.buf, s, e)}),
      )
    }

    return seen
  })
}

async function backward(bytes: Buffer, chunkSize: number, end?: number): Promise<Seen[]> {
  return withFile(bytes, async (h) => {
    const seen: Seen[] = []
    for await (const region of backwardRegions(h, {chunkSize, ...(end === undefined ? {} : {end})})) {
      eachLineReverse(region, (s, e, terminated) => {
        seen.push({at: region.offset + s, terminated, text: decode(region.buf, s, e)})
        return true
      })
    }

    return seen
  })
}

/**
 * Lines with multi-byte characters (2, 3 and 4 bytes), CRLF, blank lines, and (for chunks that are
 * not tiny) a few lines longer than many chunks.
 */
function sample(seed: number, count: number, end: 'newline' | 'torn', longLines = 2000): Buffer {
  const rnd = prng(seed)
  const pieces = ['a', 'é', '日本', '🎉', ' ', '"', '\\', 'x'.repeat(7)]
  const lines: string[] = []
  for (let i = 0; i < count; i++) {
    const r = rnd()
    if (r < 0.05) lines.push('')
    else if (r < 0.08) lines.push('ü'.repeat(longLines) + '🎉')
    else {
      let line = `{"i":${i},"t":"`
      const len = Math.floor(rnd() * 60)
      for (let k = 0; k < len; k++) line += pieces[Math.floor(rnd() * pieces.length)]
      line += '"}'
      if (rnd() < 0.1) line += '\r'
      lines.push(line)
    }
  }

  const text = lines.join('\n') + (end === 'newline' ? '\n' : '\n{"torn":"日本')
  return Buffer.from(text)
}

describe('the forward reader', () => {
  for (const end of ['newline', 'torn'] as const) {
    it.each([1, 2, 3, 5, 17, 64, 4096, 1 << 20])(
      `gives every line once, whole, at its offset (%i-byte chunks, ${end})`,
      async (chunk) => {
        const bytes = sample(chunk, 150, end, chunk < 64 ? 40 : 40_000)
        const expected = reference(bytes)
        expect(await forward(bytes, chunk)).toEqual(expected)
      },
    )
  }

  it('never decodes a character cut by a chunk edge', async () => {
    // Every chunk edge falls inside a 4-byte character.
    const bytes = Buffer.from('🎉'.repeat(1000) + '\n' + '€'.repeat(999) + '\n')
    for (const chunk of [1, 2, 3, 5, 7]) {
      const seen = await forward(bytes, chunk)
      expect(seen.map((s) => s.text)).toEqual(['🎉'.repeat(1000), '€'.repeat(999)])
      expect(seen.some((s) => s.text.includes('\uFFFD'))).toBe(false)
    }
  })

  it('starts at a given line start', async () => {
    const bytes = sample(3, 40, 'newline')
    const expected = reference(bytes)
    const from = expected[10]!.at
    expect(await forward(bytes, 13, from)).toEqual(expected.slice(10))
  })

  it('stops at a given line start', async () => {
    const bytes = sample(6, 60, 'torn')
    const expected = reference(bytes)
    const to = expected[30]!.at
    const seen = await withFile(bytes, async (h) => {
      const out: Seen[] = []
      for await (const region of forwardRegions(h, {chunkSize: 7, from: expected[5]!.at, to})) {
        eachLine(region, (s, e, terminated) =>
          out.push({at: region.offset + s, terminated, text: decode(region.buf, s, e)}),
        )
      }

      return out
    })
    expect(seen).toEqual(expected.slice(5, 30))
  })

  it('reads an empty file, a lone unterminated line, and a file of newlines', async () => {
    expect(await forward(Buffer.alloc(0), 8)).toEqual([])
    expect(await forward(Buffer.from('{"a":1'), 4)).toEqual([{at: 0, terminated: false, text: '{"a":1'}])
    expect(await forward(Buffer.from('\n\n\r\n'), 2)).toEqual([])
  })

  it('carries a line longer than many chunks without copying it over and over', async () => {
    const huge = 'é'.repeat(3 << 20)
    const bytes = Buffer.from(`a\n${huge}\nb\n`)
    const t0 = performance.now()
    const seen = await forward(bytes, 4096)
    expect(seen.map((s) => s.text.length)).toEqual([1, huge.length, 1])
    // Joining 1,536 parts once is quick; copying the growing line at each chunk would be quadratic.
    expect(performance.now() - t0).toBeLessThan(20_000)
  })

  it('lets a consumer stop early and close the file', async () => {
    const bytes = sample(4, 500, 'newline')
    await withFile(bytes, async (h) => {
      let regions = 0
      for await (const region of forwardRegions(h, {chunkSize: 64})) {
        expect(region.buf.length).toBeGreaterThan(0)
        if (++regions === 3) break
      }

      expect(regions).toBe(3)
    })
  })
})

describe('the backward reader', () => {
  for (const end of ['newline', 'torn'] as const) {
    it.each([1, 2, 3, 5, 17, 64, 4096, 1 << 20])(
      `gives every line once, newest first (%i-byte chunks, ${end})`,
      async (chunk) => {
        const bytes = sample(100 + chunk, 150, end, chunk < 64 ? 40 : 40_000)
        expect(await backward(bytes, chunk)).toEqual(reference(bytes).reverse())
      },
    )
  }

  it('ends where asked (just after a newline)', async () => {
    const bytes = sample(5, 40, 'torn')
    const lines = reference(bytes)
    const end = lines[20]!.at
    expect(await backward(bytes, 11, end)).toEqual(reference(bytes.subarray(0, end)).reverse())
  })

  it('reads an empty file and a lone unterminated line', async () => {
    expect(await backward(Buffer.alloc(0), 8)).toEqual([])
    expect(await backward(Buffer.from('{"a":1'), 4)).toEqual([{at: 0, terminated: false, text: '{"a":1'}])
    expect(await backward(Buffer.from('x\n{"a":1'), 3)).toEqual([
      {at: 2, terminated: false, text: '{"a":1'},
      {at: 0, terminated: true, text: 'x'},
    ])
  })
})
