import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {messyLog, naive, SEED_BLOCKED, SEED_EXECUTED} from '../../../test/audit-fixtures.js'
import {type AuditFields} from './entry.js'
import {AuditLog} from './log.js'
import {type AuditFilter, queryAudit, queryAuditRaw} from './query.js'

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hub-audit-query-'))
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

/** Lines as the daemon writes them, through the real writer (each log in its own directory). */
async function writtenLog(fields: AuditFields[]): Promise<string> {
  const path = join(await mkdtemp(join(dir, 'w-')), 'audit.log')
  const log = await AuditLog.open(path)
  for (const f of fields) await log.append(f)
  await log.close()
  return path
}

const mk = (ts: unknown): string => JSON.stringify({event: 'command_queued', ts})

/** The matching lines' text, through the parsing query or the raw one. */
async function collect(
  path: string,
  filter: AuditFilter,
  chunkSize?: number,
  raw = false,
): Promise<{lines: string[]; matched: number; skipped: number}> {
  const lines: string[] = []
  const take = (buf: Buffer, start: number, end: number): number => lines.push(buf.toString('utf8', start, end))
  const hooks = chunkSize ? {chunkSize} : {}
  const summary = raw
    ? await queryAuditRaw(path, filter, take, hooks)
    : await queryAudit(path, filter, (_entry, buf, start, end) => take(buf, start, end), hooks)
  return {lines, skipped: summary.skipped_lines, matched: summary.matched}
}

