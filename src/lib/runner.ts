import type {Readable} from 'node:stream'

/**
 * Runs one approved command (SPEC §6.2, §6.5): the configured shell, no TTY, standard input closed,
 * a short allow-listed environment, output kept up to a limit per stream with the rest only counted,
 * and a timeout that stops the run (TERM, then KILL after a grace period).
 *
 * Contained (bwrap), the shell is the first process of its own PID namespace: when it exits or the
 * timeout fires, every process of the run is gone, whatever it did (`setsid`, double fork, `nohup`).
 * Uncontained, the command gets its own process group, stopped as soon as the shell exits, so that a
 * background job (`sleep 1000 &`) does not outlive the run; a process that leaves the group escapes.
 *
 * Every live run is in a registry, so that the daemon can stop them all on any exit path
 * (`killAllRuns`), fatal errors included.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {constants as osConstants} from 'node:os'

import type {SandboxPlan} from './sandbox/index.js'

import {UsageSampler} from './process-usage.js'
import {bwrapArgs} from './sandbox/bwrap.js'

export interface RunSpec {
  command: string
  cwd: string
  env: Record<string, string>
  /** Time between TERM and KILL when stopping the group. */
  killGraceMs?: number
  /** Called with each chunk as the command writes it (live output for `hub approve` and the console). */
  onOutput?: ((stream: 'stderr' | 'stdout', chunk: Buffer) => void) | undefined
  onSpawn?: (pid: number) => void
  outputLimitBytes: number
  /** Containment (SPEC §6.5); absent or kind none runs the shell directly. */
  sandbox?: SandboxPlan | undefined
  shell: string
  /** Aborting stops the run (daemon shutdown); the result says `interrupted`. */
  signal?: AbortSignal
  timeoutMs: number
}

export interface RunResult {
  cpuMs: null | number
  durationMs: number
  exitCode: null | number
  finishedAt: Date
  interrupted: boolean
  peakRssMb: null | number
  /** Why the shell could not be started, if it could not. */
  spawnError?: string
  startedAt: Date
  stderr: string
  stderrBytes: number
  stderrTruncated: boolean
  stdout: string
  stdoutBytes: number
  stdoutTruncated: boolean
  timedOut: boolean
}

export const TIMEOUT_EXIT_CODE = 124
/** Where bwrap writes its JSON status in the run's descriptors (never inherited by the command). */
const STATUS_FD = 3

/** Arguments that make the shell run one command string without reading a profile. */
export function shellInvocation(shell: string, command: string): {args: string[]; file: string} {
  const name = shell
    .replaceAll('\\', '/')
    .split('/')
    .pop()!
    .toLowerCase()
    .replace(/\.exe$/, '')
  if (name === 'pwsh' || name === 'powershell')
    return {file: shell, args: ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', command]}
  if (name === 'cmd') return {file: shell, args: ['/d', '/s', '/c', command]}
  return {file: shell, args: ['-c', command]}
}

const BASE_ENV = [
  'PATH',
  'HOME',
  'LANG',
  'LC_ALL',
  'TZ',
  'USER',
  'LOGNAME',
  'SYSTEMROOT',
  'COMSPEC',
  'PATHEXT',
  'TEMP',
  'TMP',
]
// Nothing that looks like a secret reaches a command, even when the operator lists it by mistake.
const SECRET_NAME = /TOKEN|SECRET|PASSW|PASSPHRASE|CREDENTIAL|(^|_)KEY($|_)|API_?KEY|PRIVATE|AUTH|COOKIE|SESSION/i

export function isSecretName(name: string): boolean {
  return name.toUpperCase().startsWith('AGENT_HUB_') || SECRET_NAME.test(name)
}

/** The child's environment (SPEC §6.2): a short allow-list plus the operator's additions, minus anything secret. */
export function childEnv(parent: NodeJS.ProcessEnv, passEnv: string[] = []): Record<string, string> {
  const env: Record<string, string> = {}
  for (const name of [...BASE_ENV, ...passEnv]) {
    const value = parent[name]
    if (value !== undefined && !isSecretName(name)) env[name] = value
  }

  env.TERM = 'dumb'
  env.PATH ??= '/usr/local/bin:/usr/bin:/bin'
  return env
}

/** Keeps the first `limit` bytes of a stream and counts the rest without holding it. */
class Capture {
  total = 0
  private chunks: Buffer[] = []
  private kept = 0

  constructor(private readonly limit: number) {}

  get truncated(): boolean {
    return this.total > this.kept
  }

  push(chunk: Buffer): void {
    this.total += chunk.length
    const room = this.limit - this.kept
    if (room <= 0) return
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room)
    this.chunks.push(Buffer.from(part))
    this.kept += part.length
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8')
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(process.platform === 'win32' ? pid : -pid, signal)
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** A live run: the spawned process, whether it is bwrap, and the sandboxed command's group once known. */
interface LiveRun {
  commandGroup?: number
  pid: number
  sandboxed: boolean
}

const liveRuns = new Set<LiveRun>()

/** How many runs have a process right now. */
export function liveRunCount(): number {
  return liveRuns.size
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig)
  } catch {
    // ESRCH: already gone.
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number)
  } catch {
    return []
  }
}

