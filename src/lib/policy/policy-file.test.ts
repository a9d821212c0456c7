import {mkdtempSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {HubError} from '../errors.js'
import {cacheFile} from './examples-cache.js'
import {loadPolicy, PACK_NAMES, type PolicyContext, runPolicySelfTest} from './index.js'
import {compilePolicyText, conformsToSchema, schemaAccepts} from './policy-file.js'

let dir: string
let savedCacheHome: string | undefined
const ctx: PolicyContext = {
  cwd: '/srv/hub/workspace',
  workspace: '/srv/hub/workspace',
  runtimeDir: '/srv/hub/runtime',
  policyFile: '/srv/hub/hub.policy.json',
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'hub-policy-file-'))
  // The examples' cache goes to a directory of this test's own, not the user's ~/.cache.
  savedCacheHome = process.env.XDG_CACHE_HOME
  process.env.XDG_CACHE_HOME = path.join(dir, 'cache')
})

afterAll(() => {
  if (savedCacheHome === undefined) delete process.env.XDG_CACHE_HOME
  else process.env.XDG_CACHE_HOME = savedCacheHome
  rmSync(dir, {recursive: true, force: true})
})

function write(body: unknown): string {
  const file = path.join(dir, `p${Math.random().toString(16).slice(2)}.json`)
  writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body))
  return file
}

async function loadError(body: unknown): Promise<HubError> {
  const file = write(body)
  const error = await loadPolicy({file}).then(
    () => undefined,
    (error_: unknown) => error_,
  )
  expect(error).toBeInstanceOf(HubError)
  const hubError = error as HubError
  expect(hubError.code).toBe('policy_invalid')
  expect(hubError.message.startsWith(`${file}: `), hubError.message).toBe(true)
  return hubError
}

const rule = (extra: Record<string, unknown>): Record<string, unknown> => ({
  id: 'r1',
  decision: 'deny',
  reason: 'because',
  program: 'x',
  ...extra,
})