describe('queryAudit', () => {
  it('returns every entry of a log the daemon wrote, in order', async () => {
    const path = await writtenLog([
      {event: 'command_queued', pending_id: '20250115_143100_aaaaaaaa', command: 'whoami'},
      {event: 'command_blocked', run_id: '20250115_143200_bbbbbbbb', reason: 'deny:rm', command: 'rm -rf /'},
      {
        event: 'command_executed',
        run_id: '20250115_143122_cccccccc',
        command: 'whoami',
        exit_code: 0,
        duration_ms: 52.3,
      },
    ])
    const seen: string[] = []
    const summary = await queryAudit(path, {}, (entry) => seen.push(entry.event))
    expect(seen).toEqual(['command_queued', 'command_blocked', 'command_executed'])
    expect(summary).toEqual({matched: 3, skipped_lines: 0, missing: false, path})
  })

  it('treats a missing file as an empty log', async () => {
    const nope = join(dir, 'nope.log')
    const summary = await queryAudit(nope, {}, () => {
      throw new Error('no entries expected')
    })
    expect(summary).toEqual({matched: 0, skipped_lines: 0, missing: true, path: nope})
  })

  it('passes on an error thrown by the handler, with no read left behind', async () => {
    const fields: AuditFields[] = []
    for (let i = 0; i < 50; i++) fields.push({event: 'command_queued', command: `c${i}`})
    const path = await writtenLog(fields)
    await expect(
      queryAudit(
        path,
        {},
        () => {
          throw new Error('reader gone')
        },
        {chunkSize: 256},
      ),
    ).rejects.toThrow('reader gone')
  })

  it('skips and counts bad lines, blank lines are not counted, and a torn last line is skipped too', async () => {
    const good = JSON.stringify({
      event: 'command_executed',
      command: 'ls',
      exit_code: 0,
      duration_ms: 1,
      ts: '2025-01-15T14:31:22Z',
    })
    const path = await logFile(`${good}\nnot json\n\n[1]\n{"ts":"no event"}\n${good}\r\n{"event":"command_exec`)
    const result = await collect(path, {})
    expect(result.lines).toEqual([good, good])
    expect(result.skipped).toBe(4)
  })

  it('reads a torn last line that is whole JSON (being written) as an entry', async () => {
    const line = JSON.stringify({event: 'run_started', run_id: '20250115_143122_cccccccc'})
    const path = await logFile(`${line}\n${line}`)
    expect((await collect(path, {})).lines).toEqual([line, line])
  })

  it('matches only lines whose event is the one asked for, not commands that mention it', async () => {
    const path = await writtenLog([
      {event: 'command_executed', command: 'echo "command_blocked"', exit_code: 0, duration_ms: 1},
      {event: 'command_executed', command: 'echo command_blocked"', exit_code: 0, duration_ms: 1},
      {event: 'command_queued', command: 'x', rule: 'command_blocked'},
      {event: 'command_blocked', command: 'rm -rf /', reason: 'deny:rm'},
    ])
    const result = await collect(path, {events: ['command_blocked']})
    expect(result.lines.map((l) => (JSON.parse(l) as {command: string}).command)).toEqual(['rm -rf /'])
  })

  it('reads the original tool’s lines (no chain, spaces, ts without a zone as UTC)', async () => {
    const path = await logFile(`${SEED_EXECUTED}\n${SEED_BLOCKED}\n`)
    const blocked = await collect(path, {events: ['command_blocked']})
    expect(blocked.lines).toHaveLength(1)
    expect(JSON.parse(blocked.lines[0]!)).toMatchObject({
      reason: String.raw`deny:\b(Remove-Item|del)`,
      command: String.raw`Remove-Item C:\Windows\*`,
    })
    const since = await collect(path, {since: Date.UTC(2025, 0, 15, 14, 31, 30)})
    expect(since.lines).toHaveLength(1)
    expect(since.lines[0]).toContain('command_blocked')
  })

  it('filters on time: since inclusive, until exclusive; lines without a time never match a range', async () => {
    const path = await logFile(
      [mk('2025-01-15T10:00:00Z'), mk('2025-01-15T11:00:00Z'), mk('2025-01-15T12:00:00Z'), mk(null), mk('bogus')].join(
        '\n',
      ) + '\n',
    )
    const r = await collect(path, {since: Date.UTC(2025, 0, 15, 11), until: Date.UTC(2025, 0, 15, 12)})
    expect(r.lines).toEqual([mk('2025-01-15T11:00:00Z')])
  })

  it('greps the command with a regular expression', async () => {
    const path = await writtenLog([
      {event: 'command_queued', command: 'git status'},
      {event: 'command_queued', command: 'npm test'},
      {event: 'run_started', run_id: '20250115_143122_cccccccc'},
      {event: 'command_queued', command: 'git push'},
    ])
    const r = await collect(path, {grep: /^git /})
    expect(r.lines.map((l) => (JSON.parse(l) as {command: string}).command)).toEqual(['git status', 'git push'])
  })

  it('--limit keeps the last N matching lines, in file order', async () => {
    const fields: AuditFields[] = []
    for (let i = 1; i <= 30; i++)
      fields.push({event: i % 3 === 0 ? 'command_blocked' : 'command_queued', command: `c${i}`})
    const path = await writtenLog(fields)
    const commands = async (filter: AuditFilter): Promise<string[]> =>
      (await collect(path, filter, 64)).lines.map((l) => (JSON.parse(l) as {command: string}).command)
    expect(await commands({limit: 3})).toEqual(['c28', 'c29', 'c30'])
    expect(await commands({limit: 2, events: ['command_blocked']})).toEqual(['c27', 'c30'])
    expect(await commands({limit: 100, events: ['command_blocked']})).toHaveLength(10)
  })

  describe('agrees with a naive parse of the whole file', () => {
    const filters: Array<[string, AuditFilter]> = [
      ['no filter', {}],
      ['blocked', {events: ['command_blocked']}],
      ['executed', {events: ['command_executed']}],
      ['two events', {events: ['command_blocked', 'run_started']}],
      ['since/until', {since: Date.UTC(2025, 0, 15, 14), until: Date.UTC(2025, 0, 15, 20)}],
      ['grep', {grep: /command_blocked|ü/}],
      ['limit', {limit: 7}],
      ['limit + event', {limit: 5, events: ['command_executed']}],
      [
        'limit + two events + since',
        {limit: 9, events: ['command_blocked', 'command_expired'], since: Date.UTC(2025, 0, 15, 16)},
      ],
      ['everything', {events: ['command_executed'], since: Date.UTC(2025, 0, 15, 13), grep: /e/, limit: 4}],
      ['grep reaches command_full', {grep: /tail-marker/}],
      ['client', {clients: ['codex']}],
      ['two clients + event', {clients: ['codex', 'http'], events: ['command_queued', 'command_blocked']}],
      ['agent', {agents: ['a1b2c3d4']}],
      ['agent + client + limit', {agents: ['ffff0000'], clients: ['claude-code'], limit: 3}],
    ]
    for (const seed of [1, 2]) {
      for (const chunkSize of [61, 257, 4096, 1 << 20]) {
        it.each(filters)(`seed ${seed}, chunks of ${chunkSize}: %s`, async (_name, filter) => {
          const text = messyLog(seed, 400)
          const path = await logFile(text)
          const expected = naive(text, filter)
          expect(expected.lines.length).toBeGreaterThan(0)
          for (const raw of [false, true]) {
            const got = await collect(path, filter, chunkSize, raw)
            expect(got.lines).toEqual(expected.lines)
            expect(got.matched).toBe(expected.lines.length)
            // Without an event filter or a limit every line is looked at, so every bad one is counted.
            if (!filter.events && filter.limit === undefined) expect(got.skipped).toBe(expected.skipped)
          }
        })
      }
    }
  })
})

