/**
 * The daemon's HTTP client. The CLI uses it, and it is the package's export (the Node SDK), so an
 * agent written in Node can `plan()` a command and wait for its result without writing HTTP.
 */
import type {Decision} from './policy/types.js'
import type {DeniedRequest, PendingRequest, RunRecord} from './records.js'

import {HubError, isErrorCode} from './errors.js'
import {type Answer, HttpTransport} from './http-transport.js'

export interface ClientOptions {
  /** e.g. http://127.0.0.1:8787 */
  base: string
  /**
   * A Unix socket to reach the daemon through instead of TCP (the operator CLI, SPEC §5); `base` then
   * only makes the URLs (`http://localhost`).
   */
  socketPath?: string | undefined
  /** Per-request time limit in ms for ordinary calls (long-polls add their own wait). */
  timeoutMs?: number
  token?: string | undefined
}

export interface PlanInput {
  command: string
  cwd?: string
  note?: string
  timeout_s?: number
}

export interface VerdictSummary {
  decision: Decision
  reason: string
  rule: null | string
}

export interface PlanResponse {
  command: string
  decision: Decision
  expires_at?: string
  pending_id: string
  policy: Record<string, unknown> & VerdictSummary
  queued: boolean
  record?: RunRecord
  /** Present when an operator rule allowed the command and it already ran. */
  run_id?: string
}

export type RequestState = 'blocked' | 'denied' | 'expired' | 'finished' | 'interrupted' | 'pending' | 'running'

export interface RequestStatus {
  command: string
  exit_code?: null | number
  expires_at?: string
  pending_id: string
  queued_at?: string
  reason?: string
  run_id?: string
  state: RequestState
  /** Approved, but waiting for a free run slot. */
  waiting?: boolean
}

export interface StatusResponse {
  denied_count: number
  ok: boolean
  pending_count: number
  token_required: boolean
  version: string
}

export interface HealthResponse {
  [more: string]: unknown
  memory_mb: number
  pending_count: number
  runs_count: number
  status: 'degraded' | 'healthy' | 'unhealthy'
  timestamp: string
  uptime_seconds: number
}

export interface ApproveAccepted {
  pending_id: string
  run_id: string
  state: 'running'
}

/** A list answer: the items asked for and how many there are in all. */
export interface ListPage<T> {
  items: T[]
  total: number
}

/** One event from `GET /events`. */
export interface HubEvent {
  data: Record<string, unknown>
  id: number | undefined
  type: string
}

export class HubClient {
  /** Where the daemon is, for people: the socket path or the base URL. */
  readonly address: string
  readonly base: string
  private readonly timeoutMs: number
  private readonly token: string | undefined
  private readonly transport: HttpTransport

  constructor(opts: ClientOptions) {
    this.base = opts.base.replace(/\/+$/, '')
    this.address = opts.socketPath ?? this.base
    this.token = opts.token
    this.timeoutMs = opts.timeoutMs ?? 30_000
    this.transport = new HttpTransport(this.base, {connectTimeoutMs: 5000, socketPath: opts.socketPath})
  }

  /** Approves and waits for the run record (the run's own timeout bounds the wait). */
  async approve(id: string, opts: {maxWaitSeconds?: number; note?: string} = {}): Promise<RunRecord> {
    const body = opts.note === undefined ? {} : {note: opts.note}
    return (
      await this.call<RunRecord>(
        'POST',
        `/approve/${encodeURIComponent(id)}`,
        body,
        (opts.maxWaitSeconds ?? 3700) * 1000,
      )
    ).body
  }

  /** Approves without waiting: the daemon answers 202 with the run id as soon as the run starts. */
  async approveNoWait(id: string, opts: {note?: string} = {}): Promise<ApproveAccepted> {
    const body = opts.note === undefined ? {} : {note: opts.note}
    return (await this.call<ApproveAccepted>('POST', `/approve/${encodeURIComponent(id)}?wait=0`, body)).body
  }