/**
 * Kills a run at once. For a contained run that means its PID namespace: bwrap's first process in it
 * is the namespace's init, and killing it kills every process inside. bwrap is stopped first, so that
 * it cannot clone that init between the look at its children and its own death: an init cloned just
 * before bwrap dies may not have asked to die with its parent yet, and would live on, orphaned.
 */
function killRun(run: LiveRun): void {
  if (run.sandboxed) {
    signal(run.pid, 'SIGSTOP')
    for (const child of childrenOf(run.pid)) signal(child, 'SIGKILL')
    if (run.commandGroup !== undefined) killGroup(run.commandGroup, 'SIGKILL')
  }

  killGroup(run.pid, 'SIGKILL')
}

/**
 * Kills every live run at once, synchronously: for exit paths that cannot wait (an uncaught
 * exception, `process.exit`). Contained runs die whole with their namespace; uncontained, a process
 * that left its group (`setsid`) is out of reach. Returns how many runs.
 */
export function killAllRuns(): number {
  const n = liveRuns.size
  for (const run of liveRuns) killRun(run)
  liveRuns.clear()
  return n
}

/** What bwrap reports on its status descriptor: the sandbox's first process, and the command's exit. */
class SandboxStatusReader {
  childPid: number | undefined
  exitCode: number | undefined
  private pending = ''

  constructor(
    stream: Readable,
    private readonly onChild: (pid: number) => void,
  ) {
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => this.push(chunk))
  }

  private push(chunk: string): void {
    this.pending += chunk
    let nl: number
    while ((nl = this.pending.indexOf('\n')) !== -1) {
      const line = this.pending.slice(0, nl)
      this.pending = this.pending.slice(nl + 1)
      let status: {'child-pid'?: unknown; 'exit-code'?: unknown}
      try {
        status = JSON.parse(line) as typeof status
      } catch {
        continue
      }

      if (typeof status['child-pid'] === 'number' && this.childPid === undefined) {
        this.childPid = status['child-pid']
        this.onChild(this.childPid)
      }

      if (typeof status['exit-code'] === 'number') this.exitCode = status['exit-code']
    }
  }
}

function notStarted(startedAt: Date): RunResult {
  return {
    exitCode: null,
    timedOut: false,
    interrupted: true,
    stdout: '',
    stderr: '',
    stdoutBytes: 0,
    stderrBytes: 0,
    stdoutTruncated: false,
    stderrTruncated: false,
    startedAt,
    finishedAt: startedAt,
    durationMs: 0,
    peakRssMb: null,
    cpuMs: null,
  }
}

/** The last line bwrap wrote about itself, which says why the sandbox could not start the command. */
function bwrapComplaint(stderr: string): string | undefined {
  const lines = stderr.split('\n').filter((l) => l.startsWith('bwrap: '))
  return lines.at(-1)
}

