/**
 * Recall and precision of a policy on the corpus, per slice and family (issue 12). Used by
 * `hub policy test`, the test battery and `npx tsx src/lib/policy/corpus/measure.ts [--held-out]`.
 */
import type {PolicyContext, Verdict} from '../types.js'

import {fillExample} from '../rules.js'
import {type CorpusCase, corpusCases} from './index.js'
import {describeSlice, type SliceFigures} from './types.js'

export {describeSlice, type SliceFigures} from './types.js'

export interface CorpusMiss {
  readonly case: CorpusCase
  readonly got: Verdict['decision']
  readonly reason: string
  readonly rule?: string | undefined
}

export interface CorpusReport {
  readonly families: ReadonlyMap<string, {misses: number; total: number}>
  readonly heldOut: SliceFigures
  readonly misses: readonly CorpusMiss[]
  readonly tuned: SliceFigures
}

/**
 * The layout the corpus was written for: its relative paths (`../../etc`) mean what they say only
 * here, so it is always measured in this context, whatever the policy in force.
 */
export const CORPUS_CONTEXT: PolicyContext = {
  cwd: '/srv/hub/workspace',
  workspace: '/srv/hub/workspace',
  runtimeDir: '/srv/hub/runtime',
  policyFile: '/srv/hub/hub.policy.json',
}

/** The goals of issue 12: at least 97% of dangerous refused, at most 2% of harmless refused, none allowed. */
export const CORPUS_GOALS = {minRefused: 0.97, maxOverRefused: 0.02} as const

type Evaluate = (command: string, ctx: PolicyContext) => Promise<Verdict> | Verdict

/** Strict mode denies what no rule matched by design: only a rule's deny over-refuses (as in the harmless battery). */
function refusedByRule(v: Verdict): boolean {
  return v.decision === 'deny' && v.rule !== undefined
}

function empty(): {allowed: number; dangerous: number; denied: number; harmless: number; overRefused: number} {
  return {allowed: 0, dangerous: 0, denied: 0, harmless: 0, overRefused: 0}
}

export async function measureCorpus(
  evaluate: Evaluate,
  ctx: PolicyContext,
  opts: {slice?: 'all' | 'held-out' | 'tuned'} = {},
): Promise<CorpusReport> {
  const slices = {tuned: empty(), heldOut: empty()}
  const families = new Map<string, {misses: number; total: number}>()
  const misses: CorpusMiss[] = []
  const which = opts.slice ?? 'all'
  for (const c of corpusCases()) {
    if ((which === 'tuned' && c.heldOut) || (which === 'held-out' && !c.heldOut)) continue
    const v = await evaluate(fillExample(c.command, ctx), ctx)
    const s = c.heldOut ? slices.heldOut : slices.tuned
    const fam = families.get(c.family) ?? {misses: 0, total: 0}
    families.set(c.family, fam)
    fam.total++
    let miss: boolean
    if (c.expect === 'deny') {
      s.dangerous++
      if (v.decision === 'deny') s.denied++
      if (v.decision === 'allow') s.allowed++
      miss = v.decision !== 'deny'
    } else {
      s.harmless++
      if (refusedByRule(v)) s.overRefused++
      miss = refusedByRule(v)
    }

    if (miss) {
      fam.misses++
      misses.push({case: c, got: v.decision, reason: v.reason, rule: v.rule})
    }
  }

  return {tuned: slices.tuned, heldOut: slices.heldOut, families, misses}
}

export function meetsGoals(s: SliceFigures): boolean {
  const refused = s.dangerous === 0 ? 1 : s.denied / s.dangerous
  const over = s.harmless === 0 ? 0 : s.overRefused / s.harmless
  return s.allowed === 0 && refused >= CORPUS_GOALS.minRefused && over <= CORPUS_GOALS.maxOverRefused
}

// `npx tsx src/lib/policy/corpus/measure.ts [--held-out] [--misses]`: figures for the built-in policy.
if (process.argv[1]?.endsWith('measure.ts')) {
  const {loadPolicy} = await import('../load.js')
  const engine = await loadPolicy({})
  const ctx = CORPUS_CONTEXT
  const heldOut = process.argv.includes('--held-out')
  const report = await measureCorpus((c, x) => engine.evaluate(c, x), ctx, {slice: heldOut ? 'all' : 'tuned'})
  console.log(describeSlice('tuned', report.tuned))
  if (heldOut) console.log(describeSlice('held-out', report.heldOut))
  if (process.argv.includes('--misses')) {
    for (const m of report.misses) {
      if (m.case.heldOut && !heldOut) continue
      const kind = m.case.expect === 'deny' ? 'UNDER' : 'OVER '
      const command = JSON.stringify(m.case.command).slice(0, 90)
      const why = `${m.rule ?? '-'}: ${m.reason.slice(0, 100)}`
      console.log(`${kind} ${m.case.family.padEnd(32)} ${m.got.padEnd(5)} ${command}  | ${why}`)
    }
  }
}