  /** Approves with the body the API takes (note, `command_sha256` of what was shown, edits); `?wait=0`. */
  async approveShown(id: string, body: Record<string, unknown>): Promise<ApproveAccepted> {
    return (await this.call<ApproveAccepted>('POST', `/approve/${encodeURIComponent(id)}?wait=0`, body)).body
  }

  /** One JSON call; non-2xx answers become the daemon's HubError, connection failures `daemon_unreachable`. */
  async call<T>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    extraWaitMs = 0,
  ): Promise<{body: T; status: number; total?: number}> {
    const {res, parsed} = await this.exchange(method, path, body, extraWaitMs)
    if (res.status >= 400) throw errorFromBody(res.status, parsed, res.headers['retry-after'])
    const total = Number(res.headers['x-total-count'])
    return {status: res.status, body: parsed as T, ...(Number.isFinite(total) && total >= 0 ? {total} : {})}
  }

  async close(): Promise<void> {
    this.transport.close()
  }

  /** Refused, denied, expired and withdrawn requests, newest first, with the total. */
  async denied(opts: {limit?: number; offset?: number} = {}): Promise<ListPage<DeniedRequest>> {
    return this.page<DeniedRequest>('/denied', opts)
  }

  async deny(id: string, opts: {reason?: string} = {}): Promise<DeniedRequest> {
    const body = opts.reason === undefined ? {} : {reason: opts.reason}
    return (await this.call<DeniedRequest>('POST', `/deny/${encodeURIComponent(id)}`, body)).body
  }

  /**
   * Follows `GET /events`, yielding each event. Returns when the server closes the stream or the
   * signal aborts; reconnecting (with the last id) is the caller's choice.
   */
  async *events(
    opts: {lastEventId?: number; onOpen?: () => void; output?: boolean; signal?: AbortSignal} = {},
  ): AsyncGenerator<HubEvent> {
    const path = opts.output ? '/events?output=1' : '/events'
    const headers: Record<string, string> = {accept: 'text/event-stream'}
    if (this.token) headers['x-agent-token'] = this.token
    if (opts.lastEventId !== undefined) headers['last-event-id'] = String(opts.lastEventId)
    let res: Answer
    try {
      res = await this.transport.send(path, {method: 'GET', headers, timeoutMs: this.timeoutMs, signal: opts.signal})
    } catch (error) {
      if (opts.signal?.aborted) return
      throw unreachable(this.address, error)
    }

    if (res.status >= 400) {
      const text = await res.text().catch(() => '')
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch {
        parsed = undefined
      }

      throw errorFromBody(res.status, parsed, undefined)
    }

    // An event stream is quiet for as long as nothing happens: no time limit once it is open.
    res.stream.socket?.setTimeout(0)
    opts.onOpen?.()
    const parser = new SseParser()
    try {
      for await (const chunk of res.stream) {
        for (const ev of parser.push(chunk as Buffer)) yield ev
      }
    } catch (error) {
      if (opts.signal?.aborted) return
      throw unreachable(this.address, error)
    }
  }

  async getPending(id: string): Promise<PendingRequest> {
    return (await this.call<PendingRequest>('GET', `/pending/${encodeURIComponent(id)}`)).body
  }

  async health(): Promise<HealthResponse> {
    const {res, parsed} = await this.exchange('GET', '/health', undefined, 0)
    // Unhealthy answers 503 with the same body (status and reasons): a health report, not a failure.
    // A 503 without a status (shutting down) and every other error status are errors after all.
    const isReport = res.status === 503 && typeof (parsed as Partial<HealthResponse> | undefined)?.status === 'string'
    if (res.status >= 400 && !isReport) throw errorFromBody(res.status, parsed, res.headers['retry-after'])
    return parsed as HealthResponse
  }

  async pending(limit?: number): Promise<PendingRequest[]> {
    const q = limit === undefined ? '' : `?limit=${limit}`
    return (await this.call<PendingRequest[]>('GET', `/pending${q}`)).body
  }

  /** One page of waiting requests and how many wait in all (`X-Total-Count`). */
  async pendingPage(opts: {limit?: number; offset?: number} = {}): Promise<ListPage<PendingRequest>> {
    return this.page<PendingRequest>('/pending', opts)
  }

  async plan(input: PlanInput): Promise<PlanResponse> {
    // A command an operator rule allows runs before the answer: allow for its whole timeout.
    return (await this.call<PlanResponse>('POST', '/plan', input, ((input.timeout_s ?? 300) + 30) * 1000)).body
  }

  /** Plans a command and waits for the operator's decision and the run. */
  async planAndWait(
    input: PlanInput,
    opts: {timeoutSeconds?: number} = {},
  ): Promise<{plan: PlanResponse; record?: RunRecord; status?: RequestStatus}> {
    const plan = await this.plan(input)
    if (plan.record) return {plan, record: plan.record}
    return {plan, ...(await this.waitForResult(plan.pending_id, opts))}
  }

  /** Where a request stands; with `waitSeconds`, the daemon holds the answer until it changes. */
  async request(id: string, waitSeconds = 0): Promise<RequestStatus> {
    const q = waitSeconds > 0 ? `?wait=${waitSeconds}` : ''
    return (
      await this.call<RequestStatus>('GET', `/requests/${encodeURIComponent(id)}${q}`, undefined, waitSeconds * 1000)
    ).body
  }

  /** Replaces a token (operator); the old one is refused from then on. The new token is in its file. */
  async rotateToken(role: 'agent' | 'operator'): Promise<{file: string; fingerprint: string; role: string}> {
    return (await this.call<{file: string; fingerprint: string; role: string}>('POST', '/tokens/rotate', {role})).body
  }

  async run(runId: string): Promise<RunRecord> {
    return (await this.call<RunRecord>('GET', `/runs/${encodeURIComponent(runId)}`)).body
  }

  async runs(limit?: number): Promise<RunRecord[]> {
    const q = limit === undefined ? '' : `?limit=${limit}`
    return (await this.call<RunRecord[]>('GET', `/runs${q}`)).body
  }

  async status(): Promise<StatusResponse> {
    return (await this.call<StatusResponse>('GET', '/status')).body
  }

  /**
   * Waits until a request reaches a final state (finished, denied, expired, blocked, interrupted)
   * and returns it with its run record when it ran. Gives up after `timeoutSeconds` (default: no limit).
   */
  async waitForResult(
    id: string,
    opts: {onState?: (s: RequestStatus) => void; timeoutSeconds?: number} = {},
  ): Promise<{record?: RunRecord; status: RequestStatus}> {
    const deadline =
      opts.timeoutSeconds === undefined ? Number.POSITIVE_INFINITY : Date.now() + opts.timeoutSeconds * 1000
    let last: RequestState | undefined
    for (;;) {
      const left = Math.ceil((deadline - Date.now()) / 1000)
      const status = await this.request(id, Math.max(1, Math.min(25, left)))
      if (status.state !== last) {
        last = status.state
        opts.onState?.(status)
      }

      if (status.state === 'finished' || status.state === 'interrupted') {
        const record = status.run_id ? await this.run(status.run_id) : undefined
        return record ? {status, record} : {status}
      }

      if (status.state === 'denied' || status.state === 'expired' || status.state === 'blocked') return {status}
      if (Date.now() >= deadline) return {status}
    }
  }

  /** One JSON exchange, whatever the status; connection failures are `daemon_unreachable`. */
  private async exchange(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    extraWaitMs: number,
  ): Promise<{parsed: unknown; res: Answer}> {
    let res: Answer
    let text: string
    try {
      res = await this.transport.send(path, {
        method,
        headers: this.headers(body !== undefined),
        body: body === undefined ? undefined : JSON.stringify(body),
        timeoutMs: this.timeoutMs + extraWaitMs,
      })
      text = await res.text()
    } catch (error) {
      throw unreachable(this.address, error)
    }

    let parsed: unknown
    try {
      parsed = text === '' ? undefined : JSON.parse(text)
    } catch {
      throw new HubError(
        'internal',
        `The daemon at ${this.address} answered ${res.status} with something that is not JSON.`,
      )
    }

    return {res, parsed}
  }

  private headers(json: boolean): Record<string, string> {
    const h: Record<string, string> = {accept: 'application/json'}
    if (this.token) h['x-agent-token'] = this.token
    if (json) h['content-type'] = 'application/json'
    return h
  }

  private async page<T>(path: string, opts: {limit?: number; offset?: number}): Promise<ListPage<T>> {
    const q = new URLSearchParams()
    if (opts.limit !== undefined) q.set('limit', String(opts.limit))
    if (opts.offset !== undefined) q.set('offset', String(opts.offset))
    const qs = q.size > 0 ? `?${q.toString()}` : ''
    const answer = await this.call<T[]>('GET', path + qs)
    return {items: answer.body, total: answer.total ?? answer.body.length}
  }
}

