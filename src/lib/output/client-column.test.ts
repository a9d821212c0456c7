/** The client (which agent integration asked) in the pending table and in `hub tail` lines (issue 14). */
import {describe, expect, it} from 'vitest'

import type {PendingRequest} from '../records.js'

import {formatEventLine} from '../audit/event-format.js'
import {createStyle} from '../terminal.js'
import {pendingTable} from './request-view.js'

const style = createStyle(false)

function request(id: string, client?: PendingRequest['client']): PendingRequest {
  return {
    pending_id: id,
    command: `echo ${id}`,
    note: '',
    cwd: '/w',
    timeout_s: 300,
    ts: 0,
    queued_at: new Date().toISOString(),
    expires_at: new Date(Date.now() + 60_000).toISOString(),
    actor: {role: 'agent', token: 'fp'},
    policy: {commands: [], decision: 'ask', evaluated_at: '', matches: [], reason: 'no rule', rule: null},
    ...(client ? {client} : {}),
  }
}

describe('pendingTable', () => {
  it('adds a Client column once any request came through an integration', () => {
    const table = pendingTable([request('p-1', 'http'), request('p-2', 'claude-code'), request('p-3')], {
      style,
      width: 120,
      zone: 'utc',
    })
    const [head, ...rows] = table.split('\n')
    expect(head).toMatch(/PendingId\s+Queued\s+Client\s+Command/)
    expect(rows.find((r) => r.includes('p-2'))).toMatch(/claude-code\s+echo p-2/)
    expect(rows.find((r) => r.includes('p-3'))).toMatch(/http\s+echo p-3/)
  })

  it('keeps the table as it was when every request is a plain API client', () => {
    const table = pendingTable([request('p-1'), request('p-2', 'http')], {style, width: 120, zone: 'utc'})
    expect(table.split('\n')[0]).not.toContain('Client')
  })
})

describe('formatEventLine', () => {
  it('names the client and who runs an approved hook command', () => {
    const line = formatEventLine(
      'command_approved',
      {ts: '2026-12-02T03:00:00Z', pending_id: 'p-9', client: 'codex', executor: 'codex', command: 'ls'},
      style,
      'utc',
    )
    expect(line).toBe('03:00:00  command_approved  p-9  [codex]  run by codex  ls')
  })

  it("shows an agent's reported outcome like a run, and no tag for plain API clients", () => {
    const line = formatEventLine(
      'command_executed_by_agent',
      {ts: '2026-12-02T03:00:01Z', run_id: 'r-1', client: 'http', exit_code: 3, duration_ms: 12, command: 'make'},
      style,
      'utc',
    )
    expect(line).toBe('03:00:01  command_executed_by_agent  r-1  exit 3 12 ms  make')
  })

  it('escapes a hostile client value', () => {
    const line = formatEventLine('command_queued', {ts: 'x', client: '\u001B[2Jevil', pending_id: 'p'}, style, 'utc')
    expect(line).not.toContain('\u001B')
  })
})
