/**
 * The containment suites' shared setup: a real `hub serve` in a root outside /tmp (the sandbox's /tmp
 * is its own, so a runtime directory under /tmp would be out of sight without any hiding at all), the
 * two clients, and the small moves of a hostile agent and a careless operator.
 */
import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {mkdir, mkdtemp, readFile, realpath, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {expect} from 'vitest'

import type {RunRecord} from '../src/lib/records.js'

import {HubClient} from '../src/lib/client.js'
import {BIN, childEnv} from './helpers.js'

export const linux = process.platform === 'linux'

export interface Daemon {
  agent: HubClient
  child: ChildProcess
  exited: Promise<{code: null | number; signal: NodeJS.Signals | null}>
  operator: HubClient
  output: () => string
  pid: number
  root: string
  runtime: string
  stop(): Promise<void>
  workspace: string
}

/** Polls until `check` holds, for up to `ms` (generous: the machine may be busy). */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 20_000): Promise<boolean> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await check()) return true
    if (Date.now() > deadline) return false
    await new Promise((r) => {
      setTimeout(r, 50)
    })
  }
}

export async function newRoot(): Promise<string> {
  await mkdir('/var/tmp', {recursive: true})
  return realpath(await mkdtemp('/var/tmp/hub-contain-'))
}

/**
 * `hub serve` in `root`; `extraFds` puts pipes at those descriptor numbers, as a careless supervisor
 * would leave them open.
 */
export async function startDaemon(
  root: string,
  env: Record<string, string> = {},
  extraFds: number[] = [],
): Promise<Daemon> {
  const stdio: Array<'ignore' | 'pipe'> = ['ignore', 'pipe', 'pipe']
  for (const fd of extraFds) {
    while (stdio.length < fd) stdio.push('ignore')
    stdio[fd] = 'pipe'
  }

  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {cwd: root, env: childEnv(root, env), stdio})
  let out = ''
  const collect = (c: Buffer): void => {
    out += c.toString()
  }

  child.stdout!.on('data', collect)
  child.stderr!.on('data', collect)
  const exited = new Promise<{code: null | number; signal: NodeJS.Signals | null}>((resolve) => {
    child.once('exit', (code, signal) => resolve({code, signal}))
  })
  // A start on a machine whose two cores are shared by several test suites can take tens of seconds.
  const started = await eventually(() => /Listening on http:\/\/\S+/.test(out) || child.exitCode !== null, 90_000)
  const base = /Listening on (http:\/\/\S+)/.exec(out)?.[1]
  if (!started || !base) {
    // Never leave a daemon behind, even one that was merely slow.
    child.kill('SIGKILL')
    throw new Error(`daemon did not start:\n${out}`)
  }

  const runtime = join(root, 'runtime')
  const token = async (name: string, file: string): Promise<string> =>
    env[name] ?? (await readFile(join(runtime, file), 'utf8')).trim()
  const agent = new HubClient({base, token: await token('AGENT_HUB_TOKEN', 'agent_hub_token.txt')})
  const operator = new HubClient({base, token: await token('AGENT_HUB_OPERATOR_TOKEN', 'operator_token.txt')})
  return {
    agent,
    operator,
    child,
    exited,
    pid: child.pid!,
    root,
    runtime,
    workspace: join(root, 'workspace'),
    output: () => out,
    async stop() {
      await agent.close()
      await operator.close()
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

/** What an agent does: plan the command; what a careless operator does: approve it. */
export async function approved(
  d: Daemon,
  command: string,
  extra: {cwd?: string; network?: boolean} = {},
): Promise<RunRecord> {
  const planned = await d.agent.plan({command, timeout_s: 120, ...extra})
  expect(planned.pending_id, JSON.stringify(planned)).toBeTruthy()
  return d.operator.approve(planned.pending_id!)
}

/** A script in the workspace: the policy sees `bash x.sh`, as it sees `npm test`, never what it does. */
export async function script(d: Daemon, name: string, body: string): Promise<string> {
  await writeFile(join(d.workspace, name), body)
  return `bash ${name}`
}

export function sleepers(m: string): number {
  return execFileSync('ps', ['-eo', 'args'])
    .toString()
    .split('\n')
    .filter((l) => l.trim() === `sleep ${m}`).length
}

export function marker(): string {
  return String(700_000 + Math.floor(Math.random() * 99_999))
}
