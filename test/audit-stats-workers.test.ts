/**
 * `hub audit --stats` on a large log splits it across worker threads. The workers run the built
 * JavaScript, so this checks the built module: the parts really ran in workers, and the figures are
 * the same, to the last bit, as one scan in one piece.
 */
import {existsSync} from 'node:fs'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {AuditFilter} from '../src/lib/audit/query.js'

import {auditStats as sourceStats} from '../src/lib/audit/stats.js'
import {messyLog} from './audit-fixtures.js'
import {REPO} from './helpers.js'

const BUILT = join(REPO, 'dist', 'lib', 'audit', 'stats.js')
let dir: string
let path: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hub-stats-workers-'))
  path = join(dir, 'audit.log')
  await writeFile(path, messyLog(21, 4000))
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe.skipIf(!existsSync(BUILT))('audit stats across worker threads (built)', () => {
  it.each<[string, AuditFilter]>([
    ['every line', {}],
    ['executions', {events: ['command_executed']}],
    ['a time range and clients', {since: Date.UTC(2025, 0, 15, 14), clients: ['codex', 'http']}],
  ])('adds up the parts to the figures of one scan: %s', async (_name, filter) => {
    const built = (await import(pathToFileURL(BUILT).href)) as {auditStats: typeof sourceStats}
    const where: string[] = []
    const split = await built.auditStats(path, filter, {parts: 3, parallelFrom: 0, onPart: (w) => where.push(w)})
    expect(where.sort()).toEqual(['here', 'worker', 'worker'])
    expect(split).toEqual(await sourceStats(path, filter, {exact: true}))
  })
})
