import {appendFile, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {PassThrough} from 'node:stream'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {AUDIT_EVENTS, type AuditFields, AuditLog, GENESIS_HASH, sealEntry} from './audit-log.js'
import {
  type AuditFilter,
  auditStats,
  JsonArrayWriter,
  queryAudit,
  scanAuditLine,
  verifyAuditFile,
} from './audit-query.js'
import {NumberSample} from './stats.js'
import {auditTsMs} from './time-range.js'

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

/** Lines as the daemon writes them, through the real writer. */
async function writtenLog(fields: AuditFields[]): Promise<string> {
  const path = join(dir, `audit-${++fileNo}.log`)
  const log = await AuditLog.open(path)
  for (const f of fields) await log.append(f)
  await log.close()
  return path
}

/** The reference: read the whole file, parse every line, filter in the plainest way. */
function naive(text: string, filter: AuditFilter): {lines: string[]; skipped: number} {
  const events = filter.events && filter.events.length > 0 ? new Set(filter.events) : undefined
  const out: string[] = []
  let skipped = 0
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (line === '') continue
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      skipped++
      continue
    }

    if (
      typeof value !== 'object' ||
      value === null ||
      Array.isArray(value) ||
      typeof (value as {event?: unknown}).event !== 'string'
    ) {
      skipped++
      continue
    }

    const e = value as Record<string, unknown>
    if (events && !events.has(e.event as string)) continue
    if (filter.since !== undefined || filter.until !== undefined) {
      const at = auditTsMs(e.ts)
      if (Number.isNaN(at)) continue
      if (filter.since !== undefined && at < filter.since) continue
      if (filter.until !== undefined && at >= filter.until) continue
    }

    if (filter.grep && (typeof e.command !== 'string' || !filter.grep.test(e.command))) continue
    out.push(line)
  }

  return {lines: filter.limit === undefined ? out : out.slice(-filter.limit), skipped}
}

async function collect(
  path: string,
  filter: AuditFilter,
  chunkSize?: number,
): Promise<{lines: string[]; matched: number; skipped: number}> {
  const lines: string[] = []
  const summary = await queryAudit(
    path,
    filter,
    (_entry, buf, start, end) => lines.push(buf.toString('utf8', start, end)),
    chunkSize ? {chunkSize} : {},
  )
  return {lines, skipped: summary.skipped_lines, matched: summary.matched}
}

// Deterministic pseudo-random data.
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d_2b_79_f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

/** A messy log: chained lines whose commands mention event names, quotes, unicode; bad, blank and CRLF lines; a torn end. */
function messyLog(seed: number, count: number): string {
  const rnd = prng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
  const commands = [
    'git status',
    'echo "command_blocked"',
    'echo command_blocked" tricky',
    'grep -c \'"event":"command_executed"\' audit.log',
    String.raw`printf "\u001b[2J"`,
    'ls ü 日本語',
    'x'.repeat(300),
  ]
  const lines: string[] = []
  let prev = GENESIS_HASH
  let at = Date.UTC(2025, 0, 15, 12, 0, 0)
  for (let seq = 1; seq <= count; seq++) {
    at += Math.floor(rnd() * 120_000)
    const event = pick(AUDIT_EVENTS)
    const fields: AuditFields = {event, command: pick(commands), run_id: '20250115_120000_0000abcd'}
    if (event === 'command_executed')
      Object.assign(fields, {exit_code: rnd() < 0.2 ? 1 : 0, duration_ms: Math.round(rnd() * 10_000) / 10})
    if (event === 'command_blocked') Object.assign(fields, {reason: 'deny:rule', rule: 'command_executed'})
    const entry = sealEntry(fields, seq, prev, new Date(at))
    prev = entry.hash
    let line = JSON.stringify(entry)
    const r = rnd()
    if (r < 0.03) lines.push('{"event":"command_blocked", torn')
    else if (r < 0.05) lines.push('')
    else if (r < 0.07) lines.push('[1,2,3]')
    else if (r < 0.09) lines.push('{"no_event": true}')
    else if (r < 0.11) line += '\r'
    else if (r < 0.13)
      line = `{"event": "${event}", "ts": "${new Date(at).toISOString().slice(0, 19)}", "command": "seed style", "duration_ms": 12.5}`
    lines.push(line)
  }

  return lines.join('\n') + '\n{"event":"command_executed","command":"cut off'
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
    expect(summary).toEqual({matched: 3, skipped_lines: 0, missing: false})
  })

  it('treats a missing file as an empty log', async () => {
    const summary = await queryAudit(join(dir, 'nope.log'), {}, () => {
      throw new Error('no entries expected')
    })
    expect(summary).toEqual({matched: 0, skipped_lines: 0, missing: true})
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
    const path = await logFile(
      '{"event": "command_executed", "run_id": "20250115_143122_e5f6a7b8", "command": "Get-Process python", "exit_code": 0, "duration_ms": 142.5, "ts": "2025-01-15T14:31:22"}\n' +
        '{"event": "command_blocked", "run_id": "20250115_143200_a1b2c3d4", "reason": "deny:\\\\b(Remove-Item|del)", "command": "Remove-Item C:\\\\Windows\\\\*", "ts": "2025-01-15T14:32:00"}\n',
    )
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
    const mk = (ts: unknown): string => JSON.stringify({event: 'command_queued', ts})
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
    ]
    for (const seed of [1, 2]) {
      for (const chunkSize of [61, 257, 4096, 1 << 20]) {
        it.each(filters)(`seed ${seed}, chunks of ${chunkSize}: %s`, async (_name, filter) => {
          const text = messyLog(seed, 400)
          const path = await logFile(text)
          const expected = naive(text, filter)
          expect(expected.lines.length).toBeGreaterThan(0)
          const got = await collect(path, filter, chunkSize)
          expect(got.lines).toEqual(expected.lines)
          expect(got.matched).toBe(expected.lines.length)
          // Without an event filter or a limit every line is looked at, so every bad one is counted.
          if (!filter.events && filter.limit === undefined) expect(got.skipped).toBe(expected.skipped)
        })
      }
    }
  })
})

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
})

