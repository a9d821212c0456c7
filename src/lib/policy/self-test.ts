/**
 * `hub policy test` (SPEC §4.5): every rule's examples, the evasion battery and the harmless
 * battery, run against the policy in force. A miss is reported with what was expected and what
 * the engine said, so the operator can see which rule or which file setting is responsible.
 */

import path from 'node:path'

import type {Decision, PolicyContext, PolicyEngine, Verdict} from './types.js'

import {type BatteryCase, EVASION_BATTERY, HARMLESS_BATTERY} from './batteries.js'
import {CORPUS_CONTEXT, measureCorpus, type SliceFigures} from './corpus/measure.js'
import {Engine} from './engine.js'
import {BUILTIN_PACKS} from './packs/index.js'
import {fillExample, type Rule} from './rules.js'

export interface SelfTestFailure {
  readonly command: string
  readonly expected: string
  readonly got: string
  readonly kind: 'corpus' | 'evasion' | 'example' | 'harmless'
  readonly reason: string
  /** The rule whose example failed. */
  readonly rule?: string | undefined
}

export interface SelfTestResult {
  /**
   * The corpus (issue 12) against the policy in force: figures for the tuned and the held-out slice.
   * Misses of the tuned slice count as failures when every pack is on and strict mode is off (the
   * policy the corpus describes); the held-out slice is only ever reported.
   */
  readonly corpus: {readonly counted: boolean; readonly heldOut: SliceFigures; readonly tuned: SliceFigures}
  readonly counts: {
    readonly corpus: number
    readonly evasion: number
    readonly examples: number
    readonly harmless: number
  }
  readonly failed: number
  readonly failures: SelfTestFailure[]
  readonly passed: number
  /** Battery cases for packs the policy file switched off. */
  readonly skipped: number
}

const RANK: Record<Decision, number> = {deny: 0, ask: 1, allow: 2}

function rulesInForce(engine: PolicyEngine): readonly Rule[] {
  if (engine instanceof Engine) return engine.config.rules
  return BUILTIN_PACKS.flatMap((p) => p.rules)
}

function contextFor(c: BatteryCase, ctx: PolicyContext): PolicyContext {
  return c.cwd === undefined ? ctx : {...ctx, cwd: path.posix.resolve(fillExample(c.cwd, ctx))}
}

function describe(v: Verdict): string {
  return `${v.decision}${v.rule ? ` (${v.rule})` : ''}`
}

export async function runPolicySelfTest(engine: PolicyEngine, ctx: PolicyContext): Promise<SelfTestResult> {
  const failures: SelfTestFailure[] = []
  let passed = 0
  let examples = 0
  const rules = rulesInForce(engine)
  for (const rule of rules) {
    for (const [list, wanted] of [
      [rule.examples.match, true],
      [rule.examples.not_match, false],
    ] as const) {
      for (const example of list) {
        examples++
        const command = fillExample(example, ctx)
        const verdict = engine.evaluate(command, ctx)
        const hit = verdict.matches.some((m) => m.rule === rule.id)
        if (hit === wanted) {
          passed++
          continue
        }

        failures.push({
          kind: 'example',
          rule: rule.id,
          command,
          expected: wanted ? `matches ${rule.id}` : `does not match ${rule.id}`,
          got: describe(verdict),
          reason: verdict.reason,
        })
      }
    }
  }

  const packs = new Set(engine.describe().packs)
  let skipped = 0
  let evasion = 0
  for (const c of EVASION_BATTERY) {
    if (!packs.has(c.pack)) {
      skipped++
      continue
    }

    evasion++
    const command = fillExample(c.command, ctx)
    const verdict = engine.evaluate(command, contextFor(c, ctx))
    const want = c.atLeast ?? 'ask'
    if (RANK[verdict.decision] <= RANK[want]) passed++
    else
      failures.push({
        kind: 'evasion',
        command,
        expected: want === 'deny' ? 'deny' : 'ask or deny',
        got: describe(verdict),
        reason: verdict.reason,
      })
  }

  const {strict} = engine.describe()
  let harmless = 0
  for (const c of HARMLESS_BATTERY) {
    harmless++
    const command = fillExample(c.command, ctx)
    const verdict = engine.evaluate(command, contextFor(c, ctx))
    // Strict mode blocks what no rule matches by design; only a rule's deny is a miss here.
    const ruleDenied = verdict.decision === 'deny' && !(strict && verdict.rule === undefined)
    if (ruleDenied) {
      failures.push({kind: 'harmless', command, expected: 'not deny', got: describe(verdict), reason: verdict.reason})
    } else {
      passed++
    }
  }

  const optional = BUILTIN_PACKS.filter((p) => p.optional).map((p) => p.name)
  const counted = !strict && optional.every((p) => packs.has(p))
  const corpusCtx = {...CORPUS_CONTEXT, policyFile: ctx.policyFile ?? CORPUS_CONTEXT.policyFile}
  const report = await measureCorpus((c, x) => engine.evaluate(c, x), corpusCtx)
  const corpusCount =
    report.tuned.dangerous + report.tuned.harmless + report.heldOut.dangerous + report.heldOut.harmless
  // Only the tuned slice counts: the held-out slice measures commands the rules were not written
  // from, and stays a measurement (reported below), never a target.
  for (const m of report.misses.filter((x) => !x.case.heldOut)) {
    const failure: SelfTestFailure = {
      kind: 'corpus',
      command: fillExample(m.case.command, corpusCtx),
      expected: m.case.expect === 'deny' ? `deny (${m.case.family})` : `not deny (${m.case.family})`,
      got: `${m.got}${m.rule ? ` (${m.rule})` : ''}`,
      reason: m.reason,
    }
    if (counted) failures.push(failure)
  }

  const tunedCount = report.tuned.dangerous + report.tuned.harmless
  passed += counted ? tunedCount - report.misses.filter((x) => !x.case.heldOut).length : 0
  return {
    passed,
    failed: failures.length,
    skipped,
    counts: {examples, evasion, harmless, corpus: corpusCount},
    corpus: {counted, tuned: report.tuned, heldOut: report.heldOut},
    failures,
  }
}
