import type {AuditFilter} from '../src/lib/audit/query.js'

/**
 * Audit logs for the reader, query, stats and verify tests: deterministic messy logs, and the plainest
 * possible reference reading of them (the whole file, JSON.parse on every line) to compare with.
 */
import {GENESIS_HASH, sealLine} from '../src/lib/audit/chain.js'
import {AUDIT_EVENTS, type AuditFields} from '../src/lib/audit/entry.js'
import {auditTsMs} from '../src/lib/audit/time-range.js'

/** The original tool's two events, as its monitoring page shows them (spaces after the separators, no zone). */
export const SEED_EXECUTED =
  '{"event": "command_executed", "run_id": "20250115_143122_e5f6a7b8", "command": "Get-Process python", ' +
  '"exit_code": 0, "duration_ms": 142.5, "ts": "2025-01-15T14:31:22"}'
export const SEED_BLOCKED =
  String.raw`{"event": "command_blocked", "run_id": "20250115_143200_a1b2c3d4", ` +
  String.raw`"reason": "deny:\\b(Remove-Item|del)", ` +
  String.raw`"command": "Remove-Item C:\\Windows\\*", "ts": "2025-01-15T14:32:00"}`

/** Deterministic pseudo-random numbers in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d_2b_79_f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

/**
 * A messy log: chained lines whose commands mention event names, quotes, unicode; long commands with
 * command_full; clients and actors; bad, blank and CRLF lines; lines of the original tool; a torn end.
 */
export function messyLog(seed: number, count: number): string {
  const rnd = prng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
  const commands = [
    'git status',
    'echo "command_blocked"',
    'echo command_blocked" tricky',
    'grep -c \'"event":"command_executed"\' audit.log',
    String.raw`printf "\u001b[2J"`,
    'ls ü 日本語 🎉',
    'x'.repeat(300),
  ]
  const lines: string[] = []
  let prev = GENESIS_HASH
  let at = Date.UTC(2025, 0, 15, 12, 0, 0)
  for (let seq = 1; seq <= count; seq++) {
    at += Math.floor(rnd() * 120_000)
    const event = pick(AUDIT_EVENTS)
    const command = pick(commands)
    const fields: AuditFields = {event, command: command.slice(0, 200), run_id: '20250115_120000_0000abcd'}
    if (command.length > 200) fields.command_full = command + ' tail-marker'
    if (rnd() < 0.5) fields.client = pick(['claude-code', 'codex', 'http'])
    if (rnd() < 0.5) fields.actor = {role: 'agent', token: pick(['a1b2c3d4', 'ffff0000'])}
    if (event === 'command_executed')
      Object.assign(fields, {exit_code: rnd() < 0.2 ? 1 : 0, duration_ms: Math.round(rnd() * 10_000) / 10})
    if (event === 'command_blocked') Object.assign(fields, {reason: 'deny:rule', rule: 'command_executed'})
    const {line: sealed, entry} = sealLine(fields, seq, prev, undefined, new Date(at))
    prev = entry.hash
    let line = sealed
    const r = rnd()
    if (r < 0.03) lines.push('{"event":"command_blocked", torn')
    else if (r < 0.05) lines.push('')
    else if (r < 0.07) lines.push('[1,2,3]')
    else if (r < 0.09) lines.push('{"no_event": true}')
    else if (r < 0.11) line += '\r'
    else if (r < 0.13)
      line =
        `{"event": "${event}", "ts": "${new Date(at).toISOString().slice(0, 19)}", ` +
        '"command": "seed style", "duration_ms": 12.5}'
    lines.push(line)
  }

  return lines.join('\n') + '\n{"event":"command_executed","command":"cut off'
}

/** The reference: every line of the text parsed, filtered in the plainest way. */
export function naive(text: string, filter: AuditFilter): {lines: string[]; skipped: number} {
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
    if (filter.events && filter.events.length > 0 && !filter.events.includes(e.event as string)) continue
    if (filter.since !== undefined || filter.until !== undefined) {
      const at = auditTsMs(e.ts)
      if (Number.isNaN(at)) continue
      if (filter.since !== undefined && at < filter.since) continue
      if (filter.until !== undefined && at >= filter.until) continue
    }

    if (filter.clients && filter.clients.length > 0 && !filter.clients.includes(e.client as string)) continue
    const token = (e.actor as undefined | {token?: unknown})?.token
    if (filter.agents && filter.agents.length > 0 && !filter.agents.includes(token as string)) continue
    if (filter.grep) {
      const texts = [e.command, e.command_full].filter((t): t is string => typeof t === 'string')
      if (!texts.some((t) => new RegExp(filter.grep!.source, filter.grep!.flags).test(t))) continue
    }

    out.push(line)
  }

  return {lines: filter.limit === undefined ? out : out.slice(-filter.limit), skipped}
}

/** Lines that test the JSON grammar's corners (scanner and stats tests). */
export const TRICKY = [
  '{"event":"command_executed","duration_ms":142.5,"ts":"2025-01-15T14:31:22Z"}',
  ' { "event" : "command_blocked" , "ts" : "2025-01-15T14:32:00" } ',
  String.raw`{"event": "x", "nested": {"event": "y", "duration_ms": 9, ` +
    String.raw`"a": [1, -2.5e+3, true, false, null, {"b": []}, "s\"q\\"]}}`,
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
