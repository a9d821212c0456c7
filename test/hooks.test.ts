/**
 * `hub hook <agent>` as the agents run it: the real binary, each agent's documented stdin (fixtures,
 * sources in fixtures/hooks/SOURCES.md), a real daemon. None of these may answer allow unless an
 * operator did. Cases are independent (own commands, own hook state) and run concurrently.
 */
import {spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
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
const AGENTS = ['claude-code', 'codex', 'cursor', 'gemini'] as const
type Agent = (typeof AGENTS)[number]
const PRE: Record<Agent, string> = {
  'claude-code': 'claude-code/pre-tool-use.json',
  codex: 'codex/pre-tool-use.json',
  cursor: 'cursor/before-shell-execution.json',
  gemini: 'gemini/before-tool.json',
}
const POST: Record<Agent, string> = {
  'claude-code': 'claude-code/post-tool-use.json',
  codex: 'codex/post-tool-use.json',
  cursor: 'cursor/after-shell-execution.json',
  gemini: 'gemini/after-tool.json',
}

interface Fill {
  command: string
  cwd: string
  output?: string
}

/** A value to put inside a JSON string: encoded as JSON does, without the quotes. */
function enc(s: string): string {
  return JSON.stringify(s).slice(1, -1)
}

function fixture(file: string, v: Fill): string {
  const text = readFileSync(join(FIX, file), 'utf8')
  return text
    .replaceAll('{cwd}', enc(v.cwd))
    .replaceAll('{command}', enc(v.command))
    .replaceAll('{output}', enc(v.output ?? ''))
    .replaceAll('{note}', 'test')
}

interface HookResult {
  code: number
  stderr: string
  stdout: string
}

/** One hook invocation; `state` names the test's own pre→post state directory. */
function runHook(
  agent: Agent,
  root: string,
  stdin: string,
  o: {args?: string[]; env?: Record<string, string>; state?: string} = {},
): Promise<HookResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'hook', agent, ...(o.args ?? [])], {
      cwd: root,
      env: childEnv(root, {AGENT_HUB_HOOK_STATE_DIR: join(root, 'hook-state', o.state ?? 'shared'), ...o.env}),
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString()
    })
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString()
    })
    child.on('close', (code) => resolve({code: code ?? -1, stdout, stderr}))
    child.stdin.end(stdin)
  })
}

/** Each agent's own reading of the answer: deny, allow, or no opinion. */
type AgentAnswer = {
  decision?: string
  hookSpecificOutput?: {decision?: {behavior?: string}; permissionDecision?: string}
  permission?: string
}

function decisionOf(agent: Agent, r: HookResult): 'allow' | 'deny' | 'none' | string {
  if (r.code === 2) return 'deny'
  if (r.code !== 0 || r.stdout.trim() === '') return 'none'
  const o = JSON.parse(r.stdout) as AgentAnswer
  if (agent === 'cursor') return o.permission ?? 'none'
  if (agent === 'gemini') return o.decision ?? 'none'
  return o.hookSpecificOutput?.permissionDecision ?? o.hookSpecificOutput?.decision?.behavior ?? 'none'
}

/** The exact stdout each agent reads as a deny with this reason at its pre-tool step. */
function denyAnswer(agent: Agent, reason: string): string {
  const body =
    agent === 'cursor'
      ? {permission: 'deny', user_message: `hub: ${reason}`, agent_message: reason}
      : agent === 'gemini'
        ? {decision: 'deny', reason}
        : {
            hookSpecificOutput: {
              hookEventName: 'PreToolUse',
              permissionDecision: 'deny',
              permissionDecisionReason: reason,
            },
          }
  return JSON.stringify(body) + '\n'
}

/** The daemon as the operator sees it over HTTP: read-only look-ups that would cost a process each through the CLI. */
function operatorApi(daemon: DaemonProcess, root: string) {
  let token: string | undefined
  return async <T>(path: string): Promise<T> => {
    token ??= (await readFile(join(root, 'runtime', 'operator_token.txt'), 'utf8')).trim()
    const res = await fetch(daemon.base + path, {headers: {'x-agent-token': token}})
    return (await res.json()) as T
  }
}