/** Incremental parser for `text/event-stream` (the subset hub sends: id, event, data, comments). */
export class SseParser {
  private buffer = ''
  private data: string[] = []
  // Streaming decode: a multi-byte character split across two chunks must not become U+FFFD.
  private readonly decoder = new TextDecoder()
  private event: string | undefined
  private id: string | undefined

  push(chunk: Buffer | string): HubEvent[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, {stream: true})
    const out: HubEvent[] = []
    let nl: number
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '')
      this.buffer = this.buffer.slice(nl + 1)
      if (line === '') {
        if (this.data.length > 0) {
          const ev = this.dispatch()
          if (ev) out.push(ev)
        }

        this.id = undefined
        this.event = undefined
        this.data = []
        continue
      }

      if (line.startsWith(':')) continue
      const colon = line.indexOf(':')
      const field = colon === -1 ? line : line.slice(0, colon)
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
      switch (field) {
        case 'data': {
          this.data.push(value)
          break
        }

        case 'id': {
          this.id = value
          break
        }

        case 'event': {
          this.event = value
          break
        }
      }
    }

    return out
  }

  private dispatch(): HubEvent | undefined {
    try {
      const data = JSON.parse(this.data.join('\n')) as Record<string, unknown>
      const idNum = this.id === undefined ? undefined : Number(this.id)
      return {id: Number.isFinite(idNum) ? idNum : undefined, type: String(data.type ?? this.event ?? 'message'), data}
    } catch {
      return undefined
    }
  }
}

