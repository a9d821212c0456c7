import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {Engine} from './engine.js'
import {loadPolicy, type PolicyContext, type PolicyEngine, type RuleMatch} from './index.js'
import {BUILTIN_PACKS} from './packs/index.js'
import {loadShellParser} from './parser.js'

const ctx: PolicyContext = {
  cwd: '/srv/hub/workspace',
  workspace: '/srv/hub/workspace',
  runtimeDir: '/srv/hub/runtime',
  policyFile: '/srv/hub/hub.policy.json',
}
function at(cwd: string): PolicyContext {
  return {...ctx, cwd}
}

let engine: PolicyEngine
let dir: string

const POLICY = {
  rules: [
    {
      id: 'npm-test',
      decision: 'allow',
      reason: 'tests are safe',
      program: 'npm',
      args: String.raw`^(test|run lint)\b`,
      examples: {match: ['npm test'], not_match: ['npm publish', 'npm install']},
    },
    {id: 'ls', decision: 'allow', reason: 'listing is harmless', program: ['ls', '/bin/ls']},
    {
      id: 'no-terraform-destroy',
      decision: 'deny',
      reason: 'never destroy infrastructure',
      pattern: String.raw`\bterraform\s+destroy\b`,
      ignore_case: true,
      examples: {match: ['TERRAFORM destroy -auto-approve'], not_match: ['terraform plan']},
    },
    {
      id: 'ask-make-deploy',
      decision: 'ask',
      reason: 'deploys need a look',
      program: 'make',
      args: String.raw`\bdeploy\b`,
    },
  ],
}

function writePolicy(name: string, body: unknown): string {
  const file = path.join(dir, name)
  writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body))
  return file
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'hub-policy-engine-'))
  engine = await loadPolicy({})
})

afterAll(() => {
  rmSync(dir, {recursive: true, force: true})
})

describe('decisions', () => {
  it('asks when no rule matches, and says so', () => {
    const v = engine.evaluate('ls -la', ctx)
    expect(v).toMatchObject({decision: 'ask', rule: undefined, matches: []})
    expect(v.reason).toMatch(/no rule matched/)
  })

  it('lets deny win over ask, and puts the deciding match first', () => {
    const v = engine.evaluate('cat .env; rm -rf /etc', ctx)
    expect(v.decision).toBe('deny')
    expect(v.rule).toBe('destructive.delete-outside-workspace')
    expect(v.matches[0]?.rule).toBe('destructive.delete-outside-workspace')
    expect(v.matches.map((m) => m.rule)).toContain('credentials.dotenv')
    expect(v.reason).toBe('rm -rf outside the workspace: /etc')
  })

  it('gives every match its command and pack', () => {
    const v = engine.evaluate('sudo rm -rf /etc', ctx)
    expect(v.matches).toContainEqual({
      rule: 'system.privilege-escalation',
      pack: 'system',
      decision: 'deny',
      reason: 'runs with other privileges: sudo',
      command: 'sudo rm -rf /etc',
    })
    expect(v.commands).toEqual([
      {program: 'rm', args: ['-rf', '/etc'], text: 'sudo rm -rf /etc', via: ['sudo'], normalised: 'rm -rf /etc'},
    ])
  })

  it('never allows without an operator rule', () => {
    for (const c of ['ls', 'true', 'echo hi', 'git status']) expect(engine.evaluate(c, ctx).decision).toBe('ask')
  })

  it('keeps the seed pattern on raw-text matches', async () => {
    const {compilePolicyText} = await import('./policy-file.js')
    const compiled = await compilePolicyText(
      JSON.stringify({
        rules: [{id: 'no-del', decision: 'deny', reason: 'seed', pattern: String.raw`\b(Remove-Item|del)`}],
      }),
      '/x/hub.policy.json',
    )
    const e = new Engine(await loadShellParser(), {rules: compiled.rules, strict: false, packs: ['file']})
    const v = e.evaluate(String.raw`Remove-Item C:\Windows\*`, ctx)
    expect(v.decision).toBe('deny')
    expect(v.rule).toBe('file:no-del')
    expect(v.matches[0]?.pattern).toContain('Remove-Item')
    expect(v.matches[0]?.command).toBeUndefined()
  })

  it('calls onMatch for each match', async () => {
    const seen: [RuleMatch, string][] = []
    const e = await loadPolicy({onMatch: (m, c) => seen.push([m, c])})
    e.evaluate('sudo rm -rf /etc', ctx)
    expect(seen.map(([m]) => m.rule).sort()).toEqual([
      'destructive.delete-outside-workspace',
      'system.privilege-escalation',
    ])
    expect(seen[0]?.[1]).toBe('sudo rm -rf /etc')
  })

  it('describes what is in force', () => {
    expect(engine.describe()).toEqual({
      packs: BUILTIN_PACKS.map((p) => p.name),
      file: undefined,
      strict: false,
      rules: BUILTIN_PACKS.reduce((n, p) => n + p.rules.length, 0),
    })
  })

  it('does not treat data as execution', () => {
    for (const c of [
      'echo "rm -rf /"',
      'grep "rm -rf" notes.txt',
      "printf '%s' 'curl x | sh'",
      'echo "cat ~/.ssh/id_rsa"',
      'git commit -m "rm -rf / is bad"',
    ]) {
      expect(engine.evaluate(c, ctx).decision, c).toBe('ask')
    }
  })
})

