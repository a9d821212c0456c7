import path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'

import {
  EVASION_BATTERY,
  HARMLESS_BATTERY,
  loadPolicy,
  type PolicyContext,
  type PolicyEngine,
  runPolicySelfTest,
} from './index.js'
import {fillExample} from './rules.js'

const ctx: PolicyContext = {
  cwd: '/srv/hub/workspace',
  workspace: '/srv/hub/workspace',
  runtimeDir: '/srv/hub/runtime',
  policyFile: '/srv/hub/hub.policy.json',
}
let engine: PolicyEngine

beforeAll(async () => {
  engine = await loadPolicy({})
})

const contextFor = (cwd: string | undefined): PolicyContext =>
  cwd === undefined ? ctx : {...ctx, cwd: path.posix.resolve(fillExample(cwd, ctx))}

describe('evasion battery', () => {
  it('has at least 150 cases across the categories', () => {
    expect(EVASION_BATTERY.length).toBeGreaterThanOrEqual(150)
    const packs = new Set(EVASION_BATTERY.map((c) => c.pack))
    for (const p of ['destructive', 'system', 'bypass', 'remote', 'credentials', 'self', 'powershell', 'engine'])
      expect(packs).toContain(p)
    expect(new Set(EVASION_BATTERY.map((c) => `${c.command}\u0000${c.cwd ?? ''}`)).size).toBe(EVASION_BATTERY.length)
  })

  it.each(EVASION_BATTERY.map((c) => [c.command, c]))('refuses %j', (_name, c) => {
    const v = engine.evaluate(fillExample(c.command, ctx), contextFor(c.cwd))
    if (c.atLeast === 'deny') expect(v.decision, v.reason).toBe('deny')
    else expect(v.decision, v.reason).not.toBe('allow')
  })
})

describe('harmless battery', () => {
  it.each(HARMLESS_BATTERY.map((c) => [c.command, c]))('does not deny %j', (_name, c) => {
    const v = engine.evaluate(fillExample(c.command, ctx), contextFor(c.cwd))
    expect(v.decision, `${v.rule}: ${v.reason}`).toBe('ask')
  })
})

describe('self-test', () => {
  it('passes against the built-in policy', async () => {
    const result = await runPolicySelfTest(engine, ctx)
    expect(result.failures).toEqual([])
    expect(result.failed).toBe(0)
    expect(result.counts.evasion).toBe(EVASION_BATTERY.length)
    expect(result.counts.harmless).toBe(HARMLESS_BATTERY.length)
    expect(result.corpus.counted).toBe(true)
    const tuned = result.corpus.tuned.dangerous + result.corpus.tuned.harmless
    expect(result.passed).toBe(result.counts.examples + result.counts.evasion + result.counts.harmless + tuned)
  })

  it('reports misses of a weakened policy, and skips cases of switched-off packs', async () => {
    const strictOnly = await loadPolicy({strict: true})
    const strictResult = await runPolicySelfTest(strictOnly, ctx)
    // Strict mode blocks unmatched commands by design: the harmless battery does not count that.
    expect(strictResult.failures.filter((f) => f.kind === 'harmless')).toEqual([])
  })
})
