/**
 * `hub hook install|uninstall|doctor` with the real binary on real settings files, and a real daemon
 * for doctor; `hub hook <agent>` still routes to the hook itself beside these subcommands.
 */
import {lstat, mkdir, readdir, readFile, symlink, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BIN, type DaemonProcess, hub, removeRoot, startDaemonProcess, tempRoot} from './helpers.js'

/** A project's Claude Code settings as people keep them: other hooks on the same event, other keys. */
const CLAUDE_SETTINGS =
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

describe('hub hook install / uninstall / doctor', () => {
  let root: string
  let daemon: DaemonProcess
  const project = () => join(root, 'project')
  const home = () => join(root, 'home')
  const run = (args: string[]) => hub(args, {root: project(), env: {HOME: home(), AGENT_HUB_ROOT: root}})

  beforeAll(async () => {
    root = await tempRoot('hub-hook-install-')
    await mkdir(join(root, 'project', '.claude'), {recursive: true})
    await mkdir(join(root, 'home'), {recursive: true})
    daemon = await startDaemonProcess(root)
  })
  afterAll(async () => {
    await daemon?.stop()
    await removeRoot(root)
  })

  it("claude-code --project keeps the user's hooks, backs up, is idempotent; uninstall gives it back", async () => {
    const file = join(project(), '.claude', 'settings.json')
    await writeFile(file, CLAUDE_SETTINGS)

    const dry = await run(['hook', 'install', 'claude-code', '--project', '--dry-run'])
    expect(dry.code).toBe(0)
    expect(dry.stdout).toMatch(/^--- .*settings\.json\n\+\+\+ .*settings\.json\n@@ /)
    expect(dry.stdout).toContain('dry run')
    expect(await readFile(file, 'utf8')).toBe(CLAUDE_SETTINGS)
    expect(await readdir(join(project(), '.claude'))).toEqual(['settings.json'])

    const first = await run(['hook', 'install', 'claude-code', '--project'])
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(/^\+.*"matcher": "Bash"/m)
    const installed = await readFile(file, 'utf8')
    const doc = JSON.parse(installed)
    expect(Object.keys(doc)).toEqual(['model', 'hooks', 'permissions'])
    expect(doc.hooks.PreToolUse[0]).toEqual(JSON.parse(CLAUDE_SETTINGS).hooks.PreToolUse[0])
    expect(doc.hooks.Stop).toEqual(JSON.parse(CLAUDE_SETTINGS).hooks.Stop)
    const ours = doc.hooks.PreToolUse[1]
    expect(ours.matcher).toBe('Bash')
    // Absolute node and run.js, this runtime directory, a deadline below the timeout written.
    expect(ours.hooks[0].command).toBe(
      `${process.execPath} ${BIN} hook claude-code --deadline 585 --runtime-dir ${join(root, 'runtime')}`,
    )
    expect(ours.hooks[0].timeout).toBe(600)
    expect(doc.hooks.PostToolUse[0].hooks[0].command).toBe(ours.hooks[0].command)
    expect(installed).toMatch(/\n {4}"hooks"/)
    const backups = (await readdir(join(project(), '.claude'))).filter((f) => f.includes('.hub-backup-'))
    expect(backups).toHaveLength(1)
    expect(await readFile(join(project(), '.claude', backups[0]!), 'utf8')).toBe(CLAUDE_SETTINGS)

    const second = await run(['hook', 'install', 'claude-code'])
    expect(second.code).toBe(0)
    expect(second.stdout).toMatch(/already installed; nothing changed/)
    expect(await readFile(file, 'utf8')).toBe(installed)

    const doctor = await run(['hook', 'doctor', 'claude-code'])
    expect(doctor.stdout).toMatch(/✓ claude-code: hub's hooks installed/)
    expect(doctor.stdout).toMatch(/✓ daemon reachable/)
    expect(doctor.stdout).toMatch(/✓ agent token readable and accepted/)
    expect(doctor.stdout).not.toContain('✗')
    expect(doctor.code).toBe(0)

    const removed = await run(['hook', 'uninstall', 'claude-code'])
    expect(removed.code).toBe(0)
    expect(removed.stdout).toMatch(/^-.*"matcher": "Bash"/m)
    // Byte for byte: only hub's lines were ever touched.
    expect(await readFile(file, 'utf8')).toBe(CLAUDE_SETTINGS)
    expect((await run(['hook', 'uninstall', 'claude-code'])).stdout).toMatch(/no hub hooks to remove/)
  })

  it('--user writes under HOME; each agent its own file and format; a symlinked file stays a symlink', async () => {
    // Gemini's settings kept in a dotfiles directory and linked into place.
    await mkdir(join(home(), 'dotfiles'), {recursive: true})
    await mkdir(join(home(), '.gemini'), {recursive: true})
    await writeFile(join(home(), 'dotfiles', 'gemini.json'), '{"theme": "dark"}\n')
    await symlink(join(home(), 'dotfiles', 'gemini.json'), join(home(), '.gemini', 'settings.json'))
    for (const agent of ['codex', 'cursor', 'gemini'] as const) {
      const r = await run(['hook', 'install', agent, '--user', '--timeout', '120'])
      expect(r.code, r.stderr).toBe(0)
    }

    const codex = JSON.parse(await readFile(join(home(), '.codex', 'hooks.json'), 'utf8'))
    expect(Object.keys(codex.hooks)).toEqual(['PreToolUse', 'PermissionRequest', 'PostToolUse'])
    expect(codex.hooks.PermissionRequest[0].hooks[0]).toMatchObject({type: 'command', timeout: 120})
    const cursor = JSON.parse(await readFile(join(home(), '.cursor', 'hooks.json'), 'utf8'))
    expect(cursor.version).toBe(1)
    expect(cursor.hooks.beforeShellExecution[0]).toMatchObject({timeout: 120, failClosed: true})
    expect(cursor.hooks.beforeShellExecution[0].command).toMatch(/ hook cursor --deadline 108 /)
    expect((await lstat(join(home(), '.gemini', 'settings.json'))).isSymbolicLink()).toBe(true)
    const gemini = JSON.parse(await readFile(join(home(), 'dotfiles', 'gemini.json'), 'utf8'))
    expect(gemini.theme).toBe('dark')
    expect(gemini.hooks.BeforeTool[0]).toMatchObject({matcher: 'run_shell_command'})
    expect(gemini.hooks.BeforeTool[0].hooks[0].timeout).toBe(120_000)

    const doctor = await run(['hook', 'doctor', 'gemini'])
    expect(doctor.stdout).toMatch(/✓ BeforeTool: the hook answers by 108s, before the agent's 120s timeout/)
    expect(doctor.code).toBe(0)
  })

  it('refuses a settings file that is not JSON and touches nothing', async () => {
    const dir = join(project(), '.cursor')
    await mkdir(dir, {recursive: true})
    const broken = '{"version": 1, "hooks": {\n'
    await writeFile(join(dir, 'hooks.json'), broken)
    const r = await run(['hook', 'install', 'cursor'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/hooks\.json is not valid JSON/)
    expect(await readFile(join(dir, 'hooks.json'), 'utf8')).toBe(broken)
    expect(await readdir(dir)).toEqual(['hooks.json'])
  })

  it('doctor says what is wrong: a binary gone, a deadline past the timeout, no daemon', async () => {
    const dir = join(project(), '.gemini')
    await mkdir(dir, {recursive: true})
    const command =
      '/nonexistent/node /nonexistent/bin/run.js hook gemini --deadline 90 ' +
      `--runtime-dir ${join(root, 'elsewhere')}`
    await writeFile(
      join(dir, 'settings.json'),
      JSON.stringify({
        hooks: {BeforeTool: [{matcher: 'run_shell_command', hooks: [{type: 'command', command, timeout: 60_000}]}]},
      }),
    )
    const r = await run(['hook', 'doctor', 'gemini'])
    expect(r.code).toBe(7)
    expect(r.stdout).toMatch(/✗ gemini: .* lacks hub's AfterTool hook/)
    expect(r.stdout).toMatch(/✗ BeforeTool runs \/nonexistent\/node, which does not exist/)
    expect(r.stdout).toMatch(/✗ BeforeTool: the hook may take 90s but the agent stops waiting at 60s/)
    expect(r.stdout).toMatch(/✗ daemon not reachable for .*elsewhere/)
    expect(r.stdout).toMatch(/→ /)
  })

  it('`hub hook <agent>` is still the hook itself', async () => {
    const r = await run(['hook', 'claude-code'])
    // No stdin: malformed input, refused with exit 2 (Claude Code blocks on it).
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/not JSON.*refused to be safe/)
  })
})