describe('failing closed', () => {
  it.each([
    ['$CMD', 'engine.opaque-command'],
    ['$(get) x', 'engine.opaque-command'],
    ['`get` x', 'engine.opaque-command'],
    ['r*m x', 'engine.opaque-command'],
    ["echo 'open", 'engine.parse-error'],
    ['if then fi', 'engine.parse-error'],
    ['ls\u202E', 'engine.invisible-chars'],
    ['ls\u200B', 'engine.invisible-chars'],
    ['ls\u001B[31m', 'engine.invisible-chars'],
    [`echo ${'a'.repeat(10_001)}`, 'engine.over-budget'],
    [`echo ${'$(echo '.repeat(140)}x${')'.repeat(140)}`, 'engine.over-budget'],
  ])('%j is at least asked (%s)', (command, rule) => {
    const v = engine.evaluate(command, ctx)
    expect(v.decision).not.toBe('allow')
    expect(v.matches.map((m) => m.rule)).toContain(rule)
  })

  it('denies a NUL byte', () => {
    expect(engine.evaluate('ls\u0000', ctx)).toMatchObject({decision: 'deny', rule: 'engine.nul-byte'})
  })

  it('still refuses what it can see in input that does not parse', () => {
    expect(engine.evaluate('rm -rf /etc; (', ctx).decision).toBe('deny')
    expect(engine.evaluate('{rm,-rf,/etc}', ctx).decision).toBe('deny')
  })

  it('refuses when the node budget is exceeded, saying so', async () => {
    const e = new Engine(await loadShellParser(), {rules: [], strict: false, packs: [], limits: {maxNodes: 10}})
    const v = e.evaluate('a b c d e f g h i j k l', ctx)
    expect(v.decision).toBe('deny')
    expect(v.reason).toMatch(/^too complex to analyse: .*syntax nodes.*; simplify or split it$/)
  })

  it('refuses when the parser work budget runs out, the same way every time', async () => {
    const rules = BUILTIN_PACKS.flatMap((p) => p.rules)
    const e = new Engine(await loadShellParser(), {rules, strict: false, packs: [], limits: {maxParseSteps: 1}})
    const big = Array.from({length: 300}, (_, i) => `echo ${i} "$(a${i})"`).join('\n')
    for (let i = 0; i < 3; i++) {
      const v = e.evaluate(big, ctx)
      expect(v.decision).toBe('deny')
      expect(v.rule).toBe('engine.over-budget')
      expect(v.reason).toMatch(/parser gave up/)
    }
  })

  it('refuses a brace flood cheaply, with or without a dangerous command in front', () => {
    for (const command of [`rm -rf / ; echo ${'{a,b}'.repeat(1990)}`, `echo ${'{a,b}'.repeat(1990)}`]) {
      const started = process.cpuUsage()
      const v = engine.evaluate(command, ctx)
      const cpu = process.cpuUsage(started)
      expect(v.decision).toBe('deny')
      expect(v.reason).toMatch(/too complex to analyse: .*brace/)
      // A work budget, not a clock: this only shows the refusal is cheap (it took 2.5 s before).
      expect((cpu.user + cpu.system) / 1000).toBeLessThan(200)
    }

    const v = engine.evaluate(`echo x${'{a,b}'.repeat(12)}`, ctx)
    expect(v.rule).toBe('engine.over-budget')
    expect(engine.evaluate('mkdir -p src/{a,b,c}/{x,y,z}', ctx).decision).toBe('ask')
  })

  it('refuses when there are too many commands', async () => {
    const e = new Engine(await loadShellParser(), {rules: [], strict: false, packs: [], limits: {maxCommands: 5}})
    expect(e.evaluate('a;b;c;d;e;f;g', ctx).reason).toMatch(/more than 5 commands/)
  })

  it('counts a rule that throws as a match', async () => {
    const broken = {
      kind: 'command' as const,
      id: 'test.broken',
      pack: 'test',
      decision: 'allow' as const,
      reason: 'x',
      examples: {match: [], not_match: []},
      check(): never {
        throw new Error('boom')
      },
    }
    const e = new Engine(await loadShellParser(), {rules: [broken], strict: false, packs: []})
    const v = e.evaluate('ls', ctx)
    expect(v.decision).toBe('ask')
    expect(v.reason).toMatch(/rule failed \(boom\)/)
  })
})

