import {beforeAll, describe, expect, it} from 'vitest'

import {loadPolicy, PACK_NAMES, type PolicyContext, type PolicyEngine} from './index.js'
import {BUILTIN_PACKS} from './packs/index.js'
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

const rules = BUILTIN_PACKS.flatMap((p) => p.rules)

describe('built-in packs', () => {
  it('has every pack SPEC §4.3 names, plus the engine checks', () => {
    expect(BUILTIN_PACKS.map((p) => p.name).sort()).toEqual([...PACK_NAMES, 'engine'].sort())
  })

  it('gives every rule a unique id in its pack, a reason, and examples both ways', () => {
    const ids = rules.map((r) => r.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const rule of rules) {
      expect(rule.id.startsWith(`${rule.pack}.`), rule.id).toBe(true)
      expect(rule.reason.length, rule.id).toBeGreaterThan(10)
      expect(rule.examples.match.length, rule.id).toBeGreaterThan(0)
      expect(rule.examples.not_match.length, rule.id).toBeGreaterThan(0)
    }
  })

  for (const pack of BUILTIN_PACKS) {
    describe(pack.name, () => {
      for (const rule of pack.rules) {
        it.each(rule.examples.match.map((e) => [e]))(`${rule.id} matches %j`, (example) => {
          const v = engine.evaluate(fillExample(example, ctx), ctx)
          expect(
            v.matches.map((m) => m.rule),
            v.reason,
          ).toContain(rule.id)
          // A match of a deny rule makes the whole request a deny.
          if (rule.decision === 'deny') expect(v.decision).toBe('deny')
          else expect(v.decision).not.toBe('allow')
        })
        it.each(rule.examples.not_match.map((e) => [e]))(`${rule.id} does not match %j`, (example) => {
          const v = engine.evaluate(fillExample(example, ctx), ctx)
          expect(v.matches.map((m) => m.rule)).not.toContain(rule.id)
        })
      }
    })
  }
})

describe('the seed compatibility', () => {
  it('refuses the seed example with a rule id that fits the deny:<rule> reason form', () => {
    const v = engine.evaluate(String.raw`Remove-Item C:\Windows\*`, ctx)
    expect(v.decision).toBe('deny')
    expect(`deny:${v.rule}`).toBe('deny:powershell.remove-item')
    expect(v.matches[0]?.command).toBe(String.raw`Remove-Item C:\Windows\*`)
  })

  it('refuses what the seed pattern refused outside the workspace, and judges workspace paths like bash', () => {
    const seed = /\b(Remove-Item|del)/
    for (const c of [
      String.raw`Remove-Item C:\x`,
      String.raw`del C:\x`,
      String.raw`del /q C:\x`,
      String.raw`ls; del C:\x`,
    ]) {
      expect(seed.test(c)).toBe(true)
      expect(engine.evaluate(c, ctx).decision, c).toBe('deny')
    }

    // The seed refused these too; deleting inside the workspace is the operator's call (issue 12).
    for (const c of ['Remove-Item x', 'del x', String.raw`Remove-Item .\build -Recurse -Force`]) {
      expect(engine.evaluate(c, ctx).decision, c).toBe('ask')
    }

    // Data and help are never commands.
    for (const c of [
      String.raw`Write-Output "Remove-Item C:\ -Recurse"`,
      'Get-Help Remove-Item',
      String.raw`Select-String -Pattern 'del C:\'`,
    ]) {
      expect(engine.evaluate(c, ctx).decision, c).not.toBe('deny')
    }
  })
})
