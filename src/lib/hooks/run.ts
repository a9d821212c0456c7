/* eslint-disable n/no-process-exit, unicorn/no-process-exit --
   a hook must answer and exit with one exact status at once, even while a request hangs */
/**
 * One invocation of `hub hook <agent>`: read the agent's JSON, decide through the daemon, answer in
 * the agent's format. The caller ({@link startHook}) arms a hard deadline and crash handlers first,
 * so that no path — a daemon that never answers, stdin that never ends, an exception — leaves the
 * agent without an answer or with an exit status it would read as "run anyway".
 */
import {writeSync} from 'node:fs'

import type {HubConfig} from '../config.js'

import {ADAPTERS, type AgentAdapter, type HookAgent, type HookAnswer, type HookCall, MalformedInput} from './agents.js'
import {decide, type Decision, report} from './decide.js'
import {HookState, hookStateDir} from './state.js'

/** Hook input is a small JSON object; anything larger is not an agent's hook call. */
const MAX_STDIN = 1024 * 1024

export interface HookRun {
  agent: HookAgent
  base?: string | undefined
  config: HubConfig
  /** Seconds from start to the hook's own deadline. */
  deadlineS: number
  env?: NodeJS.ProcessEnv
  stdin: NodeJS.ReadableStream
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)
    size += b.length
    if (size > MAX_STDIN) throw new MalformedInput(`hook input is larger than ${MAX_STDIN} bytes`)
    chunks.push(b)
  }

  return Buffer.concat(chunks).toString('utf8')
}

function log(line: string): void {
  try {
    writeSync(2, line + '\n')
  } catch {
    // stderr closed: nothing to tell.
  }
}

/**
 * Starts the hook: arms the deadline and the crash handlers, runs it, writes the one answer and
 * exits. Never returns normally.
 */
export async function startHook(o: HookRun): Promise<never> {
  const adapter = ADAPTERS[o.agent]
  const deadline = Date.now() + o.deadlineS * 1000
  let call: HookCall | undefined
  let done = false
  const finish = (a: HookAnswer): void => {
    if (done) return
    done = true
    try {
      if (a.stdout) writeSync(1, a.stdout)
      if (a.stderr) writeSync(2, a.stderr)
    } finally {
      process.exit(a.exitCode)
    }
  }

  const refuse = (reason: string) => finish(adapter.answer(call, 'deny', reason))
  const timer = setTimeout(
    () => refuse(`hub hook reached its own deadline (${o.deadlineS}s) without a decision; refused to be safe`),
    Math.max(0, deadline - Date.now()),
  )
  process.on('uncaughtException', (error) => refuse(`hub hook crashed (${error.message}); refused to be safe`))
  process.on('unhandledRejection', (error) =>
    refuse(`hub hook crashed (${(error as Error)?.message ?? String(error)}); refused to be safe`),
  )
  try {
    finish(
      await runHook(o, adapter, deadline, (c) => {
        call = c
      }),
    )
  } catch (error) {
    refuse(`hub hook failed (${(error as Error).message}); refused to be safe`)
  } finally {
    clearTimeout(timer)
  }

  // finish() exits; this only satisfies the type.
  return process.exit(1)
}

async function runHook(
  o: HookRun,
  adapter: AgentAdapter,
  deadline: number,
  seen: (c: HookCall) => void,
): Promise<HookAnswer> {
  let call: HookCall | undefined
  try {
    const text = await readAll(o.stdin)
    let raw: unknown
    try {
      raw = JSON.parse(text)
    } catch {
      throw new MalformedInput(`hook input is not JSON (${text.length} characters)`)
    }

    call = adapter.parse(raw)
  } catch (error) {
    if (error instanceof MalformedInput)
      return adapter.answer(undefined, 'deny', `hub: ${error.message}; refused to be safe`)
    throw error
  }

  if (!call || call.phase === 'other') return adapter.pass()
  seen(call)
  const state = new HookState(hookStateDir(o.env))
  const client = await connect(o, deadline).catch((error: Error) => error)
  if (client instanceof Error) {
    if (call.phase === 'post') return adapter.pass()
    return adapter.answer(call, 'deny', `hub daemon unreachable (${client.message}); refused to be safe`)
  }

  try {
    const deps = {client, deadline, log, state}
    if (call.phase === 'post') {
      await report(call, deps)
      return adapter.pass()
    }

    const d: Decision = await decide(call, deps)
    return adapter.answer(call, d.allow ? 'allow' : 'deny', d.reason)
  } finally {
    void client.close().catch(() => {})
  }
}

async function connect(o: HookRun, deadline: number) {
  const [{discoverEndpoint, discoverToken}, {HubClient}] = await Promise.all([
    import('../discovery.js'),
    import('../client.js'),
  ])
  const endpoint = await discoverEndpoint(o.config, o.base)
  // An agent hook runs as the agent's user: the agent token, never the operator's.
  const token = await discoverToken(o.config, 'agent')
  if (!token) {
    throw new Error(
      `no agent token: set AGENT_HUB_TOKEN or let this user read ${o.config.runtimeDir}/agent_hub_token.txt`,
    )
  }

  return new HubClient({...endpoint, token, timeoutMs: Math.max(1000, deadline - Date.now())})
}