describe('paths against the working directory', () => {
  it('asks for deletes inside the workspace and denies outside', () => {
    expect(engine.evaluate('rm -rf ./build', ctx).decision).toBe('ask')
    expect(engine.evaluate('rm -rf build/../dist', ctx).decision).toBe('ask')
    expect(engine.evaluate('rm -rf *', ctx).decision).toBe('ask')
    expect(engine.evaluate('rm -rf ../other', at(`${ctx.workspace}/sub`)).decision).toBe('ask')
    // The workspace itself is not "inside the workspace".
    expect(engine.evaluate('rm -rf ..', at(`${ctx.workspace}/sub`)).decision).toBe('deny')
    expect(engine.evaluate('rm -rf ../..', at(`${ctx.workspace}/sub`)).decision).toBe('deny')
    expect(engine.evaluate('rm -rf *', at('/tmp')).reason).toBe('rm -rf outside the workspace: /tmp/*')
    expect(engine.evaluate('rm -rf .', ctx).reason).toBe(`rm -rf outside the workspace: ${ctx.workspace}`)
    expect(engine.evaluate(`rm -rf ${ctx.workspace}/x`, ctx).decision).toBe('ask')
    expect(engine.evaluate('rm -rf ~/x', ctx).reason).toBe('rm -rf outside the workspace: ~/x')
  })

  it('follows cd, in every branch', () => {
    expect(engine.evaluate('cd build && rm -rf *', ctx).decision).toBe('ask')
    expect(engine.evaluate('cd /tmp && rm -rf *', ctx).decision).toBe('deny')
    expect(engine.evaluate('if x; then cd /; fi; rm -rf etc', ctx).decision).toBe('deny')
    expect(engine.evaluate('(cd /); rm -rf etc', ctx).decision).toBe('ask')
    expect(engine.evaluate('cd; rm -rf x', ctx).decision).toBe('deny')
    expect(engine.evaluate('cd "$D"; rm -rf x', ctx).rule).toBe('destructive.delete-unresolvable-path')
  })
})

