/**
 * One policy worker (see pool.ts): loads the policy once, then answers evaluation requests. Verdicts
 * are plain data, so they cross the thread boundary by structured clone.
 */
import {parentPort, workerData} from 'node:worker_threads'

import type {PolicyContext} from './types.js'

import {HubError} from '../errors.js'
import {loadPolicy} from './load.js'

interface Request {
  readonly command: string
  readonly ctx: PolicyContext
  readonly id: number
}

const port = parentPort
if (port === null) throw new Error('pool-worker.ts runs only as a worker thread')
const options = workerData as {file?: string; strict?: boolean}

function serialise(error: unknown): {code?: string; details?: Record<string, unknown>; hint?: string; message: string} {
  if (error instanceof HubError)
    return {code: error.code, message: error.message, details: error.details, hint: error.hint}
  return {message: error instanceof Error ? (error.stack ?? error.message) : String(error)}
}

try {
  const engine = await loadPolicy({file: options.file, strict: options.strict})
  port.on('message', (m: Request) => {
    try {
      port.postMessage({type: 'verdict', id: m.id, verdict: engine.evaluate(m.command, m.ctx)})
    } catch (error) {
      port.postMessage({type: 'error', id: m.id, error: serialise(error)})
    }
  })
  port.postMessage({type: 'ready', describe: engine.describe()})
} catch (error) {
  port.postMessage({type: 'failed', error: serialise(error)})
}
