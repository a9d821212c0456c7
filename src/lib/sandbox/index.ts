/**
 * Containment of runs (SPEC §6.5). The daemon asks once at start what this machine can do
 * (`detectSandbox`), and the gateway hands the runner a `SandboxPlan` for each run.
 */
import {spawn} from 'node:child_process'
import {constants} from 'node:fs'
import {access} from 'node:fs/promises'
import {delimiter, isAbsolute, join, relative, sep} from 'node:path'

import type {HubConfig} from '../config.js'

import {bwrapArgs} from './bwrap.js'

export type SandboxKind = 'bwrap' | 'none'

/** What the daemon can contain runs with, and why not when it cannot. */
export interface SandboxStatus {
  /** The bwrap binary found at start (absolute), used for every run. */
  executable?: string | undefined
  kind: SandboxKind
  /** Why runs are not contained (missing bwrap, no user namespaces, AGENT_HUB_SANDBOX=none). */
  reason?: string | undefined
  version?: string | undefined
}

/** How one run is contained. */
export interface SandboxPlan {
  /** The bwrap binary; `bwrap` from PATH when absent. */
  executable?: string | undefined
  /** Paths that must be invisible to the run (the runtime directory, the policy file, keys). */
  hide: string[]
  kind: SandboxKind
  network: boolean
  /** Extra read-write paths beside the workspace. */
  rw: string[]
  /** The workspace's real path, bound read-write at the same path. */
  workspace: string
}

export const INSTALL_HINT = 'apt-get install bubblewrap'
const TRIAL_TIMEOUT_MS = 10_000

/** The first executable named `name` on a PATH, like execvp would find it. */
export async function findExecutable(name: string, path: string | undefined): Promise<string | undefined> {
  for (const dir of (path ?? '').split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue
    const candidate = join(dir, name)
    try {
      await access(candidate, constants.X_OK)
      return candidate
    } catch {
      // Not here; try the next directory.
    }
  }

  return undefined
}

function runQuietly(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{code: null | number; error?: string; output: string}> {
  return new Promise((resolvePromise) => {
    const child = spawn(file, args, {cwd: '/', env, stdio: ['ignore', 'pipe', 'pipe']})
    let output = ''
    const keep = (c: Buffer): void => {
      if (output.length < 4096) output += c.toString('utf8')
    }

    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    const timer = setTimeout(() => child.kill('SIGKILL'), TRIAL_TIMEOUT_MS)
    child.once('error', (error) => {
      clearTimeout(timer)
      resolvePromise({code: null, error: error.message, output})
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      resolvePromise({code, output})
    })
  })
}

function explainFailure(output: string, code: null | number): string {
  const line =
    output
      .split('\n')
      .map((l) => l.trim())
      .find(Boolean)
      ?.replace(/^bwrap:\s*/, '') ?? (code === null ? 'no answer in time' : `exit code ${code}`)
  if (/namespace|uid map|unshare|clone|Operation not permitted|setting up/i.test(line))
    return `cannot create user namespaces: ${line}`
  return `bwrap cannot start a sandbox here: ${line}`
}

/**
 * Finds out whether runs can be contained here: finds `bwrap` on PATH and makes it really build a
 * sandbox like a run's (PID, IPC and network namespaces, the workspace bound, no capabilities), so
 * that a kernel without user namespaces, a container's seccomp profile or a broken install shows
 * now, with its reason, and not at the first approved command.
 */
export async function detectSandbox(
  config: Pick<HubConfig, 'sandbox'>,
  opts: {env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform; workspace?: string} = {},
): Promise<SandboxStatus> {
  if (config.sandbox === 'none') return {kind: 'none', reason: 'AGENT_HUB_SANDBOX=none'}
  const platform = opts.platform ?? process.platform
  if (platform !== 'linux')
    return {kind: 'none', reason: `bubblewrap containment exists only on Linux; runs on ${platform} are not contained`}
  const env = opts.env ?? process.env
  const executable = await findExecutable('bwrap', env.PATH)
  if (!executable) return {kind: 'none', reason: `bwrap not found: ${INSTALL_HINT}`}
  const workspace = opts.workspace ?? '/tmp'
  const plan: SandboxPlan = {kind: 'bwrap', executable, network: false, hide: [], rw: [], workspace}
  const args = bwrapArgs(plan, workspace, {file: 'true', args: []})
  // The trial's `true` is looked for where every system has it, whatever PATH found bwrap.
  const [trial, version] = await Promise.all([
    runQuietly(executable, args, {PATH: '/usr/local/bin:/usr/bin:/bin'}),
    runQuietly(executable, ['--version'], {}),
  ])
  if (trial.code !== 0)
    return {kind: 'none', executable, reason: explainFailure(trial.error ?? trial.output, trial.code)}
  return {kind: 'bwrap', executable, version: /[\d.]+/.exec(version.output)?.[0]}
}

function inside(parent: string, child: string): boolean {
  const rel = relative(parent, child)
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel))
}

/**
 * Why a layout would let a run reach hub's own files through a read-write path, if it would: a
 * read-write path inside the runtime directory would show part of it, and one that holds the runtime
 * directory or the policy file would let a run rename them away and put its own in their place for
 * the next start. Paths are real paths.
 */
export function sandboxLayoutProblem(l: {
  hide: string[]
  policyFile?: string | undefined
  runtimeDir: string
  rw: string[]
  workspace: string
}): string | undefined {
  for (const rw of l.rw) {
    if (inside(l.runtimeDir, rw) || inside(rw, l.runtimeDir))
      return `The read-write path ${rw} (AGENT_HUB_SANDBOX_RW) overlaps the runtime directory ${l.runtimeDir}.`
    if (l.policyFile && inside(rw, l.policyFile))
      return `The read-write path ${rw} (AGENT_HUB_SANDBOX_RW) holds the policy file ${l.policyFile}.`
  }

  for (const hide of l.hide) {
    if (hide === l.workspace)
      return `AGENT_HUB_SANDBOX_HIDE names the workspace ${hide} itself; runs would see an empty directory.`
  }

  return undefined
}