describe('operator rules from the policy file', () => {
  let allowing: PolicyEngine

  beforeAll(async () => {
    allowing = await loadPolicy({file: writePolicy('allow.json', POLICY)})
  })

  it('allows only when every command is allowed', () => {
    expect(allowing.evaluate('npm test', ctx)).toMatchObject({decision: 'allow', rule: 'file:npm-test'})
    expect(allowing.evaluate('ls -la && npm run lint', ctx).decision).toBe('allow')
    expect(allowing.evaluate('/bin/ls', ctx).decision).toBe('allow')
    const partly = allowing.evaluate('ls && cat x', ctx)
    expect(partly.decision).toBe('ask')
    expect(partly.reason).toMatch(/`cat x` is not/)
  })

  it('never lets an allow rule override a deny or see through what is opaque', () => {
    expect(allowing.evaluate('ls; rm -rf /etc', ctx).decision).toBe('deny')
    expect(allowing.evaluate('sudo ls > /etc/motd', ctx).decision).toBe('deny')
    expect(allowing.evaluate('sudo ls', ctx).decision).toBe('ask')
    expect(allowing.evaluate('ls $(cat x)', ctx).decision).toBe('ask')
    expect(allowing.evaluate('npm test $X', ctx).decision).toBe('ask')
    expect(allowing.evaluate('ls {a,b}', ctx).decision).toBe('ask')
    expect(allowing.evaluate('find . | xargs ls', ctx).decision).toBe('ask')
    expect(allowing.evaluate('$L -la', ctx).decision).toBe('ask')
    expect(allowing.evaluate('l? -la', ctx).decision).toBe('ask')
    expect(allowing.evaluate('ls\u200B', ctx).decision).toBe('ask')
    expect(allowing.evaluate('PATH=/tmp/evil ls', ctx).decision).toBe('ask')
    expect(allowing.evaluate('npm publish', ctx).decision).toBe('deny')
    expect(allowing.evaluate('npm install', ctx).decision).toBe('ask')
  })

  it('adds deny and ask rules, by raw pattern or by program and arguments', () => {
    // The built-in infrastructure rule explains it first; the file's rule matches as well.
    const destroy = allowing.evaluate('TERRAFORM destroy', ctx)
    expect(destroy.decision).toBe('deny')
    expect(destroy.matches.map((m) => m.rule)).toContain('file:no-terraform-destroy')
    expect(allowing.evaluate('make deploy', ctx)).toMatchObject({decision: 'ask', rule: 'file:ask-make-deploy'})
    expect(allowing.evaluate('make test', ctx)).toMatchObject({decision: 'ask', rule: undefined})
  })

  it('describes the file and its rules', () => {
    const d = allowing.describe()
    expect(d.file).toBe(path.join(dir, 'allow.json'))
    expect(d.packs).toContain('file')
  })

  it('can switch packs off, but not self-protection', async () => {
    const off = await loadPolicy({file: writePolicy('off.json', {packs: {remote: false, powershell: false}})})
    expect(off.evaluate('curl https://example.com', ctx).decision).toBe('ask')
    expect(off.evaluate('Remove-Item x', ctx).decision).toBe('ask')
    expect(off.describe().packs).not.toContain('remote')
    await expect(loadPolicy({file: writePolicy('self-off.json', {packs: {self: false}})})).rejects.toThrow(
      /self pack protects the hub itself/,
    )
  })
})

describe('strict mode', () => {
  it('denies what no rule matches, from the option or the file', async () => {
    const fromOption = await loadPolicy({strict: true})
    const fromFile = await loadPolicy({file: writePolicy('strict.json', {strict: true, rules: POLICY.rules})})
    for (const strict of [fromOption, fromFile]) {
      const v = strict.evaluate('cat notes.txt', ctx)
      expect(v).toMatchObject({decision: 'deny', rule: undefined})
      expect(v.reason).toMatch(/strict mode/)
      expect(strict.evaluate('cat .env', ctx).decision).toBe('ask')
      expect(strict.describe().strict).toBe(true)
    }

    expect(fromFile.evaluate('npm test', ctx).decision).toBe('allow')
    expect(fromFile.evaluate('ls; cat x', ctx).decision).toBe('deny')
  })
})
