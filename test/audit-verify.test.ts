/** `hub audit verify` on copies of a generated runtime (query-fixture.ts): intact, edited, cut, torn, absent. */
import {appendFile, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import Audit from '../src/commands/audit/index.js'
import AuditVerify from '../src/commands/audit/verify.js'
import {RuntimeStore} from '../src/lib/store.js'
import {SEED_EXECUTED} from './audit-fixtures.js'
import {
  type CommandClass,
  copyRuntime,
  makeQueryRuntime,
  type QueryRuntime,
  type Result,
  runQuery,
} from './query-fixture.js'

let q: QueryRuntime

beforeAll(async () => {
  q = await makeQueryRuntime()
})

afterAll(async () => {
  await rm(q.root, {recursive: true, force: true})
})

const run = (cmd: CommandClass, args: string[], dir = q.runtime): Promise<Result> => runQuery(cmd, args, dir)

describe('hub audit verify', () => {
  it('exits 0 on an intact chain', async () => {
    const r = await run(AuditVerify, [])
    expect(r.code).toBe(0)
    expect(r.stdout.split('\n')[0]).toBe('audit verify: 8 lines, chain intact')
    const json = JSON.parse((await run(AuditVerify, ['--json'])).stdout) as {
      last_seq: number
      lines: number
      ok: boolean
    }
    expect(json).toMatchObject({ok: true, lines: 8, last_seq: 8})
  })

  it('exits 1 and names the first line that was edited', async () => {
    const dir = await copyRuntime(q, 'edited', (t) => t.replace('"command":"npm test"', '"command":"npm tests"'))
    const r = await run(AuditVerify, [], dir)
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('line 3 (seq 3): the line was changed after it was written (hash mismatch)')
    const json = await run(AuditVerify, ['--json'], dir)
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout)).toMatchObject({ok: false, lines: 8, first_break: {line: 3, seq: 3}})
  })

  it('exits 1 on a removed line and on a log of the original tool', async () => {
    const removed = await copyRuntime(q, 'removed', (t) => {
      const lines = t.split('\n')
      lines.splice(4, 1)
      return lines.join('\n')
    })
    const r = await run(AuditVerify, [], removed)
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('line 5 (seq 6): seq is 6, expected 5: a line before it was removed')

    const seed = join(q.root, 'seed')
    await new RuntimeStore(seed).init()
    await writeFile(join(seed, 'audit.log'), SEED_EXECUTED + '\n')
    const s = await run(AuditVerify, [], seed)
    expect(s.code).toBe(1)
    expect(s.stdout).toContain('line 1 (no seq): no hash chain from here')
    // hub audit still reads such a log.
    expect(JSON.parse((await run(Audit, ['--executed', '--json'], seed)).stdout)).toHaveLength(1)
  })

  it('counts a torn last line as a break', async () => {
    const dir = await copyRuntime(q, 'torn')
    await appendFile(join(dir, 'audit.log'), '{"event":"command_queued","com')
    const r = await run(AuditVerify, [], dir)
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('line 9 (no seq): the last line is incomplete')
  })

  it('exits 4 when there is no audit log', async () => {
    const r = await run(AuditVerify, [], join(q.root, 'no-such-runtime'))
    expect(r.code).toBe(4)
    expect(r.stderr).toContain('No audit log at')
  })
})