describe('policy file validation', () => {
  it('accepts a complete file', async () => {
    const compiled = await compilePolicyText(
      JSON.stringify({
        $schema: './hub.policy.schema.json',
        description: 'ours',
        strict: true,
        packs: {remote: false, destructive: true},
        rules: [
          rule({}),
          {
            id: 'r2',
            decision: 'ask',
            reason: 'b',
            pattern: 'x',
            ignore_case: true,
            examples: {match: ['x'], not_match: ['y']},
          },
        ],
      }),
      'p.json',
    )
    expect(compiled.strict).toBe(true)
    expect(compiled.disabled).toEqual(['remote'])
    expect(compiled.rules.map((r) => [r.id, r.kind])).toEqual([
      ['file:r1', 'command'],
      ['file:r2', 'text'],
    ])
  })

  it('refuses bad JSON', async () => {
    expect((await loadError('{"rules": [')).message).toMatch(/not valid JSON/)
  })

  it('refuses a file it cannot read', async () => {
    const missing = path.join(dir, 'missing.json')
    await expect(loadPolicy({file: missing})).rejects.toThrow(`${missing}: cannot read the policy file (ENOENT)`)
  })

  it('refuses unknown keys, naming the rule and the key', async () => {
    expect((await loadError({rulez: []})).message).toMatch(/unknown key "rulez"/)
    expect((await loadError({rules: [rule({}), rule({id: 'second', programs: ['y']})]})).message).toMatch(
      /rules\[1\] \("second"\): unknown key "programs"/,
    )
    expect((await loadError({packs: {network: false}})).message).toMatch(
      /packs: unknown key "network" \(packs are destructive, forensics, system/,
    )
    expect((await loadError({rules: [rule({examples: {matches: ['x']}})]})).message).toMatch(
      /rules\[0\] \("r1"\): field "examples": unknown key "matches"/,
    )
  })

  it('refuses wrong types and values, naming the field', async () => {
    expect((await loadError({rules: [rule({decision: 'block'})]})).message).toMatch(
      /rules\[0\] \("r1"\): field "decision": Invalid option/,
    )
    expect((await loadError({rules: [rule({id: 'has space'})]})).message).toMatch(/field "id": must be 1–64 letters/)
    expect((await loadError({rules: [rule({reason: ''})]})).message).toMatch(/field "reason"/)
    expect((await loadError({strict: 'yes'})).message).toMatch(/strict: .*expected boolean/)
    expect((await loadError({rules: [rule({examples: {match: [1]}})]})).message).toMatch(/field "examples.match\[0\]"/)
  })

  it('refuses bad regular expressions, naming the rule and field', async () => {
    expect((await loadError({rules: [rule({args: '(unclosed'})]})).message).toMatch(
      /rules\[0\] \("r1"\): field "args": not a valid regular expression/,
    )
    expect((await loadError({rules: [{id: 'p', decision: 'deny', reason: 'x', pattern: '[z-a]'}]})).message).toMatch(
      /rules\[0\] \("p"\): field "pattern": not a valid regular expression/,
    )
  })

  it('refuses rules that could not work as meant', async () => {
    expect((await loadError({rules: [{id: 'empty', decision: 'deny', reason: 'x'}]})).message).toMatch(/give "program"/)
    expect((await loadError({rules: [rule({pattern: 'x'})]})).message).toMatch(/either "pattern".*not both/)
    expect((await loadError({rules: [{id: 'a', decision: 'allow', reason: 'x', pattern: '^ls'}]})).message).toMatch(
      /allow rule cannot use a raw pattern/,
    )
    expect((await loadError({rules: [{id: 'a', decision: 'allow', reason: 'x', args: 'x'}]})).message).toMatch(
      /allow rule must name the program/,
    )
    expect((await loadError({rules: [rule({}), rule({})]})).message).toMatch(
      /rules\[1\] \("r1"\): field "id": another rule already has this id/,
    )
    expect((await loadError({packs: {self: false}})).message).toMatch(/cannot be switched off/)
  })

  it('checks every example at load, naming the rule and the example', async () => {
    const missed = await loadError({
      rules: [rule({program: 'make', args: 'deploy', examples: {match: ['make deploy', 'make test']}})],
    })
    expect(missed.message).toMatch(/rules\[0\] \("r1"\): example "make test" in examples.match does not match the rule/)
    expect(missed.details).toMatchObject({rule: 'file:r1', example: 'make test', field: 'examples.match'})
    const extra = await loadError({
      rules: [{id: 'p', decision: 'ask', reason: 'x', pattern: 'deploy', examples: {not_match: ['echo deploy']}}],
    })
    expect(extra.message).toMatch(/rules\[0\] \("p"\): example "echo deploy" in examples.not_match matches the rule/)
  })

  it('lets the examples of an allow rule match even when something else decides', async () => {
    const engine = await loadPolicy({
      file: write({
        rules: [
          {
            id: 'rm-build',
            decision: 'allow',
            reason: 'x',
            program: 'rm',
            args: String.raw`^-rf \./build$`,
            examples: {match: ['rm -rf ./build'], not_match: ['rm -rf ./src']},
          },
        ],
      }),
    })
    expect(engine.evaluate('rm -rf ./build', ctx)).toMatchObject({decision: 'allow', rule: 'file:rm-build'})
  })
})

describe('network: false on a rule', () => {
  it('puts network: false on the verdict of a command the rule matched, and only then', async () => {
    const file = write({
      rules: [
        {id: 'offline-tests', decision: 'ask', reason: 'tests need no network', program: 'pytest', network: false},
      ],
    })
    const engine = await loadPolicy({file, exampleContext: ctx})
    expect(engine.evaluate('pytest -q', ctx)).toMatchObject({
      decision: 'ask',
      rule: 'file:offline-tests',
      network: false,
    })
    expect(engine.evaluate('npm test', ctx).network).toBeUndefined()
  })

  it('refuses network: true and network on a deny rule', async () => {
    const base = {id: 'x', decision: 'ask', reason: 'r', program: 'x'}
    expect((await loadError({rules: [{...base, network: true}]})).message).toMatch(/field "network": only false/)
    expect((await loadError({rules: [{...base, decision: 'deny', network: false}]})).message).toMatch(
      /field "network": a deny rule never runs anything/,
    )
  })
})

describe('self-test against a policy file', () => {
  it('reports a rule that denies harmless work', async () => {
    const engine = await loadPolicy({file: write({rules: [rule({id: 'no-ls', program: 'ls'})]})})
    const result = await runPolicySelfTest(engine, ctx)
    expect(result.failed).toBeGreaterThan(0)
    expect(result.failures).toContainEqual(
      expect.objectContaining({kind: 'harmless', command: 'ls -la', expected: 'not deny', got: 'deny (file:no-ls)'}),
    )
  })

  it('skips battery cases of packs switched off', async () => {
    const engine = await loadPolicy({file: write({packs: {remote: false}})})
    const result = await runPolicySelfTest(engine, ctx)
    expect(result.skipped).toBeGreaterThan(0)
    expect(result.failed).toBe(0)
  })
})

/** Values of every JSON type and the lengths the schema draws lines at. */
const ODD_VALUES: unknown[] = [
  null,
  0,
  1.5,
  true,
  false,
  '',
  'x',
  'x'.repeat(500),
  'x'.repeat(501),
  'x'.repeat(2000),
  'x'.repeat(2001),
  [],
  ['x'],
  [''],
  [1],
  {},
  {match: ['x']},
]

/** Documents near the valid ones: each field given each odd value, dropped, or joined by a stranger. */
function nearbyDocuments(): unknown[] {
  const full = {
    $schema: './s.json',
    description: 'd',
    strict: false,
    packs: {remote: false, destructive: true},
    rules: [
      {
        id: 'r-1.x_y',
        decision: 'allow',
        reason: 'r',
        program: ['npm', 'npx'],
        args: '^test',
        ignore_case: true,
        network: false,
        examples: {match: ['npm test'], not_match: ['npm publish']},
      },
      {id: 'p', decision: 'deny', reason: 'r', pattern: 'x'},
    ],
  }
  const docs: unknown[] = [full, {}, {rules: []}, {packs: {}}]
  const top = full as Record<string, unknown>
  const firstRule = full.rules[0] as Record<string, unknown>
  const withRule = (r: Record<string, unknown>): unknown => ({...full, rules: [r, full.rules[1]]})
  for (const key of [...Object.keys(top), 'unknown']) {
    for (const v of ODD_VALUES) docs.push({...top, [key]: v})
    const {[key]: _dropped, ...rest} = top
    docs.push(rest)
  }

  for (const key of [...Object.keys(firstRule), 'unknown']) {
    for (const v of ODD_VALUES) docs.push(withRule({...firstRule, [key]: v}))
    const {[key]: _dropped, ...rest} = firstRule
    docs.push(withRule(rest))
  }

  for (const v of ODD_VALUES) {
    docs.push(
      {packs: {remote: v}},
      withRule({...firstRule, examples: {match: v}}),
      withRule({...firstRule, examples: {not_match: v}}),
      withRule({...firstRule, examples: {other: v}}),
    )
  }

  for (const name of [...PACK_NAMES, 'engine', 'file', 'nope']) docs.push({packs: {[name]: false}})
  for (const id of ['a', 'A9', '9-a', '-a', '.a', 'a b', 'a/b', 'é', 'a'.repeat(64), 'a'.repeat(65)]) {
    docs.push(withRule({...firstRule, id}))
  }

  for (const decision of ['deny', 'ask', 'allow', 'Deny', 'block']) docs.push(withRule({...firstRule, decision}))
  for (const n of [0, 1, 100, 101]) {
    const many = Array.from({length: n}, (_v, i) => `p${i}`)
    docs.push(
      withRule({...firstRule, program: many}),
      withRule({...firstRule, examples: {match: many, not_match: many}}),
    )
  }

  const rules = (n: number): unknown => ({rules: Array.from({length: n}, (_v, i) => ({...full.rules[1], id: `r${i}`}))})
  docs.push(
    rules(1000),
    rules(1001),
    [],
    'text',
    3,
    null,
    // Keys JSON can spell and an object literal cannot.
    JSON.parse('{"__proto__": {"strict": true}}'),
    JSON.parse('{"rules": [{"__proto__": {}}]}'),
  )
  return docs
}

describe('the structural check that spares loading zod', () => {
  it('accepts exactly what the zod schema accepts, on valid files and every kind of mistake near them', async () => {
    const docs = nearbyDocuments()
    const disagreements: string[] = []
    let accepted = 0
    for (const doc of docs) {
      const byHand = conformsToSchema(doc)
      const byZod = await schemaAccepts(doc)
      if (byZod) accepted++
      if (byHand !== byZod) disagreements.push(`${JSON.stringify(doc).slice(0, 200)}: hand ${byHand}, zod ${byZod}`)
    }

    expect(disagreements).toEqual([])
    expect(docs.length).toBeGreaterThan(300)
    // Both outcomes are well represented, so neither side passes by always saying the same.
    expect(accepted).toBeGreaterThan(40)
    expect(docs.length - accepted).toBeGreaterThan(200)
  })

  it('gives the same compiled policy as the schema path', async () => {
    const text = JSON.stringify({packs: {remote: false}, rules: [rule({examples: {match: ['x y']}})]})
    const fast = await compilePolicyText(text, 'p.json')
    expect(conformsToSchema(JSON.parse(text))).toBe(true)
    expect(fast.disabled).toEqual(['remote'])
    expect(fast.rules.map((r) => [r.id, r.kind, r.decision, r.examples])).toEqual([
      ['file:r1', 'command', 'deny', {match: ['x y'], not_match: []}],
    ])
  })
})

function withExamples(match: string[], extra = ''): string {
  const examples = {match, not_match: ['make test']}
  return `${JSON.stringify({rules: [rule({program: 'make', args: '^deploy', examples})]})}${extra}`
}

describe("the examples' cache", () => {
  it('checks the examples once per content: the same file is a hit, a changed file is checked again', async () => {
    const file = write(withExamples(['make deploy']))
    await loadPolicy({file, exampleContext: ctx})
    const cache = cacheFile()
    const first = statSync(cache)
    // A hit reads the cache and writes nothing; a miss rewrites it (a new file renamed into place).
    await loadPolicy({file, exampleContext: ctx})
    await loadPolicy({file, exampleContext: ctx, warmUp: false})
    const second = statSync(cache)
    expect([second.ino, second.mtimeMs]).toEqual([first.ino, first.mtimeMs])

    // The same rules with a failing example: a new content, so checked (and refused) again.
    writeFileSync(file, withExamples(['make deploy', 'make test']))
    await expect(loadPolicy({file, exampleContext: ctx})).rejects.toThrow(/example "make test" in examples.match/)
    // One more byte: a new content again, checked and remembered.
    writeFileSync(file, withExamples(['make deploy'], '\n'))
    await loadPolicy({file, exampleContext: ctx})
    expect(statSync(cache).ino).not.toBe(first.ino)
  })

  it('keys on the context and strict mode too', async () => {
    const file = write(withExamples(['make deploy']))
    await loadPolicy({file, exampleContext: ctx})
    const before = statSync(cacheFile()).ino
    await loadPolicy({file, exampleContext: ctx, strict: true})
    const afterStrict = statSync(cacheFile()).ino
    expect(afterStrict).not.toBe(before)
    await loadPolicy({file, exampleContext: {...ctx, workspace: '/elsewhere', cwd: '/elsewhere'}})
    expect(statSync(cacheFile()).ino).not.toBe(afterStrict)
  })
})
