import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {messyLog, naive, TRICKY} from '../../../test/audit-fixtures.js'
import {type AuditFields} from './entry.js'
import {AuditLog} from './log.js'
import {type AuditFilter} from './query.js'
import {auditStats, NumberSample} from './stats.js'

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hub-audit-stats-'))
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

let fileNo = 0
async function logFile(text: string): Promise<string> {
  const path = join(dir, `audit-${++fileNo}.log`)
  await writeFile(path, text)
  return path
}

async function writtenLog(fields: AuditFields[]): Promise<string> {
  const path = join(await mkdtemp(join(dir, 'w-')), 'audit.log')
  const log = await AuditLog.open(path)
  for (const f of fields) await log.append(f)
  await log.close()
  return path
}

describe('auditStats', () => {
  it('counts events and computes exact duration statistics over the matching executions', async () => {
    const durations = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    const fields: AuditFields[] = durations.map((d, i) => ({
      event: 'command_executed',
      command: `c${i}`,
      exit_code: 0,
      duration_ms: d,
    }))
    fields.push(
      {event: 'command_blocked', command: 'rm -rf /', reason: 'deny:rm'},
      {event: 'command_executed', command: 'no duration', exit_code: 0},
    )
    const path = await writtenLog(fields)
    const stats = await auditStats(path, {})
    expect(stats.matched).toBe(12)
    expect(stats.events).toEqual({command_executed: 11, command_blocked: 1})
    expect(stats.duration_ms).toEqual({
      count: 10,
      average: 55,
      min: 10,
      p50: 50,
      p95: 100,
      p99: 100,
      max: 100,
      total: 550,
    })
    expect(typeof stats.first_ts).toBe('string')
    const blockedOnly = await auditStats(path, {events: ['command_blocked']})
    expect(blockedOnly.events).toEqual({command_blocked: 1})
    expect(blockedOnly.duration_ms.count).toBe(0)
    expect(blockedOnly.duration_ms.average).toBeNull()
    const lastThree = await auditStats(path, {limit: 3, events: ['command_executed']})
    expect(lastThree.duration_ms).toMatchObject({count: 2, average: 95, max: 100})
  })

  it('gives the same average as summing the naive way', async () => {
    const text = messyLog(3, 500)
    const path = await logFile(text)
    const stats = await auditStats(path, {events: ['command_executed']}, {chunkSize: 333})
    const ds = naive(text, {events: ['command_executed']})
      .lines.map((l) => (JSON.parse(l) as {duration_ms?: unknown}).duration_ms)
      .filter((d): d is number => typeof d === 'number')
    expect(stats.duration_ms.count).toBe(ds.length)
    expect(stats.duration_ms.average).toBeCloseTo(ds.reduce((a, b) => a + b, 0) / ds.length, 9)
    const sorted = [...ds].sort((a, b) => a - b)
    expect(stats.duration_ms.p95).toBe(sorted[Math.ceil(0.95 * sorted.length) - 1])
    expect(stats.duration_ms.max).toBe(sorted.at(-1))
  })

  it('gives the same stats as the JSON.parse path on a messy log', async () => {
    const trickyLines = TRICKY.filter(Boolean).join('\n') + '\n'
    for (const seed of [4, 5]) {
      const path = await logFile(messyLog(seed, 600).replace('\n', `\n${trickyLines}`))
      const filters: AuditFilter[] = [
        {},
        {events: ['command_executed']},
        {events: ['command_blocked', 'x', 'e']},
        {since: Date.UTC(2025, 0, 15, 14), until: Date.UTC(2025, 0, 15, 22)},
        {clients: ['codex', 'http']},
        {clients: ['claude-code'], events: ['command_executed']},
      ]
      for (const filter of filters) {
        for (const chunkSize of [97, 1 << 20]) {
          const exact = await auditStats(path, filter, {chunkSize, exact: true})
          expect(await auditStats(path, filter, {chunkSize})).toEqual(exact)
          // Split at line starts into parts scanned apart and added up: the same figures, to the last bit.
          for (const parts of [2, 3, 7])
            expect(await auditStats(path, filter, {chunkSize, parts, parallelFrom: 0})).toEqual(exact)
        }
      }
    }
  })
})

describe('NumberSample', () => {
  it('uses nearest-rank percentiles and grows past its first block', () => {
    const s = new NumberSample()
    for (let i = 5000; i >= 1; i--) s.add(i)
    const sum = s.summary()
    expect(sum).toMatchObject({count: 5000, min: 1, p50: 2500, p95: 4750, p99: 4950, max: 5000, average: 2500.5})
  })

  it('has one value as every percentile', () => {
    const s = new NumberSample()
    s.add(142.5)
    expect(s.summary()).toMatchObject({count: 1, average: 142.5, p50: 142.5, p95: 142.5, max: 142.5})
  })
})
