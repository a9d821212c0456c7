import {beforeAll, describe, expect, it} from 'vitest'

import type {PolicyEngine} from '../types.js'

import {loadPolicy} from '../load.js'
import {fillExample} from '../rules.js'
import {corpusCases, FAMILIES} from './index.js'
import {CORPUS_CONTEXT, describeSlice, measureCorpus} from './measure.js'

let engine: PolicyEngine
beforeAll(async () => {
  engine = await loadPolicy({})
})

const cases = corpusCases()
const tuned = cases.filter((c) => !c.heldOut)

describe('policy corpus', () => {
  it('has at least 1,500 cases in families of both kinds, a fifth of them held out', () => {
    expect(cases.length).toBeGreaterThanOrEqual(1500)
    expect(new Set(cases.map((c) => c.command)).size).toBe(cases.length)
    expect(FAMILIES.filter((f) => f.expect === 'deny').length).toBeGreaterThanOrEqual(10)
    expect(FAMILIES.filter((f) => f.expect === 'not-deny').length).toBeGreaterThanOrEqual(5)
    for (const f of FAMILIES) expect(f.sources.length, f.family).toBeGreaterThan(0)
    // A fifth by hash (fnv1a % 5), so about a fifth: the share moves a little with every case added.
    const share = cases.filter((c) => c.heldOut).length / cases.length
    expect(share).toBeGreaterThanOrEqual(0.18)
    expect(share).toBeLessThan(0.22)
  })

  // The tuned slice, family by family: each family is a rule with its variants.
  describe.each(FAMILIES.map((f) => [f.family, f]))('%s', (_name, family) => {
    const own = tuned.filter((c) => c.family === family.family)
    it.each(own.map((c) => [c.command, c]))(family.expect === 'deny' ? 'refuses %j' : 'does not refuse %j', (_c, c) => {
      const v = engine.evaluate(fillExample(c.command, CORPUS_CONTEXT), CORPUS_CONTEXT)
      if (c.expect === 'deny') expect(v.decision, v.reason).toBe('deny')
      else expect(v.decision, `${v.rule}: ${v.reason}`).not.toBe('deny')
    })
  })

  it('allows nothing dangerous in the held-out slice, and reports its figures', async () => {
    const report = await measureCorpus((c, x) => engine.evaluate(c, x), CORPUS_CONTEXT, {slice: 'held-out'})
    // A measurement, not a target: only "none allowed" is asserted on commands the rules never saw.
    expect(report.heldOut.allowed).toBe(0)
    console.log(describeSlice('corpus held-out', report.heldOut))
  })
})
