/**
 * Policy evaluation off the daemon's event loop (issue 10): a pool of worker threads, one per core,
 * each with its own parser and engine. The engine's budgets count work, never time, so a worker
 * answers the same verdict however busy the machine is; the pool only keeps a hostile request from
 * holding the thread that serves the operator. A worker that dies is replaced, and the requests it
 * held are refused with an error (never allowed).
 */

import {readdirSync, statSync} from 'node:fs'
import {availableParallelism} from 'node:os'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {Worker} from 'node:worker_threads'

import type {PolicyContext, PolicyEngine, PolicyEvaluator, RuleMatch, Verdict} from './types.js'

import {type ErrorCode, HubError} from '../errors.js'

export interface PolicyPoolOptions {
  /** Absolute path of the policy JSON; undefined means built-in packs only. */
  readonly file?: string | undefined
  /** Called on the daemon's thread for each match of each verdict (the daemon logs these at DEBUG). */
  readonly onMatch?: ((m: RuleMatch, command: string) => void) | undefined
  /** Workers; default: one per core (at least 1, at most 8). */
  readonly size?: number | undefined
  readonly strict?: boolean | undefined
}

interface Pending {
  readonly command: string
  readonly reject: (e: Error) => void
  readonly resolve: (v: Verdict) => void
}

interface Slot {
  readonly pending: Map<number, Pending>
  worker: Worker
}

type WorkerError = {code?: string; details?: Record<string, unknown>; hint?: string; message: string}
type FromWorker =
  | {describe: ReturnType<PolicyEngine['describe']>; type: 'ready'}
  | {error: WorkerError; id: number; type: 'error'}
  | {error: WorkerError; type: 'failed'}
  | {id: number; type: 'verdict'; verdict: Verdict}

function toError(e: WorkerError): Error {
  if (e.code === undefined) return new HubError('internal', `policy worker: ${e.message}`)
  return new HubError(e.code as ErrorCode, e.message, {details: e.details, hint: e.hint})
}

/**
 * The worker's entry: the built `.js` beside this file, or, when running from sources (tests,
 * development), a small script that registers tsx in the worker and then imports the `.ts` entry.
 */
function workerEntry(): {eval: boolean; source: string | URL} {
  const here = import.meta.url
  if (!here.endsWith('.ts')) return {source: new URL('pool-worker.js', here), eval: false}
  const built = builtWorker(here)
  if (built !== null) return {source: built, eval: false}
  const entry = JSON.stringify(new URL('pool-worker.ts', here).href)
  return {source: `import('tsx/esm/api').then((t) => { t.register(); return import(${entry}) })`, eval: true}
}

/**
 * From sources, the built worker when it is at least as new as every policy source (starting a
 * worker through tsx transpiles the whole engine again, seconds per worker); otherwise null.
 */
function builtWorker(here: string): null | URL {
  try {
    const srcDir = path.dirname(fileURLToPath(here))
    const built = path.resolve(srcDir, '../../../dist/lib/policy/pool-worker.js')
    const builtAt = statSync(built).mtimeMs
    const newest = (dir: string): number => {
      let max = 0
      for (const e of readdirSync(dir, {withFileTypes: true})) {
        const p = path.join(dir, e.name)
        max = Math.max(max, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0)
      }

      return max
    }

    return builtAt >= newest(srcDir) ? pathToFileURL(built) : null
  } catch {
    return null
  }
}

export class PolicyPool implements PolicyEvaluator {
  private closed = false
  private described!: ReturnType<PolicyEngine['describe']>
  private nextId = 1
  private readonly slots: Slot[] = []

  private constructor(private readonly options: PolicyPoolOptions) {}

  /** Starts the workers and waits until each has loaded the policy; a bad policy file rejects. */
  static async create(options: PolicyPoolOptions = {}): Promise<PolicyPool> {
    const pool = new PolicyPool(options)
    const size = Math.max(1, Math.min(8, options.size ?? availableParallelism()))
    try {
      await Promise.all(Array.from({length: size}, () => pool.spawn()))
    } catch (error) {
      await pool.close()
      throw error
    }

    return pool
  }

  get size(): number {
    return this.slots.length
  }

  async close(): Promise<void> {
    this.closed = true
    const slots = this.slots.splice(0)
    for (const slot of slots) {
      for (const p of slot.pending.values()) p.reject(new HubError('shutting_down', 'The policy is shutting down.'))
      slot.pending.clear()
    }

    await Promise.all(slots.map((s) => s.worker.terminate()))
  }

  describe(): ReturnType<PolicyEngine['describe']> {
    return this.described
  }

  evaluate(command: string, ctx: PolicyContext): Promise<Verdict> {
    if (this.closed || this.slots.length === 0)
      return Promise.reject(new HubError('shutting_down', 'The policy workers are not running.'))
    // The least busy worker; ties go to the first.
    let slot = this.slots[0] as Slot
    for (const s of this.slots) if (s.pending.size < slot.pending.size) slot = s
    const id = this.nextId++
    return new Promise<Verdict>((resolve, reject) => {
      slot.pending.set(id, {command, resolve, reject})
      slot.worker.postMessage({id, command, ctx})
    })
  }

  private spawn(): Promise<void> {
    const entry = workerEntry()
    const worker = new Worker(entry.source, {
      eval: entry.eval,
      workerData: {file: this.options.file, strict: this.options.strict},
      // A worker must never keep a finished process alive.
      stdout: false,
      stderr: false,
    })
    worker.unref()
    const slot: Slot = {worker, pending: new Map()}
    return new Promise<void>((resolve, reject) => {
      let ready = false
      worker.on('message', (m: FromWorker) => {
        switch (m.type) {
          case 'ready': {
            ready = true
            this.described = m.describe
            this.slots.push(slot)
            resolve()
            break
          }

          case 'failed': {
            reject(toError(m.error))
            break
          }

          case 'verdict': {
            const p = slot.pending.get(m.id)
            slot.pending.delete(m.id)
            if (p === undefined) break
            if (this.options.onMatch) for (const match of m.verdict.matches) this.options.onMatch(match, p.command)
            p.resolve(m.verdict)
            break
          }

          case 'error': {
            const p = slot.pending.get(m.id)
            slot.pending.delete(m.id)
            p?.reject(toError(m.error))
            break
          }
        }
      })
      worker.on('error', (error) => {
        if (!ready) reject(error)
      })
      worker.on('exit', () => {
        const at = this.slots.indexOf(slot)
        if (at !== -1) this.slots.splice(at, 1)
        for (const p of slot.pending.values())
          p.reject(new HubError('internal', 'A policy worker stopped; the request was not judged.'))
        slot.pending.clear()
        if (!ready) reject(new HubError('internal', 'A policy worker stopped while loading the policy.'))
        // Replace a worker that died while the pool is in use.
        else if (!this.closed) this.spawn().catch(() => undefined)
      })
    })
  }
}

export async function createPolicyPool(options: PolicyPoolOptions = {}): Promise<PolicyPool> {
  return PolicyPool.create(options)
}
