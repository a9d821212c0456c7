import {describe, expect, it} from 'vitest'

import {FileHistory} from '../../lib/stores/history.js'
import {decisionsChart, niceMax, percentileChart, topRulesChart} from './charts.js'
import {Insights, percentiles} from './insights.js'

const HOUR = 3_600_000

function insights(now: number) {
  const listeners: Array<(e: {data: Record<string, unknown>; id?: number | undefined}) => void> = []
  const i = new Insights({
    history: new FileHistory('/nonexistent'),
    now: () => now,
    subscribe(l) {
      listeners.push(l)
      return () => {}
    },
  })
  return {
    i,
    emit(id: number, data: Record<string, unknown>) {
      for (const l of listeners) l({id, data})
    },
  }
}

describe('insights', () => {
  it('percentiles by nearest rank', () => {
    expect(percentiles([])).toEqual({n: 0, p50: null, p95: null})
    expect(percentiles([5])).toEqual({n: 1, p50: 5, p95: 5})
    const hundred = Array.from({length: 100}, (_, k) => 100 - k)
    expect(percentiles(hundred)).toEqual({n: 100, p50: 50, p95: 95})
  })

  it('counts decisions per hour, blocks per rule, durations and times to decision; once per seq', async () => {
    const now = Date.UTC(2026, 0, 2, 12, 30)
    const {i, emit} = insights(now)
    await i.snapshot() // starts listening
    const ts = (msAgo: number): string => new Date(now - msAgo).toISOString()
    emit(1, {event: 'command_queued', pending_id: 'a', ts: ts(10_000)})
    emit(2, {event: 'command_approved', pending_id: 'a', ts: ts(4000)})
    emit(2, {event: 'command_approved', pending_id: 'a', ts: ts(4000)})
    emit(3, {event: 'command_executed', duration_ms: 120, ts: ts(3000)})
    emit(4, {event: 'command_blocked', rule: 'destructive.rm', ts: ts(2 * HOUR)})
    emit(5, {event: 'command_blocked', rule: 'destructive.rm', ts: ts(2 * HOUR)})
    emit(6, {event: 'command_blocked', reason: 'cwd:outside-workspace', ts: ts(1000)})
    emit(7, {event: 'command_approved', by: 'policy', pending_id: 'b', ts: ts(1000)})
    emit(8, {event: 'command_expired', pending_id: 'c', ts: ts(25 * HOUR)})
    const s = await i.snapshot()
    const last = s.hours.at(-1)!
    expect(last.counts).toEqual({approved: 1, denied: 0, blocked: 1, expired: 0})
    expect(s.hours.at(-3)!.counts.blocked).toBe(2)
    expect(s.topRules).toEqual([
      {rule: 'destructive.rm', count: 2},
      {rule: 'cwd:outside-workspace', count: 1},
    ])
    expect(s.run).toEqual({n: 1, p50: 120, p95: 120})
    expect(s.decision).toEqual({n: 1, p50: 6000, p95: 6000})
    expect(s.hours.reduce((n, h) => n + h.counts.expired, 0)).toBe(0)
  })

  it('draws SVG with no inline style and no agent text unescaped', () => {
    const now = Date.UTC(2026, 0, 2, 12)
    const hours = Array.from({length: 24}, (_, k) => ({
      start: now - (23 - k) * HOUR,
      counts: {approved: k, denied: 1, blocked: 0, expired: 0},
      run: percentiles(k % 2 ? [k * 10, k * 20] : []),
      decision: percentiles([]),
    }))
    const svg = [
      decisionsChart(hours, ['approved', 'denied', 'blocked', 'expired']),
      percentileChart(hours, (h) => h.run, 'run durations'),
      topRulesChart([{rule: '<script>x</script>', count: 3}]),
    ].join('')
    expect(svg).not.toMatch(/style=/)
    expect(svg).not.toContain('<script>')
    expect(svg).toContain('&lt;script&gt;')
    expect(niceMax(0)).toBe(1)
    expect(niceMax(7)).toBe(10)
    expect(niceMax(120)).toBe(200)
  })
})