interface Closed {
  code: null | number
  error?: Error
  signal: NodeJS.Signals | null
}

/** Starts the shell, through bwrap when the run is contained. Throws for arguments Node refuses. */
function spawnRun(spec: RunSpec, sandbox: SandboxPlan | undefined): ChildProcess {
  const inner = shellInvocation(spec.shell, spec.command)
  if (sandbox) {
    return spawn(sandbox.executable ?? 'bwrap', bwrapArgs(sandbox, spec.cwd, inner, {statusFd: STATUS_FD}), {
      // bwrap enters the working directory from inside the sandbox; outside, nothing depends on it.
      cwd: '/',
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      detached: true,
    })
  }

  return spawn(inner.file, inner.args, {
    cwd: spec.cwd,
    env: spec.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: process.platform !== 'win32',
    windowsHide: true,
  })
}

/** Resolves once the process has exited and its streams are closed, or it could not be started. */
function closed(child: ChildProcess): Promise<Closed> {
  return new Promise((resolve) => {
    let failure: Error | undefined
    child.once('error', (error) => {
      failure = error
      if (child.pid === undefined) resolve({code: null, signal: null, error})
    })
    child.once('close', (code, signal) => resolve({code, signal, error: failure}))
  })
}

/** The exit code as a shell would report it: 128 + the signal's number for a process killed by one. */
function shellExitCode(result: Closed): null | number {
  if (result.code !== null || !result.signal) return result.code
  const signum = osConstants.signals[result.signal]
  return signum === undefined ? null : 128 + signum
}

/** Why the command never ran, if it did not: the shell could not be spawned, or the sandbox failed. */
function whyNotStarted(result: Closed, child: ChildProcess, watched: Watched, err: Capture): string | undefined {
  if (result.error && child.pid === undefined) return result.error.message
  // bwrap reports the command's exit on its status descriptor; without it, the sandbox itself failed.
  if (!watched.status || watched.status.exitCode !== undefined || watched.timedOut || watched.interrupted)
    return undefined
  return bwrapComplaint(err.text()) ?? `the sandbox ended before the command ran (exit ${result.code})`
}

/**
 * One started process and everything that watches it: its place in the registry of live runs, the
 * sandbox's status, the usage sampler, and the stopping (TERM, then KILL after the grace period).
 */
class Watched {
  interrupted = false
  readonly live: LiveRun
  sampler: undefined | UsageSampler
  status: SandboxStatusReader | undefined
  timedOut = false
  private killTimer: NodeJS.Timeout | undefined
  private readonly onAbort = (): void => {
    this.interrupted = true
    this.stop()
  }
  private readonly timer: NodeJS.Timeout

  constructor(
    private readonly child: ChildProcess,
    private readonly spec: RunSpec,
    private readonly sandbox: SandboxPlan | undefined,
  ) {
    const {pid} = child
    this.live = {pid: pid ?? -1, sandboxed: sandbox !== undefined}
    if (pid !== undefined) this.watch(pid)
    this.timer = setTimeout(() => {
      this.timedOut = true
      this.stop()
    }, spec.timeoutMs)
    spec.signal?.addEventListener('abort', this.onAbort, {once: true})
    if (spec.signal?.aborted) this.onAbort()
  }

  private get grace(): number {
    return this.spec.killGraceMs ?? 2000
  }

  /** After the close: out of the registry, timers off, the usage sampled so far. */
  end(): {cpuMs: null | number; peakRssMb: null | number} {
    liveRuns.delete(this.live)
    clearTimeout(this.timer)
    if (this.killTimer) clearTimeout(this.killTimer)
    this.spec.signal?.removeEventListener('abort', this.onAbort)
    return this.sampler?.stop() ?? {peakRssMb: null, cpuMs: null}
  }

  private stop(): void {
    const {pid} = this.child
    if (pid === undefined) return
    // Contained: TERM the command's session, then KILL the namespace.
    killGroup(this.status?.childPid ?? pid, 'SIGTERM')
    this.killTimer ??= setTimeout(() => killRun(this.live), this.grace)
    this.killTimer.unref()
  }