describe('the stats scanner', () => {
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

  const lines = [
    '{"event":"command_executed","duration_ms":142.5,"ts":"2025-01-15T14:31:22Z"}',
    ' { "event" : "command_blocked" , "ts" : "2025-01-15T14:32:00" } ',
    String.raw`{"event": "x", "nested": {"event": "y", "duration_ms": 9, "a": [1, -2.5e+3, true, false, null, {"b": []}, "s\"q\\"]}}`,
    '{"event":"x","event":"y"}',
    '{"event":"x","event":5}',
    '{"duration_ms":1,"duration_ms":"2","event":"e"}',
    '{"duration_ms":-0.0,"event":"e"}',
    '{"duration_ms":1e400,"event":"e"}',
    '{"event":"caf\u00E9 \u65E5\u672C","ts":"\u00FC"}',
    String.raw`{"command":"tab\tnew\nline \u001b[2J \/","event":"ok"}`,
    '{}',
    '{"event":null}',
    '[]',
    '"event"',
    '42',
    '',
    '{',
    '{"event":"x"',
    '{"event":"x",}',
    '{"event":"x"} {',
    '{"event":"x"}x',
    '{event:"x"}',
    "{'event':'x'}",
    '{"event":"x","n":01}',
    '{"event":"x","n":1.}',
    '{"event":"x","n":.5}',
    '{"event":"x","n":+1}',
    '{"event":"x","n":-}',
    '{"event":"x","n":1e}',
    '{"event":"x","n":tru}',
    '{"event":"x","n":True}',
    '{"event":"x","n":NaN}',
    String.raw`{"event":"x","s":"bad \x escape"}`,
    String.raw`{"event":"x","s":"bad \u12g4"}`,
    '{"event":"x","s":"raw \t tab"}',
    '{"event":"x","s":"unterminated}',
    '{"event":"x","a":[1,]}',
    '{"event":"x","a":[1 2]}',
    '{"event":"x" "y":1}',
    '\uFEFF{"event":"x"}',
    '{"event":"x","deep":' + '['.repeat(100) + ']'.repeat(100) + '}',
    String.raw`{"ev\u0065nt":"escaped key"}`,
    String.raw`{"event":"esc\u0061ped value"}`,
    String.raw`{"event":"x","ts":"2025-01-15T14:31:22\u005a"}`,
  ]

  it.each(lines.map((l) => [l]))('agrees with JSON.parse on %j', (line) => {
    const got = scanAuditLine(line)
    const want = reference(line)
    // 'fallback' means "let JSON.parse decide", which is agreement by construction.
    if (got !== 'fallback') expect(got).toEqual(want)
  })

  it('sends escaped keys, escaped values and deep nesting to JSON.parse', () => {
    expect(scanAuditLine(String.raw`{"ev\u0065nt":"escaped key"}`)).toBe('fallback')
    expect(scanAuditLine(String.raw`{"event":"esc\u0061ped"}`)).toBe('fallback')
    expect(scanAuditLine('{"event":"x","deep":' + '['.repeat(100) + ']'.repeat(100) + '}')).toBe('fallback')
    expect(scanAuditLine(String.raw`{"event":"x","command":"esc\u0061ped is fine here"}`)).toEqual({event: 'x'})
  })

  it('gives the same stats as the JSON.parse path on a messy log', async () => {
    const trickyLines = lines.filter(Boolean).join('\n') + '\n'
    for (const seed of [4, 5]) {
      const path = await logFile(messyLog(seed, 600).replace('\n', `\n${trickyLines}`))
      const filters: AuditFilter[] = [
        {},
        {events: ['command_executed']},
        {events: ['command_blocked', 'x', 'e']},
        {since: Date.UTC(2025, 0, 15, 14), until: Date.UTC(2025, 0, 15, 22)},
      ]
      for (const filter of filters) {
        for (const chunkSize of [97, 1 << 20]) {
          const fast = await auditStats(path, filter, {chunkSize})
          const exact = await auditStats(path, filter, {chunkSize, exact: true})
          expect(fast).toEqual(exact)
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

describe('JsonArrayWriter', () => {
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

describe('verifyAuditFile', () => {
  async function chained(n: number): Promise<string> {
    const fields: AuditFields[] = []
    for (let i = 1; i <= n; i++) fields.push({event: 'command_queued', command: `cmd ${i}`})
    return writtenLog(fields)
  }

  it('passes an intact chain', async () => {
    const path = await chained(5)
    const r = await verifyAuditFile(path, {chunkSize: 50})
    expect(r).toMatchObject({ok: true, lines: 5, last_seq: 5, missing: false})
    expect(r.first_break).toBeUndefined()
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n')
    expect(r.last_hash).toBe((JSON.parse(lines[4]!) as {hash: string}).hash)
  })

  it('passes an empty file and reports a missing one', async () => {
    expect(await verifyAuditFile(await logFile(''))).toMatchObject({ok: true, lines: 0, missing: false})
    expect(await verifyAuditFile(join(dir, 'missing.log'))).toMatchObject({missing: true})
  })

  it('names an edited line', async () => {
    const path = await chained(5)
    const text = await readFile(path, 'utf8')
    await writeFile(path, text.replace('"cmd 3"', '"cmd 3; rm -rf /"'))
    const r = await verifyAuditFile(path)
    expect(r.ok).toBe(false)
    expect(r.lines).toBe(5)
    expect(r.first_break).toEqual({
      line: 3,
      seq: 3,
      reason: 'the line was changed after it was written (hash mismatch)',
    })
    expect(r.last_seq).toBe(2)
  })

  it('names an edited line whose hash was recomputed, at the next line', async () => {
    const path = await chained(4)
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n')
    const {hash: _h, ...body} = JSON.parse(lines[1]!) as Record<string, unknown>
    const forged = sealEntry({...(body as AuditFields), command: 'forged'}, 2, body.prev as string, new Date())
    lines[1] = JSON.stringify(forged)
    await writeFile(path, lines.join('\n') + '\n')
    const r = await verifyAuditFile(path)
    expect(r.first_break?.line).toBe(3)
    expect(r.first_break?.reason).toMatch(/^prev does not match .*line 2 was rewritten/)
  })

  it('names a deleted line', async () => {
    const path = await chained(5)
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n')
    lines.splice(2, 1)
    await writeFile(path, lines.join('\n') + '\n')
    const r = await verifyAuditFile(path)
    expect(r.first_break).toEqual({line: 3, seq: 4, reason: 'seq is 4, expected 3: a line before it was removed'})
    expect(r.lines).toBe(4)
  })

  it('reports a log without a chain (the original tool’s) from its first line', async () => {
    const path = await logFile(
      '{"event": "command_executed", "run_id": "20250115_143122_e5f6a7b8", "command": "Get-Process python", "exit_code": 0, "duration_ms": 142.5, "ts": "2025-01-15T14:31:22"}\n',
    )
    const r = await verifyAuditFile(path)
    expect(r.ok).toBe(false)
    expect(r.first_break).toMatchObject({line: 1, seq: null})
    expect(r.first_break?.reason).toMatch(/no hash chain from here/)
  })

  it('reports a chain that stops at old-format lines appended later, and a torn or corrupt line', async () => {
    const path = await chained(2)
    await appendFile(path, '{"event": "command_blocked", "command": "x", "ts": "2025-01-15T14:32:00"}\n')
    expect((await verifyAuditFile(path)).first_break).toMatchObject({line: 3, seq: null})

    const torn = await chained(3)
    await appendFile(torn, '{"event":"command_queued","comm')
    const r = await verifyAuditFile(torn)
    expect(r.first_break).toMatchObject({line: 4, seq: null})
    expect(r.first_break?.reason).toMatch(/last line is incomplete/)

    const corrupt = await chained(3)
    const text = await readFile(corrupt, 'utf8')
    await writeFile(corrupt, text.replace('"seq":2', '"seq":2,,'))
    expect((await verifyAuditFile(corrupt)).first_break).toEqual({
      line: 2,
      seq: null,
      reason: 'the line is not valid JSON',
    })
  })
})
