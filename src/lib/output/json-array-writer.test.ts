import {PassThrough} from 'node:stream'
import {describe, expect, it} from 'vitest'

import {JsonArrayWriter} from './json-array-writer.js'

async function written(lines: string[], chunk: number): Promise<string> {
  const out = new PassThrough()
  const parts: Buffer[] = []
  out.on('data', (c: Buffer) => parts.push(c))
  const w = new JsonArrayWriter(out, chunk)
  for (const l of lines) {
    const b = Buffer.from(`xx${l}yy`)
    w.add(b, 2, b.length - 2)
    await w.flush()
  }

  await w.end()
  return Buffer.concat(parts).toString('utf8')
}

describe('JsonArrayWriter', () => {
  it('writes a valid JSON array of the raw lines, whatever the chunk size', async () => {
    const lines = ['{"a":1}', `{"b":"${'é'.repeat(50)}"}`, '{"c":[1,2]}']
    for (const chunk of [4, 16, 1024]) {
      const text = await written(lines, chunk)
      expect(JSON.parse(text)).toEqual(lines.map((l) => JSON.parse(l) as unknown))
      expect(text).toBe(`[\n${lines.join(',\n')}\n]\n`)
    }

    expect(await written([], 8)).toBe('[]\n')
  })
})
