import {describe, expect, it} from 'vitest'

import {unifiedDiff} from './diff.js'
import {
  findInstalled,
  hookCommandLine,
  parseHookCommand,
  planInstall,
  planUninstall,
  settingsFile,
  shellQuote,
  shellWords,
} from './install.js'
import {HOOK_AGENTS, type HookAgent} from './names.js'

const FILE = '/p/settings.json'

function command(agent: HookAgent, runtimeDir = '/srv/hub/runtime', deadlineS = 585): string {
  return hookCommandLine({agent, node: '/usr/bin/node', bin: '/opt/hub/bin/run.js', runtimeDir, deadlineS})
}

/** A settings file as people have them: other hooks on the same events, other keys, 4-space indent. */
const USER_CLAUDE =
  JSON.stringify(
    {
      model: 'opus',
      hooks: {
        PreToolUse: [{matcher: 'Edit|Write', hooks: [{type: 'command', command: './lint.sh', timeout: 30}]}],
        Stop: [{hooks: [{type: 'command', command: 'notify-send done'}]}],
      },
      permissions: {allow: ['Bash(ls:*)']},
    },
    null,
    4,
  ) + '\n'

function install(agent: HookAgent, before: string | undefined, cmd = command(agent)) {
  return planInstall(agent, {before, file: FILE, command: cmd, timeoutS: 600})
}

describe('planInstall', () => {
  it("keeps the user's hooks, keys, their order and the indentation, and is idempotent", () => {
    const first = install('claude-code', USER_CLAUDE)
    expect(first.changed).toBe(true)
    const doc = JSON.parse(first.after)
    expect(Object.keys(doc)).toEqual(['model', 'hooks', 'permissions'])
    expect(Object.keys(doc.hooks)).toEqual(['PreToolUse', 'Stop', 'PostToolUse', 'PostToolUseFailure'])
    expect(doc.hooks.PreToolUse[0].matcher).toBe('Edit|Write')
    expect(doc.hooks.PreToolUse[1]).toEqual({
      matcher: 'Bash',
      hooks: [{type: 'command', command: command('claude-code'), timeout: 600}],
    })
    expect(doc.hooks.Stop).toEqual(JSON.parse(USER_CLAUDE).hooks.Stop)
    expect(first.after).toMatch(/\n {4}"hooks"/)
    expect(first.after.endsWith('}\n')).toBe(true)
    expect(first.diff).toMatch(/^--- \/p\/settings.json\n\+\+\+ \/p\/settings.json\n@@ /)

    const second = install('claude-code', first.after)
    expect(second).toEqual({after: first.after, changed: false, diff: ''})
  })

  it('replaces an older hub entry in place (a new path or deadline) instead of adding a second one', () => {
    const old = install('claude-code', USER_CLAUDE, command('claude-code', '/old/runtime', 100)).after
    const again = install('claude-code', old)
    expect(again.changed).toBe(true)
    const doc = JSON.parse(again.after)
    expect(doc.hooks.PreToolUse).toHaveLength(2)
    expect(doc.hooks.PreToolUse[1].hooks[0].command).toBe(command('claude-code'))
  })

  it('keeps the user hooks that share a group with a hub hook', () => {
    const shared = JSON.stringify({
      hooks: {
        PreToolUse: [
          {
            matcher: 'Bash',
            hooks: [
              {type: 'command', command: 'audit.sh'},
              {type: 'command', command: 'hub hook claude-code'},
            ],
          },
        ],
      },
    })
    const doc = JSON.parse(install('claude-code', shared).after)
    expect(doc.hooks.PreToolUse).toEqual([
      {matcher: 'Bash', hooks: [{type: 'command', command: 'audit.sh'}]},
      {matcher: 'Bash', hooks: [{type: 'command', command: command('claude-code'), timeout: 600}]},
    ])
  })

  it.each([...HOOK_AGENTS])('%s: writes its own shape and events, and uninstall gives back the original', (agent) => {
    const fresh = install(agent, undefined)
    const doc = JSON.parse(fresh.after)
    switch (agent) {
      case 'cursor': {
        expect(doc.version).toBe(1)
        expect(doc.hooks.beforeShellExecution).toEqual([{command: command(agent), timeout: 600, failClosed: true}])
        expect(doc.hooks.afterShellExecution).toEqual([{command: command(agent), timeout: 600}])
        break
      }

      case 'gemini': {
        // Gemini counts milliseconds.
        expect(doc.hooks.BeforeTool[0]).toEqual({
          matcher: 'run_shell_command',
          hooks: [{type: 'command', command: command(agent), timeout: 600_000}],
        })
        expect(Object.keys(doc.hooks)).toEqual(['BeforeTool', 'AfterTool'])
        break
      }

      case 'codex': {
        expect(Object.keys(doc.hooks)).toEqual(['PreToolUse', 'PermissionRequest', 'PostToolUse'])
        break
      }

      case 'claude-code': {
        expect(Object.keys(doc.hooks)).toEqual(['PreToolUse', 'PostToolUse', 'PostToolUseFailure'])
        break
      }
    }

    // Cursor's file always says its version (install adds it); the rest must come back byte for byte.
    const head = agent === 'cursor' ? {version: 1} : {}
    const user = JSON.stringify({...head, hooks: {Other: [{command: 'x'}]}, keep: true}, null, '\t')
    const installed = install(agent, user).after
    expect(installed).toMatch(/\n\t"hooks"/)
    expect(planUninstall(agent, {before: installed, file: FILE}).after).toBe(user)
  })

  it('refuses what is not a JSON object, naming the file', () => {
    for (const bad of ['{"hooks": {', '// comment\n{}', '[]', '{"hooks": []}', '{"hooks": {"PreToolUse": {}}}']) {
      expect(() => install('claude-code', bad)).toThrow(/\/p\/settings.json/)
    }
  })
})

