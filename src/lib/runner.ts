import {execa} from 'execa'
/**
 * Runs one approved command (SPEC §6.2): the configured shell, no TTY, standard input closed, a
 * short allow-listed environment, output kept up to a limit per stream with the rest only counted,
 * and a timeout that stops the whole process group (TERM, then KILL after a grace period).
 *
 * The command gets its own process group, and the group is stopped as soon as the shell exits:
 * a background job (`sleep 1000 &`) must not outlive the run that the record says has ended.
 */
import {readFile} from 'node:fs/promises'
import pidusage from 'pidusage'

import type {SandboxPlan} from './sandbox/index.js'

export interface RunSpec {
  /** Called with each chunk as the command writes it (live output for `hub approve` and the console). */
  onOutput?: ((stream: 'stderr' | 'stdout', chunk: Buffer) => void) | undefined
  /** Containment (SPEC §6.5); absent or kind none runs the shell directly. */
  sandbox?: SandboxPlan | undefined
  command: string
  cwd: string
  env: Record<string, string>
  /** Time between TERM and KILL when stopping the group. */
  killGraceMs?: number
  onSpawn?: (pid: number) => void
  outputLimitBytes: number
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
const SAMPLE_INTERVAL_MS = 50

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

/** Descendants of a process via /proc (Linux); elsewhere just the process itself. */
async function processTree(pid: number): Promise<number[]> {
  const out = [pid]
  if (process.platform !== 'linux') return out
  for (let i = 0; i < out.length && out.length < 256; i++) {
    try {
      const text = await readFile(`/proc/${out[i]}/task/${out[i]}/children`, 'utf8')
      for (const c of text.split(' ')) if (c.trim()) out.push(Number(c))
    } catch {
      // The process ended between listing and reading: nothing to add.
    }
  }

  return out
}

/** Samples memory and CPU of the command's process tree while it runs. */
class UsageSampler {
  private busy = false
  private readonly cpuByPid = new Map<number, number>()
  private peakBytes = 0
  private samples = 0
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly pid: number) {}

  start(): void {
    void this.sample()
    this.timer = setInterval(() => void this.sample(), SAMPLE_INTERVAL_MS)
    this.timer.unref()
  }

  stop(): {cpuMs: null | number; peakRssMb: null | number} {
    if (this.timer) clearInterval(this.timer)
    if (this.samples === 0) return {peakRssMb: null, cpuMs: null}
    let cpu = 0
    for (const v of this.cpuByPid.values()) cpu += v
    return {peakRssMb: Math.round((this.peakBytes / 1_048_576) * 10) / 10, cpuMs: Math.round(cpu)}
  }

  private async sample(): Promise<void> {
    if (this.busy) return
    this.busy = true
    try {
      const pids = await processTree(this.pid)
      // maxage 0 makes pidusage 4 reopen /proc files forever (EMFILE); a short history is harmless.
      const stats = await pidusage(pids, {maxage: 2000})
      let rss = 0
      for (const [pid, s] of Object.entries(stats)) {
        if (!s) continue
        rss += s.memory
        const prev = this.cpuByPid.get(Number(pid)) ?? 0
        if (s.ctime > prev) this.cpuByPid.set(Number(pid), s.ctime)
      }

      this.peakBytes = Math.max(this.peakBytes, rss)
      this.samples++
    } catch {
      // The tree ended mid-sample; earlier samples stand.
    } finally {
      this.busy = false
    }
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(process.platform === 'win32' ? pid : -pid, signal)
  } catch {
    // ESRCH: the group is already gone.
  }
}

export async function runCommand(spec: RunSpec): Promise<RunResult> {
  const startedAt = new Date()
  if (spec.signal?.aborted) {
    // Stopped before it started (shutdown while it waited for a slot): nothing is spawned.
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

  const t0 = performance.now()
  const out = new Capture(spec.outputLimitBytes)
  const err = new Capture(spec.outputLimitBytes)
  const {file, args} = shellInvocation(spec.shell, spec.command)
  const grace = spec.killGraceMs ?? 2000

  const child = execa(file, args, {
    cwd: spec.cwd,
    env: spec.env,
    extendEnv: false,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    detached: process.platform !== 'win32',
    cleanup: true,
    windowsHide: true,
    stripFinalNewline: false,
  })

  child.stdout?.on('data', (c: Buffer) => {
    out.push(c)
    spec.onOutput?.('stdout', c)
  })
  child.stderr?.on('data', (c: Buffer) => {
    err.push(c)
    spec.onOutput?.('stderr', c)
  })

  const {pid} = child
  const sampler = pid === undefined ? undefined : new UsageSampler(pid)
  if (pid !== undefined) {
    spec.onSpawn?.(pid)
    sampler?.start()
  }

  let timedOut = false
  let interrupted = false
  let killTimer: NodeJS.Timeout | undefined
  const stop = (): void => {
    if (pid === undefined) return
    killGroup(pid, 'SIGTERM')
    killTimer ??= setTimeout(() => killGroup(pid, 'SIGKILL'), grace)
    killTimer.unref()
  }

  const timer = setTimeout(() => {
    timedOut = true
    stop()
  }, spec.timeoutMs)
  const onAbort = (): void => {
    interrupted = true
    stop()
  }

  spec.signal?.addEventListener('abort', onAbort, {once: true})
  if (spec.signal?.aborted) onAbort()

  // When the shell itself exits, whatever it left running in its group is stopped too, so that
  // the streams close and nothing outlives the run.
  child.once('exit', () => {
    if (pid !== undefined) {
      killGroup(pid, 'SIGTERM')
      const t = setTimeout(() => killGroup(pid, 'SIGKILL'), grace)
      t.unref()
    }
  })

  const result = await child
  clearTimeout(timer)
  if (killTimer) clearTimeout(killTimer)
  spec.signal?.removeEventListener('abort', onAbort)
  const usage = sampler?.stop() ?? {peakRssMb: null, cpuMs: null}
  const finishedAt = new Date()

  let exitCode: null | number = result.exitCode ?? null
  if (timedOut) exitCode = TIMEOUT_EXIT_CODE
  else if (exitCode === null && result.signal) {
    const signum = (await import('node:os')).constants.signals[result.signal as NodeJS.Signals]
    exitCode = signum === undefined ? null : 128 + signum
  }

  const spawnError =
    result.failed && result.exitCode === undefined && !result.signal && !timedOut && !interrupted
      ? result.originalMessage || result.shortMessage
      : undefined

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
    finishedAt,
    durationMs: Math.round((performance.now() - t0) * 10) / 10,
    peakRssMb: usage.peakRssMb,
    cpuMs: usage.cpuMs,
    ...(spawnError ? {spawnError} : {}),
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
      await new Promise<void>((resolve) => this.waiting.push(resolve))
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
