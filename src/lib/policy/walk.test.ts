import {beforeAll, describe, expect, it} from 'vitest'

import {loadPolicy, type PolicyContext, type PolicyEngine, type Verdict} from './index.js'

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

const judge = (command: string): Verdict => engine.evaluate(command, ctx)
/** Program names of every simple command found, in order. */
const programs = (command: string): (null | string)[] => judge(command).commands.map((c) => c.program)

describe('walking to every simple command', () => {
  it.each([
    ['a; b', ['a', 'b']],
    ['a && b || c', ['a', 'b', 'c']],
    ['a | b |& c', ['a', 'b', 'c']],
    ['a & b', ['a', 'b']],
    ['a\nb\n\nc', ['a', 'b', 'c']],
    ['echo $(a) `b`', ['a', 'b', 'echo']],
    ['echo "$(a "$(b)")"', ['b', 'a', 'echo']],
    ['diff <(a) >(b)', ['a', 'b', 'diff']],
    ['(a; b)', ['a', 'b']],
    ['{ a; b; }', ['a', 'b']],
    ['f() { a; }; f', ['a', 'f']],
    ['function g { a; }', ['a']],
    ['for i in x; do a; done', ['a']],
    ['for ((i=0;i<2;i++)); do a; done', ['a']],
    ['while b; do a; done', ['b', 'a']],
    ['until b; do a; done', ['b', 'a']],
    ['if a; then b; elif c; then d; else e; fi', ['a', 'b', 'c', 'd', 'e']],
    ['case x in y) a;; *) b;; esac', ['a', 'b']],
    ['! a', ['a']],
    ['[[ -f $(a) ]]', ['a']],
    ['(( x = $(a) ))', ['a']],
    ['x=$(a)', ['a']],
    ['export y=$(a)', ['a', 'export']],
    ['for f in $(a); do :; done', ['a', ':']],
    ['case $(a) in *) ;; esac', ['a']],
    ['cat <<EOF\n$(a)\nEOF', ['a', 'cat']],
    ['cat <<EOF\n`a`\nEOF', ['a', 'cat']],
    ["cat <<'EOF'\n$(a)\nEOF", ['cat']],
    ['a > $(b)', ['b', 'a']],
    ['>/dev/null a', ['a']],
    ['sudo >x a b', ['a']],
    ['cat <<EOF | a\nx\nEOF', ['cat', 'a']],
    ['cat <<EOF && a\nx\nEOF', ['cat', 'a']],
    ['echo ${x:-$(a)}', ['a', 'echo']],
  ])('%j → %j', (command, expected) => {
    expect(programs(command)).toEqual(expected)
  })

  it('does not take comments for commands', () => {
    expect(programs('a # rm -rf /')).toEqual(['a'])
    expect(judge('ls # rm -rf /').decision).toBe('ask')
  })

  it('keeps the source text of each command', () => {
    const v = judge('ls -la && rm -rf ./x')
    expect(v.commands.map((c) => c.text)).toEqual(['ls -la', 'rm -rf ./x'])
  })
})

describe('code handed to another shell is parsed again', () => {
  it.each([
    ['bash -c "a; b"', 'bash -c'],
    ["sh -c 'a | b'", 'sh -c'],
    ['zsh -c a', 'zsh -c'],
    ['dash -c a', 'dash -c'],
    ['bash -xec a', 'bash -c'],
    ['eval a', 'eval'],
    ['eval "a b"', 'eval'],
    ['su -c a', 'su -c'],
    ['env -S "a b"', 'env -S'],
    ['watch -n 1 a', 'watch'],
    ['ssh localhost a', 'ssh'],
    ['bash <<EOF\na\nEOF', 'bash'],
    ['sh <<< a', 'sh'],
    ['echo a | sh', 'sh'],
    ["printf 'a' | bash", 'bash'],
    ["trap 'a' EXIT", 'trap'],
    ["alias x='a'", 'alias'],
    ['GIT_EDITOR=a git commit', 'GIT_EDITOR='],
    ['flock /tmp/l -c a', 'flock -c'],
  ])('%j finds `a` via %j', (command, via) => {
    const a = judge(command).commands.find((c) => c.program === 'a')
    expect(a, JSON.stringify(judge(command).commands)).toBeDefined()
    expect(a?.via).toContain(via)
  })

  it('find -exec and -execdir run their own command, with {} standing for found paths', () => {
    const v = judge(String.raw`find /var -name x -exec rm {} \; -execdir echo {} +`)
    const rm = v.commands.find((c) => c.program === 'rm')
    expect(rm?.via).toEqual(['find -exec'])
    expect(rm?.args).toEqual(['/var/*'])
    expect(v.commands.find((c) => c.program === 'echo')?.via).toEqual(['find -execdir'])
  })

  it('xargs sh -c parses the code and marks xargs', () => {
    const v = judge('ls | xargs -0 sh -c "a"')
    expect(v.commands.find((c) => c.program === 'a')?.via).toEqual(['xargs', 'sh -c'])
  })

  it('stops at the recursion limit and refuses (an agent can nest on purpose)', () => {
    const v = judge(`${'eval '.repeat(12)}ls`)
    expect(v.decision).toBe('deny')
    expect(v.matches.map((m) => m.rule)).toContain('engine.over-budget')
  })
})
