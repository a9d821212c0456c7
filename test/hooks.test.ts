/**
 * `hub hook <agent>` as the agents run it: the real binary, each agent's documented stdin (fixtures),
 * a real daemon. None of these may answer allow unless an operator did.
 */
import {spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {createServer, type Server} from 'node:net'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {
  BIN,
  childEnv,
  type DaemonProcess,
  hub,
  removeRoot,
  REPO,
  startDaemonProcess,
  tempRoot,
  waitFor,
} from './helpers.js'

const FIX = join(REPO, 'test', 'fixtures', 'hooks')
const FILES = {
  'claude-code': 'claude-code/pre-tool-use.json',
  codex: 'codex/pre-tool-use.json',
  cursor: 'cursor/before-shell-execution.json',
  gemini: 'gemini/before-tool.json',
} as const
type Agent = keyof typeof FILES

function input(agent: Agent, cwd: string, command: string): string {
  const text = readFileSync(join(FIX, FILES[agent]), 'utf8')
  const fill = (s: string) => JSON.stringify(s).slice(1, -1)
  return text.replaceAll('{cwd}', fill(cwd)).replaceAll('{command}', fill(command)).replaceAll('{note}', 'test')
}

function runHook(agent: Agent, root: string, stdin: string, args: string[] = [], env: Record<string, string> = {}) {
  return new Promise<{code: number; stderr: string; stdout: string}>((resolve) => {
    const child = spawn(process.execPath, [BIN, 'hook', agent, ...args], {
      cwd: root,
      env: childEnv(root, {AGENT_HUB_HOOK_STATE_DIR: join(root, 'hook-state'), ...env}),
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.on('close', (code) => resolve({code: code ?? -1, stdout, stderr}))
    child.stdin.end(stdin)
  })
}

/** What each agent reads as deny / allow. */
function decisionOf(agent: Agent, r: {code: number; stdout: string}): 'allow' | 'deny' | 'none' {
  if (r.code === 2) return 'deny'
  if (r.code !== 0) return 'none'
  if (r.stdout.trim() === '') return 'none'
  const o = JSON.parse(r.stdout) as Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- each agent's own shape
  if (agent === 'cursor') return o.permission
  if (agent === 'gemini') return o.decision
  return o.hookSpecificOutput?.permissionDecision ?? 'none'
}

const AGENTS: Agent[] = ['claude-code', 'codex', 'cursor', 'gemini']

describe('hub hook', () => {
  let root: string
  let daemon: DaemonProcess
  let ws: string
  beforeAll(async () => {
    root = await tempRoot('hub-hooks-')
    daemon = await startDaemonProcess(root, {AGENT_HUB_SANDBOX: 'none'})
    ws = join(root, 'workspace')
  })
  afterAll(async () => {
    await daemon?.stop()
    await removeRoot(root)
  })

  for (const agent of AGENTS) {
    it(`${agent}: a command the policy refuses is denied with the reason`, async () => {
      const r = await runHook(agent, root, input(agent, ws, 'rm -rf /'))
      expect(decisionOf(agent, r)).toBe('deny')
      expect(r.stdout).toMatch(/Blocked by policy/)
    })

    it(`${agent}: approved by the operator while the hook waits`, async () => {
      const command = `echo approved-${agent}`
      const pending = runHook(agent, root, input(agent, ws, command))
      const id = await waitFor(async () => {
        const list = JSON.parse((await hub(['pending', '--json'], {root})).stdout) as Array<{
          command: string
          pending_id: string
        }>
        return list.find((p) => p.command === command)?.pending_id
      }, 'the hook request to be queued')
      const approved = await hub(['approve', id], {root})
      expect(approved.code).toBe(0)
      const r = await pending
      // Codex's PreToolUse cannot answer allow: no output lets Codex go on to its own approval step.
      expect(decisionOf(agent, r)).toBe(agent === 'codex' ? 'none' : 'allow')
    })

    it(`${agent}: operator deny is a deny`, async () => {
      const command = `echo denied-${agent}`
      const pending = runHook(agent, root, input(agent, ws, command))
      const id = await waitFor(async () => {
        const list = JSON.parse((await hub(['pending', '--json'], {root})).stdout) as Array<{
          command: string
          pending_id: string
        }>
        return list.find((p) => p.command === command)?.pending_id
      }, 'the hook request to be queued')
      expect((await hub(['deny', id, '--reason', 'no'], {root})).code).toBe(0)
      const r = await pending
      expect(decisionOf(agent, r)).toBe('deny')
    })

    it(`${agent}: a daemon that is down means deny`, async () => {
      const r = await runHook(agent, root, input(agent, ws, 'echo x'), [], {AGENT_HUB_BASE: 'http://127.0.0.1:1'})
      expect(decisionOf(agent, r)).toBe('deny')
    })

    it(`${agent}: malformed stdin means deny`, async () => {
      const r = await runHook(agent, root, '{"not": "a hook call"')
      expect(decisionOf(agent, r)).toBe('deny')
    })
  }

  it('a daemon that never answers: the hook denies at its own deadline', async () => {
    const server: Server = createServer(() => {})
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    const {port} = server.address() as {port: number}
    try {
      for (const agent of AGENTS) {
        const started = Date.now()
        const r = await runHook(agent, root, input(agent, ws, 'echo y'), ['--deadline', '3'], {
          AGENT_HUB_BASE: `http://127.0.0.1:${port}`,
        })
        expect(decisionOf(agent, r)).toBe('deny')
        expect(Date.now() - started).toBeLessThan(30_000)
      }
    } finally {
      server.close()
    }
  })
})