function unreachable(base: string, err: unknown): HubError {
  const code = (err as {code?: string}).code ?? (err as {cause?: {code?: string}}).cause?.code
  return new HubError('daemon_unreachable', `No hub daemon answered at ${base}${code ? ` (${code})` : ''}.`, {
    hint: 'Start one with `hub serve`, or point AGENT_HUB_BASE at the running daemon.',
    cause: err,
  })
}

function errorFromBody(status: number, body: unknown, retryAfter: string | string[] | undefined): HubError {
  const e = (body as undefined | {error?: {code?: unknown; message?: unknown}})?.error
  const message = typeof e?.message === 'string' ? e.message : `The daemon answered HTTP ${status}.`
  const details: Record<string, unknown> = {status}
  if (e && typeof e === 'object')
    for (const [k, v] of Object.entries(e)) if (k !== 'code' && k !== 'message') details[k] = v
  if (retryAfter) details.retry_after = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter
  if (isErrorCode(e?.code)) return new HubError(e.code, message, {details})
  const fallback =
    status === 401
      ? 'unauthorized'
      : status === 403
        ? 'forbidden'
        : status === 404
          ? 'not_found'
          : status === 409
            ? 'conflict'
            : status === 429
              ? 'rate_limited'
              : status >= 500
                ? 'internal'
                : 'bad_request'
  return new HubError(fallback, message, {details})
}