  private watch(pid: number): void {
    liveRuns.add(this.live)
    this.spec.onSpawn?.(pid)
    if (this.sandbox) {
      this.status = new SandboxStatusReader(this.child.stdio[STATUS_FD] as Readable, (sandboxPid) => {
        // bwrap's first process in the namespace leads the run's session; the shell is its child.
        this.live.commandGroup = sandboxPid
        this.sampler = new UsageSampler(sandboxPid, false)
        this.sampler.start()
      })
      return
    }

    this.sampler = new UsageSampler(pid)
    this.sampler.start()
    // Uncontained, whatever the shell left running in its group is stopped when it exits, so that
    // the streams close and nothing outlives the run. Contained, the namespace is already gone.
    this.child.once('exit', () => {
      killGroup(pid, 'SIGTERM')
      setTimeout(() => killGroup(pid, 'SIGKILL'), this.grace).unref()
    })
  }
}

export async function runCommand(spec: RunSpec): Promise<RunResult> {
  const startedAt = new Date()
  // Stopped before it started (shutdown while it waited for a slot): nothing is spawned.
  if (spec.signal?.aborted) return notStarted(startedAt)

  const t0 = performance.now()
  const out = new Capture(spec.outputLimitBytes)
  const err = new Capture(spec.outputLimitBytes)
  const sandbox = spec.sandbox?.kind === 'bwrap' ? spec.sandbox : undefined
  let child: ChildProcess
  try {
    child = spawnRun(spec, sandbox)
  } catch (error) {
    return spawnFailed(startedAt, t0, spec.shell, (error as Error).message)
  }

  child.stdout!.on('data', (c: Buffer) => {
    out.push(c)
    spec.onOutput?.('stdout', c)
  })
  child.stderr!.on('data', (c: Buffer) => {
    err.push(c)
    spec.onOutput?.('stderr', c)
  })
  const finished = closed(child)
  const watched = new Watched(child, spec, sandbox)
  const result = await finished
  const usage = watched.end()
  const {timedOut, interrupted, status} = watched

  const spawnError = whyNotStarted(result, child, watched, err)
  const exitCode = timedOut ? TIMEOUT_EXIT_CODE : (status?.exitCode ?? shellExitCode(result))

  return {
    exitCode: spawnError ? 127 : exitCode,
    timedOut,
    interrupted,
    stdout: out.text(),
    stderr: spawnError && err.total === 0 ? `hub: could not start ${spec.shell}: ${spawnError}\n` : err.text(),
    stdoutBytes: out.total,
    stderrBytes: err.total,
    stdoutTruncated: out.truncated,
    stderrTruncated: err.truncated,
    startedAt,
    finishedAt: new Date(),
    durationMs: Math.round((performance.now() - t0) * 10) / 10,
    peakRssMb: usage.peakRssMb,
    cpuMs: usage.cpuMs,
    ...(spawnError ? {spawnError} : {}),
  }
}

function spawnFailed(startedAt: Date, t0: number, shell: string, message: string): RunResult {
  return {
    ...notStarted(startedAt),
    interrupted: false,
    exitCode: 127,
    stderr: `hub: could not start ${shell}: ${message}\n`,
    durationMs: Math.round((performance.now() - t0) * 10) / 10,
    spawnError: message,
  }
}

/** At most `limit` runs at once; the rest wait in arrival order. */
export class RunQueue {
  private active = 0
  private readonly waiting: Array<() => void> = []

  constructor(private readonly limit: number) {}

  get activeCount(): number {
    return this.active
  }

  get waitingCount(): number {
    return this.waiting.length
  }

  async run<T>(task: () => Promise<T>, onWait?: () => void): Promise<T> {
    if (this.active >= this.limit) {
      onWait?.()
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve)
      })
    } else {
      this.active++
    }

    try {
      return await task()
    } finally {
      const next = this.waiting.shift()
      // Hand the slot straight to the next waiter, so a newcomer cannot jump the queue.
      if (next) next()
      else this.active--
    }
  }
}