interface AuditLine {
  client?: string
  event: string
  excerpt?: string
  executor?: string
  exit_code?: null | number
  pending_id?: string
  session_id?: string
  stdout_bytes?: number
}

describe('hub hook', () => {
  let root: string
  let daemon: DaemonProcess
  let ws: string
  let api: ReturnType<typeof operatorApi>

  beforeAll(async () => {
    root = await tempRoot('hub-hooks-')
    daemon = await startDaemonProcess(root, {AGENT_HUB_SANDBOX: 'none'})
    ws = join(root, 'workspace')
    api = operatorApi(daemon, root)
  })
  afterAll(async () => {
    await daemon?.stop()
    await removeRoot(root)
  })

  /** The id of the pending request for this exact command, once the hook has queued it. */
  const pendingIdOf = (command: string) =>
    waitFor(async () => {
      const list = await api<Array<{command: string; pending_id: string}>>('/pending')
      return list.find((p) => p.command === command)?.pending_id
    }, `the hook's request for ${command} to be queued`)

  const audit = async (agent: Agent) =>
    JSON.parse((await hub(['audit', '--json', '--client', agent], {root})).stdout) as AuditLine[]

  describe.concurrent('each agent', () => {
    for (const agent of AGENTS) {
      it(`${agent}: a command the policy refuses is denied with the reason`, async () => {
        const r = await runHook(agent, root, fixture(PRE[agent], {cwd: ws, command: 'rm -rf /'}), {state: `${agent}-p`})
        expect(decisionOf(agent, r)).toBe('deny')
        expect(r.stdout).toMatch(/Blocked by policy/)
      })

      it(`${agent}: approved while the hook waits, then the agent's post-tool report becomes the run`, async () => {
        const state = `${agent}-approve`
        const command = `echo approved-${agent}`
        const output = `approved-${agent}-out\n`
        const pending = runHook(agent, root, fixture(PRE[agent], {cwd: ws, command}), {state})
        const id = await pendingIdOf(command)
        expect((await hub(['approve', id], {root})).code).toBe(0)
        const pre = await pending
        // Codex's PreToolUse cannot answer allow: no output lets Codex go on to its own approval step.
        expect(decisionOf(agent, pre)).toBe(agent === 'codex' ? 'none' : 'allow')
        if (agent === 'codex') {
          const perm = await runHook(agent, root, fixture('codex/permission-request.json', {cwd: ws, command}), {state})
          expect(JSON.parse(perm.stdout)).toEqual({
            hookSpecificOutput: {hookEventName: 'PermissionRequest', decision: {behavior: 'allow'}},
          })
        }

        // Approved and not reported back yet: visible as such.
        const before = await api<{executor?: string; state: string}>(`/requests/${id}`)
        expect(before).toMatchObject({state: 'approved', executor: 'agent'})
        const approvedLine = (await audit(agent)).find((l) => l.pending_id === id && l.event === 'command_approved')
        expect(approvedLine).toMatchObject({client: agent, executor: agent})

        const post = await runHook(agent, root, fixture(POST[agent], {cwd: ws, command, output}), {state})
        expect(post.code).toBe(0)
        expect(post.stdout).toBe(agent === 'cursor' || agent === 'gemini' ? '{}\n' : '')
        const line = (await audit(agent)).find((l) => l.pending_id === id && l.event === 'command_executed_by_agent')
        expect(line).toMatchObject({client: agent, executor: agent, exit_code: agent === 'cursor' ? null : 0})
        expect(line?.stdout_bytes).toBeGreaterThan(0)
        expect(line?.excerpt).toContain(`approved-${agent}-out`)
        expect(line?.session_id).toBeTruthy()
        expect((await api<{state: string}>(`/requests/${id}`)).state).toBe('executed')
        const runs = JSON.parse((await hub(['runs', '--json', '--last', '50'], {root})).stdout) as Array<{
          executor?: string
          pending_id: string
        }>
        expect(runs.find((r) => r.pending_id === id)?.executor).toBe(agent)
      })

      it(`${agent}: operator deny is a deny`, async () => {
        const command = `echo denied-${agent}`
        const pending = runHook(agent, root, fixture(PRE[agent], {cwd: ws, command}), {state: `${agent}-deny`})
        const id = await pendingIdOf(command)
        expect((await hub(['deny', id, '--reason', 'not today'], {root})).code).toBe(0)
        const r = await pending
        expect(r.stdout).toBe(denyAnswer(agent, `denied by the hub operator: not today (request ${id})`))
      })

      it(`${agent}: a daemon that is down means deny`, async () => {
        const r = await runHook(agent, root, fixture(PRE[agent], {cwd: ws, command: 'echo x'}), {
          env: {AGENT_HUB_BASE: 'http://127.0.0.1:1'},
          state: `${agent}-down`,
        })
        expect(decisionOf(agent, r)).toBe('deny')
        expect(r.stdout + r.stderr).toMatch(/unreachable/)
      })

      it(`${agent}: malformed stdin means deny`, async () => {
        const r = await runHook(agent, root, '{"not": "a hook call"', {state: `${agent}-bad`})
        expect(decisionOf(agent, r)).toBe('deny')
      })

      it(`${agent}: a daemon that never answers: the hook denies at its own deadline`, async () => {
        const server: Server = createServer(() => {})
        await new Promise<void>((r) => {
          server.listen(0, '127.0.0.1', () => r())
        })
        const {port} = server.address() as {port: number}
        try {
          const started = Date.now()
          const r = await runHook(agent, root, fixture(PRE[agent], {cwd: ws, command: 'echo y'}), {
            args: ['--deadline', '3'],
            env: {AGENT_HUB_BASE: `http://127.0.0.1:${port}`},
            state: `${agent}-hang`,
          })
          expect(decisionOf(agent, r)).toBe('deny')
          expect(Date.now() - started).toBeLessThan(30_000)
        } finally {
          server.close()
        }
      })
    }

    it('claude-code: a command that failed reports its exit code (PostToolUseFailure)', async () => {
      const state = 'claude-fail'
      const command = 'echo fails-on-purpose'
      const pending = runHook('claude-code', root, fixture(PRE['claude-code'], {cwd: ws, command}), {state})
      const id = await pendingIdOf(command)
      expect((await hub(['approve', id], {root})).code).toBe(0)
      expect(decisionOf('claude-code', await pending)).toBe('allow')
      const post = await runHook(
        'claude-code',
        root,
        fixture('claude-code/post-tool-use-failure.json', {cwd: ws, command, output: 'boom'}),
        {state},
      )
      expect(post.code).toBe(0)
      const line = (await audit('claude-code')).find(
        (l) => l.pending_id === id && l.event === 'command_executed_by_agent',
      )
      expect(line).toMatchObject({exit_code: 3})
    })
  })

  it('no audit line or run record holds the agent token', async () => {
    const token = (await readFile(join(root, 'runtime', 'agent_hub_token.txt'), 'utf8')).trim()
    expect(token.length).toBeGreaterThan(10)
    expect(await readFile(join(root, 'runtime', 'audit.log'), 'utf8')).not.toContain(token)
    expect((await hub(['runs', '--json', '--last', '100'], {root})).stdout).not.toContain(token)
  })
})

describe('hub hook: a request that expires while the hook waits', () => {
  let root: string
  let daemon: DaemonProcess

  beforeAll(async () => {
    root = await tempRoot('hub-hooks-expiry-')
    daemon = await startDaemonProcess(root, {AGENT_HUB_SANDBOX: 'none', AGENT_HUB_PENDING_TTL_SECONDS: '3'})
  })
  afterAll(async () => {
    await daemon?.stop()
    await removeRoot(root)
  })

  it.concurrent.each([...AGENTS])('%s: answers deny in its exact format', async (agent) => {
    const r = await runHook(
      agent,
      root,
      fixture(PRE[agent], {cwd: join(root, 'workspace'), command: `echo late-${agent}`}),
      {
        state: agent,
      },
    )
    const id = /hub request (\S+) expired/.exec(r.stdout)?.[1]
    expect(id, r.stdout + r.stderr).toBeTruthy()
    expect(r.stdout).toBe(denyAnswer(agent, `no operator decided in time: hub request ${id} expired`))
    expect(r.code).toBe(0)
  })
})
