import {beforeAll, describe, expect, it} from 'vitest'

import {loadPolicy, type ParsedCommand, type PolicyContext, type PolicyEngine, type Verdict} from './index.js'
import {parseOptions} from './options.js'
import {literalWord} from './words.js'

const ctx: PolicyContext = {
  cwd: '/srv/hub/workspace',
  workspace: '/srv/hub/workspace',
  runtimeDir: '/srv/hub/runtime',
  policyFile: undefined,
}
let engine: PolicyEngine

beforeAll(async () => {
  engine = await loadPolicy({})
})

const judge = (command: string): Verdict => engine.evaluate(command, ctx)
const only = (command: string): ParsedCommand => {
  const cmds = judge(command).commands
  expect(cmds, JSON.stringify(cmds)).toHaveLength(1)
  return cmds[0] as ParsedCommand
}

describe('unwrapping wrappers', () => {
  it.each([
    ['sudo rm x', ['sudo']],
    ['sudo -u root -g wheel rm x', ['sudo']],
    ['sudo -E -H -- rm x', ['sudo']],
    ['sudo FOO=1 rm x', ['sudo']],
    ['doas -u root rm x', ['doas']],
    ['pkexec --user root rm x', ['pkexec']],
    ['env rm x', ['env']],
    ['env -i A=1 B=2 rm x', ['env']],
    ['env -u HOME --chdir=/tmp rm x', ['env']],
    ['timeout 5 rm x', ['timeout']],
    ['timeout -k 1 -s KILL 5s rm x', ['timeout']],
    ['timeout --preserve-status 5 rm x', ['timeout']],
    ['nice rm x', ['nice']],
    ['nice -n 10 rm x', ['nice']],
    ['nice -10 rm x', ['nice']],
    ['nohup rm x', ['nohup']],
    ['time rm x', ['time']],
    ['time -p rm x', ['time']],
    ['command rm x', ['command']],
    ['builtin command rm x', ['builtin', 'command']],
    ['exec -a name rm x', ['exec']],
    ['stdbuf -oL -eL rm x', ['stdbuf']],
    ['setsid -f rm x', ['setsid']],
    ['chroot /srv rm x', ['chroot']],
    ['xargs -0 -n 1 rm x', ['xargs']],
    ['xargs -I {} rm x', ['xargs']],
    ['ionice -c 3 rm x', ['ionice']],
    ['strace -f -o /tmp/t rm x', ['strace']],
    ['busybox rm x', ['busybox']],
    ['watch -x rm x', ['watch']],
    ['flock /tmp/lock rm x', ['flock']],
    ['sudo env timeout 5 nice -n 1 rm x', ['sudo', 'env', 'timeout', 'nice']],
  ])('%j is rm via %j', (command, via) => {
    const c = only(command)
    expect(c.program).toBe('rm')
    expect(c.args).toEqual(['x'])
    expect(c.via).toEqual(via)
  })

  it('keeps a wrapper that runs nothing as the command itself', () => {
    expect(only('sudo -l').program).toBe('sudo')
    expect(only('sudo -i').program).toBe('sudo')
    expect(only('env').program).toBe('env')
    expect(only('command -v rm').program).toBe('command')
    expect(only('nohup').program).toBe('nohup')
  })

  it('records assignments given through env and sudo', () => {
    expect(judge('env LD_PRELOAD=/tmp/x.so ls').rule).toBe('bypass.loader-injection')
    expect(judge('sudo -E LD_PRELOAD=/tmp/x.so ls').matches.map((m) => m.rule)).toContain('bypass.loader-injection')
  })

  it("judges the files wrappers open themselves as the command's", () => {
    expect(judge('xargs -a /etc/shadow cat').rule).toBe('credentials.secret-files')
    expect(judge('time -o /etc/x ls').rule).toBe('system.write-system-path')
    expect(judge('flock /etc/lock ls').rule).toBe('system.write-system-path')
    expect(judge('chroot /srv/hub/runtime ls').matches.map((m) => m.rule)).toContain('self.runtime-dir')
  })

  it('runs the words of sudo -s / sudo -i as a command line', () => {
    const v = judge('sudo -s "rm -rf /etc"')
    expect(v.commands.find((c) => c.program === 'rm')?.via).toEqual(['sudo -s'])
  })

  it('uses env -C and sudo -D as the working directory of the command', () => {
    expect(judge('env -C /etc rm -rf x').reason).toBe('rm -rf outside the workspace: /etc/x')
    expect(judge('env -C ./sub rm -rf x').decision).toBe('ask')
  })
})

