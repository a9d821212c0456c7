/**
 * Figures for the charts, over the last 24 hours: decisions per hour, the rules that block most, run
 * durations and time to decision (p50/p95 per hour). Filled once from the audit log (the same query
 * engine as `hub audit`) the first time someone looks, then kept current from the live events, so a
 * page view never reads the log again.
 */
import type {AuditLine} from '../../lib/audit/entry.js'
import type {HubHistory} from '../../lib/stores/history.js'

import {auditTsMs} from '../../lib/audit/time-range.js'

export const WINDOW_HOURS = 24
const HOUR = 3_600_000
/** Samples kept per hour and series; beyond it the percentiles are over the first ones (said on the page). */
export const MAX_SAMPLES = 5000
const MAX_QUEUED_TRACKED = 100_000

export const DECISIONS = ['approved', 'denied', 'blocked', 'expired'] as const
export type DecisionKind = (typeof DECISIONS)[number]

interface Bucket {
  counts: Record<DecisionKind, number>
  decisionMs: number[]
  rules: Map<string, number>
  runMs: number[]
  sampled: boolean
}

export interface HourFigures {
  counts: Record<DecisionKind, number>
  decision: Percentiles
  run: Percentiles
  start: number
}

export interface Percentiles {
  n: number
  p50: null | number
  p95: null | number
}

export interface InsightSnapshot {
  decision: Percentiles
  hours: HourFigures[]
  run: Percentiles
  sampled: boolean
  topRules: Array<{count: number; rule: string}>
}

export function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return {n: 0, p50: null, p95: null}
  const sorted = [...values].sort((a, b) => a - b)
  const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!
  return {n: sorted.length, p50: at(0.5), p95: at(0.95)}
}

type Subscribe = (listener: (e: {data: Record<string, unknown>; id?: number | undefined}) => void) => () => void

export class Insights {
  private readonly buckets = new Map<number, Bucket>()
  private lastSeq = 0
  private readonly queuedAt = new Map<string, number>()
  private ready: Promise<void> | undefined

  constructor(
    private readonly opts: {
      /** Where the backfill reads (the daemon's history: the runtime files, or the team database). */
      history: Pick<HubHistory, 'auditEntries'>
      now?: () => number
      subscribe: Subscribe
    },
  ) {}

  /** Feeds one audit line (from the log or from the live stream). */
  ingest(line: AuditLine): void {
    const seq = typeof line.seq === 'number' ? line.seq : undefined
    if (seq !== undefined) {
      if (seq <= this.lastSeq) return
      this.lastSeq = seq
    }

    const at = auditTsMs(line.ts)
    if (Number.isNaN(at)) return
    const id = typeof line.pending_id === 'string' ? line.pending_id : undefined
    if (line.event === 'command_queued' && id) {
      if (this.queuedAt.size >= MAX_QUEUED_TRACKED) this.queuedAt.delete(this.queuedAt.keys().next().value!)
      this.queuedAt.set(id, at)
      return
    }

    if (at < this.now() - WINDOW_HOURS * HOUR) return
    this.count(line, this.bucket(at), id, at)
  }

  async snapshot(): Promise<InsightSnapshot> {
    this.ready ??= this.backfill()
    await this.ready
    const now = this.now()
    const first = Math.floor(now / HOUR) * HOUR - (WINDOW_HOURS - 1) * HOUR
    for (const start of this.buckets.keys()) if (start < first) this.buckets.delete(start)
    const hours: HourFigures[] = []
    const rules = new Map<string, number>()
    const allRun: number[] = []
    const allDecision: number[] = []
    let sampled = false
    for (let i = 0; i < WINDOW_HOURS; i++) {
      const start = first + i * HOUR
      const b = this.buckets.get(start)
      if (!b) {
        hours.push({
          start,
          counts: {approved: 0, denied: 0, blocked: 0, expired: 0},
          run: percentiles([]),
          decision: percentiles([]),
        })
        continue
      }

      sampled ||= b.sampled
      for (const [rule, n] of b.rules) rules.set(rule, (rules.get(rule) ?? 0) + n)
      allRun.push(...b.runMs)
      allDecision.push(...b.decisionMs)
      hours.push({start, counts: {...b.counts}, run: percentiles(b.runMs), decision: percentiles(b.decisionMs)})
    }

    const topRules = [...rules]
      .map(([rule, count]) => ({rule, count}))
      .sort((a, b) => b.count - a.count || a.rule.localeCompare(b.rule))
      .slice(0, 10)
    return {hours, topRules, run: percentiles(allRun), decision: percentiles(allDecision), sampled}
  }

  private async backfill(): Promise<void> {
    // Listen first and hold what arrives during the read, so nothing falls between the two.
    const held: AuditLine[] = []
    let live = false
    this.opts.subscribe((e) => {
      // run_output events have no id and no audit line behind them: nothing to count.
      if (e.id === undefined) return
      const line = {event: '', ...e.data, seq: e.id} as AuditLine
      if (live) this.ingest(line)
      else held.push(line)
    })
    // Queued lines from before the window are needed for the time to decision of requests decided in it.
    const since = this.now() - (WINDOW_HOURS + 24) * HOUR
    await this.opts.history.auditEntries({since}, (entry) => this.ingest(entry))
    for (const line of held) this.ingest(line)
    live = true
  }

  private bucket(at: number): Bucket {
    const start = Math.floor(at / HOUR) * HOUR
    let b = this.buckets.get(start)
    if (!b) {
      b = {
        counts: {approved: 0, denied: 0, blocked: 0, expired: 0},
        rules: new Map(),
        runMs: [],
        decisionMs: [],
        sampled: false,
      }
      this.buckets.set(start, b)
    }

    return b
  }

  private count(line: AuditLine, b: Bucket, id: string | undefined, at: number): void {
    switch (line.event) {
      case 'command_approved': {
        // Approvals by an allow rule are not an operator's decision.
        if (line.by === 'policy') return
        b.counts.approved++
        this.decided(b, id, at)
        break
      }

      case 'command_denied': {
        b.counts.denied++
        this.decided(b, id, at)
        break
      }

      case 'command_blocked': {
        b.counts.blocked++
        const rule = typeof line.rule === 'string' && line.rule ? line.rule : String(line.reason ?? 'unknown')
        b.rules.set(rule, (b.rules.get(rule) ?? 0) + 1)
        if (id) this.queuedAt.delete(id)
        break
      }

      case 'command_expired': {
        b.counts.expired++
        if (id) this.queuedAt.delete(id)
        break
      }

      case 'command_executed': {
        if (typeof line.duration_ms === 'number') this.sample(b, b.runMs, line.duration_ms)
        break
      }

      default: {
        break
      }
    }
  }

  private decided(b: Bucket, id: string | undefined, at: number): void {
    if (!id) return
    const queued = this.queuedAt.get(id)
    this.queuedAt.delete(id)
    if (queued !== undefined && at >= queued) this.sample(b, b.decisionMs, at - queued)
  }

  private now(): number {
    return (this.opts.now ?? Date.now)()
  }

  private sample(b: Bucket, into: number[], value: number): void {
    if (into.length >= MAX_SAMPLES) b.sampled = true
    else into.push(value)
  }
}
