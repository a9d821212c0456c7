import {appendFile, mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {SEED_EXECUTED} from '../../../test/audit-fixtures.js'
import {AuditLog} from './log.js'
import {entriesAfter} from './replay.js'

let dir: string
let path: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hub-audit-replay-'))
  path = join(dir, 'audit.log')
  // A log of the original tool first (no seq), then hub's chain, then a torn line.
  await appendFile(path, `${SEED_EXECUTED}\n${SEED_EXECUTED}\n`)
  const log = await AuditLog.open(path)
  for (let i = 1; i <= 40; i++) await log.append({event: 'command_queued', command: `c${i} ${'é'.repeat(i)}`})
  await log.close()
  await appendFile(path, '{"event":"command_queued","seq":41,"comm')
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

async function seqs(after: number, opts: {chunkSize?: number; upTo?: number} = {}): Promise<number[]> {
  const out: number[] = []
  for await (const e of entriesAfter(path, after, opts)) out.push(e.seq)
  return out
}

const range = (from: number, to: number): number[] => Array.from({length: to - from + 1}, (_, i) => from + i)

describe('entriesAfter (Last-Event-ID)', () => {
  it.each([37, 64, 1 << 20])(
    'gives the lines after a seq, oldest first, never a torn one (%i-byte chunks)',
    async (chunk) => {
      expect(await seqs(35, {chunkSize: chunk})).toEqual(range(36, 40))
      expect(await seqs(0, {chunkSize: chunk})).toEqual(range(1, 40))
      expect(await seqs(40, {chunkSize: chunk})).toEqual([])
      expect(await seqs(99, {chunkSize: chunk})).toEqual([])
    },
  )

  it('stops at upTo (what the in-memory ring already holds)', async () => {
    expect(await seqs(10, {upTo: 14, chunkSize: 50})).toEqual(range(11, 14))
  })

  it('gives nothing for a log that is not there', async () => {
    const out: unknown[] = []
    for await (const e of entriesAfter(join(dir, 'missing.log'), 0)) out.push(e)
    expect(out).toEqual([])
  })
})
