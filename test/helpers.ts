/**
 * Shared set-up for integration tests: a temporary root, a hub opened on it (no socket), and a
 * real daemon process started through the built CLI.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {openHub, type OpenHub} from '../src/daemon/server.js'
import {resolveConfig} from '../src/lib/config.js'
import {silentLogger} from '../src/lib/logger.js'

export const REPO = resolve(import.meta.dirname, '..')
export const BIN = join(REPO, 'bin', 'run.js')

export async function tempRoot(prefix = 'hub-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix))
}

export async function removeRoot(root: string): Promise<void> {
  await rm(root, {recursive: true, force: true})
}

export async function openTestHub(root: string, env: Record<string, string> = {}): Promise<OpenHub> {
  return openHub(resolveConfig({AGENT_HUB_ROOT: root, ...env}, {}, root), silentLogger)
}

export async function readLines(path: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(path, 'utf8').catch(() => '')
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

/** Environment for child processes: the test root, and none of the developer's own hub settings. */
export function childEnv(root: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AGENT_HUB_')) env[k] = v
  // Daemons register for their user's CLI (src/lib/registry.ts): keep the tests' entries out of the
  // developer's own registry, where they would make `hub pending` elsewhere ask which daemon to use.
  return {...env, AGENT_HUB_ROOT: root, NO_COLOR: '1', XDG_RUNTIME_DIR: join(root, '.registry'), ...extra}
}

export interface CliResult {
  code: number
  stderr: string
  stdout: string
}

/** Runs the built CLI as a user would. */
export function hub(
  args: string[],
  opts: {env?: Record<string, string>; root: string; timeoutMs?: number},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.root,
      env: childEnv(opts.root, opts.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString()
    })
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString()
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 90_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolvePromise({code: code ?? -1, stdout, stderr})
    })
  })
}

export interface DaemonProcess {
  base: string
  child: ChildProcess
  output: () => string
  port: number
  stop(signal?: NodeJS.Signals): Promise<null | number>
}

/** Starts `hub serve --port 0` in the root and waits until daemon.json names its port. */
export async function startDaemonProcess(
  root: string,
  env: Record<string, string> = {},
  ids: {gid?: number; uid?: number} = {},
  args: string[] = [],
  /** Shell commands run before the daemon starts in the same process (`umask 000`). */
  prelude?: string,
): Promise<DaemonProcess> {
  const argv = [BIN, 'serve', '--port', '0', ...args]
  const [file, fileArgs] = prelude
    ? ['/bin/sh', ['-c', `${prelude}; exec "$0" "$@"`, process.execPath, ...argv]]
    : [process.execPath, argv]
  const child = spawn(file, fileArgs, {
    cwd: root,
    env: childEnv(root, env),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...ids,
  })
  let out = ''
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString()
  })
  child.stderr!.on('data', (c: Buffer) => {
    out += c.toString()
  })
  const deadline = Date.now() + 90_000
  for (;;) {
    const m = /Listening on (http:\/\/\S+)/.exec(out)
    if (m) {
      const base = m[1]!
      const port = Number(new URL(base).port)
      return {
        child,
        base,
        port,
        output: () => out,
        stop: (signal = 'SIGTERM') =>
          new Promise((res) => {
            if (child.exitCode !== null || child.signalCode !== null) {
              res(child.exitCode)
              return
            }

            child.once('exit', (code) => res(code))
            child.kill(signal)
          }),
      }
    }

    if (child.exitCode !== null || Date.now() > deadline) {
      // Never leave a daemon behind that a test gave up on.
      if (child.exitCode === null) child.kill('SIGKILL')
      throw new Error(`daemon did not start:\n${out}`)
    }

    await sleep(50)
  }
}

export type Json = Record<string, unknown> & {error?: {[k: string]: unknown; code: string; message: string}}

export interface ApiAnswer {
  body: Json
  headers: Headers
  status: number
}

/** Calls a hub's app without a socket; the agent token unless another (or `null`: none) is given. */
export function apiCaller(hub: () => OpenHub) {
  return async (
    method: string,
    path: string,
    opts: {body?: unknown; headers?: Record<string, string>; raw?: string; token?: null | string} = {},
  ): Promise<ApiAnswer> => {
    const headers: Record<string, string> = {...opts.headers}
    const token = opts.token === undefined ? hub().tokens.agent : opts.token
    if (token) headers['x-agent-token'] = token
    let body: string | undefined
    if (opts.raw !== undefined) body = opts.raw
    else if (opts.body !== undefined) body = JSON.stringify(opts.body)
    if (body !== undefined) headers['content-type'] ??= 'application/json'
    const res = await hub().app.request(path, {method, headers, body})
    const text = await res.text()
    return {status: res.status, body: (text ? JSON.parse(text) : {}) as Json, headers: res.headers}
  }
}

/**
 * Polls `check` until it returns a value (not undefined/false), or fails after a deadline generous for a
 * loaded machine.
 */
export async function waitFor<T>(
  check: () => false | Promise<false | T | undefined> | T | undefined,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let delay = 10
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`)
    await sleep(delay)
    delay = Math.min(delay * 2, 250)
  }
}