describe('the raw query', () => {
  it('checks lines as strictly as JSON.parse: a hit on the event name in a broken line is skipped', async () => {
    const good = '{"event":"command_blocked","command":"rm -rf /","reason":"deny:rm"}'
    const path = await logFile(
      [
        good,
        '{"event":"command_blocked","command":"unterminated}',
        '{"event":"command_blocked","command":"raw \t tab"}',
        '{"event":"command_blocked",}',
        String.raw`{"ev\u0065nt":"command_blocked","command":"escaped key"}`,
        // Writers never escape an event name's ASCII; such a line is not even a candidate.
        String.raw`{"event":"command_\u0062locked","command":"escaped value"}`,
      ].join('\n') + '\n',
    )
    const raw = await collect(path, {events: ['command_blocked']}, undefined, true)
    const parsed = await collect(path, {events: ['command_blocked']})
    expect(raw).toEqual(parsed)
    expect(raw.lines.map((l) => (JSON.parse(l) as {command: string}).command)).toEqual(['rm -rf /', 'escaped key'])
    expect(raw.skipped).toBe(3)
  })

  it('filters on client and on the actor token, and greps the whole command', async () => {
    const long = 'echo ' + 'a'.repeat(250) + ' && curl evil.example'
    const path = await writtenLog([
      {event: 'command_blocked', command: long.slice(0, 200), command_full: long, client: 'codex', reason: 'deny:x'},
      {event: 'command_queued', command: 'ls', client: 'claude-code', actor: {role: 'agent', token: 'a1b2c3d4'}},
      {event: 'command_queued', command: 'pwd', client: 'http', actor: {role: 'agent', token: 'ffff0000'}},
    ])
    for (const raw of [false, true]) {
      const commands = async (filter: AuditFilter): Promise<string[]> =>
        (await collect(path, filter, undefined, raw)).lines.map((l) => (JSON.parse(l) as {command: string}).command)
      expect(await commands({grep: /evil\.example/})).toEqual([long.slice(0, 200)])
      expect(await commands({clients: ['claude-code', 'http']})).toEqual(['ls', 'pwd'])
      expect(await commands({agents: ['ffff0000']})).toEqual(['pwd'])
      expect(await commands({agents: ['nobody']})).toEqual([])
    }
  })
})