describe('planUninstall', () => {
  it('changes nothing when hub is not there', () => {
    expect(planUninstall('claude-code', {before: USER_CLAUDE, file: FILE})).toEqual({
      after: USER_CLAUDE,
      changed: false,
      diff: '',
    })
    expect(planUninstall('gemini', {before: undefined, file: FILE}).changed).toBe(false)
  })
})

describe('hook command lines', () => {
  it('quotes paths with spaces and quotes, and reads them back', () => {
    const cmd = hookCommandLine({
      agent: 'gemini',
      node: '/usr/bin/node',
      bin: "/home/o'neil/my hub/bin/run.js",
      runtimeDir: '/srv/a b',
      deadlineS: 54,
    })
    expect(shellWords(cmd)).toEqual([
      '/usr/bin/node',
      "/home/o'neil/my hub/bin/run.js",
      'hook',
      'gemini',
      '--deadline',
      '54',
      '--runtime-dir',
      '/srv/a b',
    ])
    expect(parseHookCommand(cmd)).toEqual({
      agent: 'gemini',
      argv0: ['/usr/bin/node', "/home/o'neil/my hub/bin/run.js"],
      deadlineS: 54,
      runtimeDir: '/srv/a b',
    })
    expect(shellQuote('$(rm -rf ~)')).toBe("'$(rm -rf ~)'")
  })

  it("recognises hub's commands only", () => {
    expect(parseHookCommand('hub hook codex --runtime-dir=/r')).toMatchObject({agent: 'codex', runtimeDir: '/r'})
    expect(parseHookCommand('npx hub hook cursor')).toMatchObject({agent: 'cursor', argv0: ['npx', 'hub']})
    const others = [
      './lint.sh',
      'git hook claude-code',
      'hub hook nobody',
      'hub plan ls',
      'my-wrapper.sh && hub hook claude-code',
      'env X=1 node /opt/hub/bin/run.js hook codex',
      42,
      undefined,
    ]
    for (const other of others) {
      expect(parseHookCommand(other)).toBeUndefined()
    }
  })

  it('finds what is installed with the timeout in seconds', () => {
    const text = install('gemini', undefined).after
    expect(findInstalled('gemini', {file: FILE, text}).map((h) => [h.event, h.timeoutS, h.parsed.deadlineS])).toEqual([
      ['BeforeTool', 600, 585],
      ['AfterTool', 600, 585],
    ])
  })

  it('places the settings file per agent and scope', () => {
    expect(settingsFile('codex', 'user', {cwd: '/p', home: '/h'})).toBe('/h/.codex/hooks.json')
    expect(settingsFile('cursor', 'project', {cwd: '/p', home: '/h'})).toBe('/p/.cursor/hooks.json')
  })
})

describe('unifiedDiff', () => {
  it('shows hunks with context and line numbers', () => {
    const a = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].join('\n') + '\n'
    const b = ['a', 'b', 'c', 'D', 'e', 'f', 'g', 'h', 'i', 'j', 'k'].join('\n') + '\n'
    expect(unifiedDiff(a, b, {from: 'x', to: 'x'})).toBe(
      [
        '--- x',
        '+++ x',
        '@@ -1,10 +1,11 @@',
        ' a',
        ' b',
        ' c',
        '-d',
        '+D',
        ' e',
        ' f',
        ' g',
        ' h',
        ' i',
        ' j',
        '+k',
        '',
      ].join('\n'),
    )
    expect(unifiedDiff('', 'x\n', {from: 'f', to: 'f'})).toBe('--- f\n+++ f\n@@ -0,0 +1,1 @@\n+x\n')
    expect(unifiedDiff('same', 'same', {from: 'f', to: 'f'})).toBe('')
  })
})
