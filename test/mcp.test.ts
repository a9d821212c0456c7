/**
 * `hub mcp` (issue 14) driven by the real MCP client SDK over stdio against a real daemon.
 */
import {Client} from '@modelcontextprotocol/client'
import {StdioClientTransport} from '@modelcontextprotocol/client/stdio'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {BIN, childEnv, type DaemonProcess, hub, removeRoot, startDaemonProcess, tempRoot, waitFor} from './helpers.js'

let root: string
let daemon: DaemonProcess | undefined
let client: Client | undefined

beforeEach(async () => {
  root = await tempRoot()
})
afterEach(async () => {
  await client?.close()
  client = undefined
  await daemon?.stop('SIGKILL')
  daemon = undefined
  await removeRoot(root)
})

async function connect(): Promise<Client> {
  const env = childEnv(root) as Record<string, string>
  const transport = new StdioClientTransport({command: process.execPath, args: [BIN, 'mcp'], cwd: root, env})
  const c = new Client({name: 'hub-test', version: '0.0.0'})
  await c.connect(transport)
  client = c
  return c
}

function textOf(r: unknown): string {
  const {content} = r as {content: Array<{text?: string}>}
  return content.map((b) => b.text ?? '').join('')
}

describe('hub mcp', () => {
  it('lists its tools with annotations', async () => {
    daemon = await startDaemonProcess(root)
    const c = await connect()
    const {tools} = await c.listTools()
    const names = tools.map((t) => t.name).sort()
    expect(names).toEqual(['recent_runs', 'request_status', 'run_command'])
    expect(tools.find((t) => t.name === 'run_command')?.annotations?.destructiveHint).toBe(true)
  }, 120_000)

  it('runs a command an operator approves, with progress while waiting', async () => {
    daemon = await startDaemonProcess(root)
    const c = await connect()
    const progress: unknown[] = []
    const call = c.callTool(
      {name: 'run_command', arguments: {command: 'echo hello-mcp', note: 'test'}},
      {onprogress: (p) => progress.push(p), timeout: 120_000},
    )
    const id = await waitFor(async () => {
      const r = await hub(['pending', '--json'], {root})
      const m = /"(?:pending_)?id"\s*:\s*"([^"]+)"/.exec(r.stdout)
      return m?.[1]
    }, 'the pending request')
    await waitFor(async () => (progress.length > 0 ? true : undefined), 'a progress notification')
    const approved = await hub(['approve', id], {root})
    expect(approved.code).toBe(0)
    const result = await call
    expect(result.isError).toBe(false)
    expect(textOf(result)).toContain('hello-mcp')
    // The audit names the client, this server's session and the JSON-RPC id of the tool call.
    const lines = JSON.parse((await hub(['audit', '--json', '--client', 'mcp'], {root})).stdout) as Array<
      Record<string, unknown>
    >
    const queued = lines.find((l) => l.pending_id === id && l.event === 'command_queued')
    expect(queued).toMatchObject({client: 'mcp'})
    expect(queued?.session_id).toMatch(/^[\da-f-]{36}$/)
    expect(queued?.tool_use_id).toMatch(/^jsonrpc:\d+$/)
  }, 180_000)

  it('withdraws the pending request when the client cancels', async () => {
    daemon = await startDaemonProcess(root)
    const c = await connect()
    const ac = new AbortController()
    const call = c.callTool({name: 'run_command', arguments: {command: 'echo never'}}, {signal: ac.signal})
    const id = await waitFor(async () => {
      const r = await hub(['pending', '--json'], {root})
      return /"(?:pending_)?id"\s*:\s*"([^"]+)"/.exec(r.stdout)?.[1]
    }, 'the pending request')
    ac.abort()
    await expect(call).rejects.toThrow()
    await waitFor(async () => {
      const r = await hub(['pending', '--json'], {root})
      return r.stdout.includes(id) ? undefined : true
    }, 'the request to leave the queue')
    const audit = await hub(['audit', '--json', '--client', 'mcp'], {root})
    expect(audit.stdout).toContain(id)
  }, 180_000)

  it('answers a tool error for a command the policy refuses and for one the operator denies', async () => {
    daemon = await startDaemonProcess(root)
    const c = await connect()
    const refused = await c.callTool({name: 'run_command', arguments: {command: 'rm -rf /'}})
    expect(refused.isError).toBe(true)
    // The policy's whole reason, the rule and the request, so that the agent can say why.
    expect(textOf(refused)).toMatch(/^hub: Blocked by policy: .+ \(rule .+, request .+\)/)
    const call = c.callTool({name: 'run_command', arguments: {command: 'echo nope'}})
    const id = await waitFor(async () => {
      const r = await hub(['pending', '--json'], {root})
      return /"(?:pending_)?id"\s*:\s*"([^"]+)"/.exec(r.stdout)?.[1]
    }, 'the pending request')
    expect((await hub(['deny', id, '--reason', 'use the staging database instead'], {root})).code).toBe(0)
    const denied = await call
    expect(denied.isError).toBe(true)
    expect(textOf(denied)).toBe(`request ${id} was denied by the hub operator: use the staging database instead`)
  }, 180_000)

  it('gives a clear tool error when the daemon is down', async () => {
    const c = await connect()
    const result = await c.callTool({name: 'recent_runs', arguments: {}})
    expect(result.isError).toBe(true)
    expect(textOf(result)).toMatch(/hub:/)
  }, 120_000)
})