describe('naming the program', () => {
  it.each([
    ['/usr/bin/rm', 'rm'],
    ['./rm', 'rm'],
    ['"rm"', 'rm'],
    ["'rm'", 'rm'],
    [String.raw`r\m`, 'rm'],
    ["'r'm", 'rm'],
    ['r""m', 'rm'],
    [String.raw`\rm`, 'rm'],
    [String.raw`$'\x72\x6d'`, 'rm'],
    [String.raw`$'\162\155'`, 'rm'],
    [String.raw`$'\u0072m'`, 'rm'],
    ['$"rm"', 'rm'],
  ])('%j is judged as rm', (name, program) => {
    const v = judge(`${name} -rf /etc`)
    expect(v.commands[0]?.program).toBe(program)
    expect(v.rule).toBe('destructive.delete-outside-workspace')
  })

  it('lower-cases for matching (case-insensitive file systems) and drops .exe', () => {
    expect(judge('RM -rf /etc').decision).toBe('deny')
    expect(judge('powershell.exe -Command x').rule).toBe('bypass.inline-code')
  })

  it('treats a name built at run time as opaque, and judges what the script says it can be', () => {
    const v = judge('${X:-rm} -rf /etc')
    expect(v.decision).toBe('deny')
    expect(v.matches.map((m) => m.rule)).toContain('engine.opaque-command')
    expect(v.commands.some((c) => c.program === null && c.opaque !== undefined)).toBe(true)
    // Every value the script gives the name is known: judged as those, not reported as opaque.
    const known = judge('X=rm; $X -rf /etc')
    expect(known.decision).toBe('deny')
    expect(known.matches.map((m) => m.rule)).not.toContain('engine.opaque-command')
    expect(judge('x=rm y=$x; $y -rf /etc').decision).toBe('deny')
    expect(judge('$(which rm) -rf /etc').decision).toBe('deny')
    expect(judge(`sh -c '"$@"' _ rm -rf /etc`).decision).toBe('deny')
    expect(judge('X=ls; $X -la').unanalysed).toBeUndefined()
    expect(judge('$CMD -la').unanalysed?.[0]).toMatch(/built at run time/)
    expect(judge('$(echo rm) -rf /etc').decision).toBe('deny')
    expect(judge('`printf rm` -rf /etc').decision).toBe('deny')
    expect(judge('${X:-rm} -rf /etc').decision).toBe('deny')
    expect(judge('for c in ls rm; do $c -rf /etc; done').decision).toBe('deny')
    expect(judge('$0 -c "rm -rf /etc"').decision).toBe('deny')
  })

  it('matches a glob used as a name against known programs', () => {
    expect(judge('/???/r? -rf /etc').decision).toBe('deny')
    expect(judge('/usr/bin/r[m] -rf /etc').decision).toBe('deny')
    const v = judge('l? -la')
    expect(v.decision).toBe('ask')
    expect(v.rule).toBe('engine.opaque-command')
  })

  it('expands braces and splits on $IFS', () => {
    expect(only('{rm,-rf,/etc}').program).toBe('rm')
    expect(judge('{rm,-rf,/etc}').decision).toBe('deny')
    expect(judge('rm${IFS}-rf${IFS}/etc').decision).toBe('deny')
    expect(judge('rm -rf /{etc,usr}').reason).toBe('rm -rf outside the workspace: /etc')
    expect(only('echo {1..3}').args).toEqual(['1', '2', '3'])
    expect(only('echo a{b,c}d').args).toEqual(['abd', 'acd'])
    expect(only("echo '{a,b}'").args).toEqual(['{a,b}'])
  })

  it('removes quoting and escapes from arguments', () => {
    expect(only(`printf '%s' "a b" c\\ d 'e'"f" $'g\\th'`).args).toEqual(['%s', 'a b', 'c d', 'ef', 'g\th'])
    expect(only(String.raw`echo "a\"b\$c\\d"`).args).toEqual([String.raw`a"b$c\d`])
    expect(only('echo a\\\nb').args).toEqual(['ab'])
  })

  it('joins backslash-newline before splitting words, as bash does', () => {
    expect(judge('r\\\nm -rf /etc').decision).toBe('deny')
    expect(judge('rm -r\\\nf /etc').reason).toBe('rm -rf outside the workspace: /etc')
    expect(judge('echo a\\\\\nb').commands.map((c) => c.program)).toEqual(['echo', 'b'])
  })
})

describe('flag normalisation', () => {
  const RM = {short: {r: 'recursive', R: 'recursive', f: 'force'}, long: {recursive: 'recursive', force: 'force'}}
  const flags = (...words: string[]): string[] =>
    [
      ...parseOptions(
        words.map((w) => literalWord(w)),
        RM,
      ).flags,
    ].sort()
  const operands = (...words: string[]): string[] =>
    parseOptions(
      words.map((w) => literalWord(w)),
      RM,
    ).operands.map((w) => w.value)

  it.each([[['-rf']], [['-fr']], [['-r', '-f']], [['-R', '-f']], [['--recursive', '--force']], [['-Rf']]])(
    '%j → recursive, force',
    (words) => {
      expect(flags(...words, 'x')).toEqual(['force', 'recursive'])
    },
  )

  it('reads flags after operands and stops at --', () => {
    expect(flags('x', '-rf')).toEqual(['force', 'recursive'])
    expect(operands('x', '-rf')).toEqual(['x'])
    expect(flags('--', '-rf')).toEqual([])
    expect(operands('--', '-rf')).toEqual(['-rf'])
  })

  it('takes option values attached or separate', () => {
    const spec = {shortValue: 'n', longValue: ['lines']}
    const p = parseOptions(
      ['-n5', '-n', '6', '--lines=7', '--lines', '8', 'file'].map((w) => literalWord(w)),
      spec,
    )
    expect(p.values.get('-n')?.map((w) => w.value)).toEqual(['5', '6'])
    expect(p.values.get('--lines')?.map((w) => w.value)).toEqual(['7', '8'])
    expect(p.operands.map((w) => w.value)).toEqual(['file'])
  })

  it('judges rm the same whatever the flag spelling', () => {
    for (const spelling of ['-rf', '-fr', '-r -f', '-R -f', '--recursive --force', '-f -R', '-rfv']) {
      expect(judge(`rm ${spelling} /etc`).reason).toBe('rm -rf outside the workspace: /etc')
    }

    expect(judge('rm /etc -r -f').reason).toBe('rm -rf outside the workspace: /etc')
  })
})
