/**
 * The HTTP face of hub (SPEC §7.1). `createApp` builds the Hono app without listening, so tests
 * drive it with `app.request()`; `server.ts` binds it. Every route validates its input here, at
 * the edge, and hands plain values to the gateway.
 */
import {type Context, Hono, type MiddlewareHandler} from 'hono'
import {bodyLimit} from 'hono/body-limit'
import {streamSSE} from 'hono/streaming'
import {z} from 'zod'

import type {HubConfig} from '../lib/config.js'
import type {Gateway, GatewayEvent} from '../lib/gateway.js'
import type {Logger} from '../lib/logger.js'
import type {Actor} from '../lib/records.js'
import type {RuntimeStore} from '../lib/store.js'
import type {HubConsole} from './console/index.js'
import type {EventBuffer} from './event-stream.js'

import {ApproveBody, DenyBody, PlanBody, RotateBody} from '../lib/api.js'
import {HubError, isHubError} from '../lib/errors.js'
import {fingerprint, type Role, type Tokens, tokensEqual} from '../lib/tokens.js'
import {decodeUtf8, findDuplicateKey} from './json-body.js'
import {RateLimiter} from './rate-limit.js'
import {hostAllowed, originAllowed} from './security.js'

export interface AppDeps {
  /** Last failed audit write, if any: /health reports it. */
  auditFailure: () => undefined | {at: string; broken: boolean}
  auditSeq: () => number
  auditSize: () => number
  config: HubConfig
  /** The operator's web console (src/daemon/console/): its routes, and sessions accepted as the operator. */
  console?: HubConsole | undefined
  events: EventBuffer
  gateway: Gateway
  log: Logger
  rotateToken: (role: Role, actor: Actor) => Promise<{file: string; fingerprint: string; role: Role}>
  store: RuntimeStore
  /** Tokens are read through a getter so that rotation takes effect at once. */
  tokens: () => Tokens
  version: string
}

type Env = {Variables: {actor: Actor}}

export const MAX_BODY_BYTES = 64 * 1024
const KEEPALIVE_MS = 15_000
const MAX_QUEUED_EVENTS = 10_000
const MAX_STREAMS_PER_AGENT = 8

// Keys that could reach an object prototype if anything downstream ever merged the body.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])
function intParam(c: Context, name: string, fallback: number, min: number, max: number): number {
  const raw = c.req.query(name)
  if (raw === undefined || raw === '') return fallback
  if (!/^\d+$/.test(raw))
    throw new HubError('validation_failed', `${name} must be a whole number from ${min} to ${max}.`, {
      details: {field: name},
    })
  const n = Number(raw)
  if (n < min || n > max)
    throw new HubError('validation_failed', `${name} must be a whole number from ${min} to ${max}.`, {
      details: {field: name},
    })
  return n
}

/** Reads an optional JSON body: none, or `application/json` that parses and passes the schema. */
async function jsonBody<S extends z.ZodType>(c: Context, schema: S, required: boolean): Promise<z.infer<S>> {
  const text = decodeUtf8(new Uint8Array(await c.req.arrayBuffer()))
  if (text.trim() === '') {
    if (required) throw new HubError('validation_failed', 'A JSON body is required.', {details: {field: 'body'}})
    return schema.parse({}) as z.infer<S>
  }

  const type = c.req.header('content-type') ?? ''
  // Only JSON: a browser cannot send it cross-site without a preflight, which we refuse.
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new HubError('unsupported_media_type', 'Send the body as application/json.', {
      details: {field: 'content-type'},
    })
  }

  let parsed: unknown
  try {
    parsed = JSON.parse(text, (key, value: unknown) => {
      if (FORBIDDEN_KEYS.has(key))
        throw new HubError('validation_failed', `The key ${JSON.stringify(key)} is not allowed.`, {
          details: {field: key},
        })
      return value
    })
  } catch (error) {
    if (isHubError(error)) throw error
    throw new HubError('invalid_json', `The body is not valid JSON: ${(error as Error).message}`)
  }

  const duplicate = findDuplicateKey(text)
  if (duplicate !== undefined) {
    throw new HubError(
      'validation_failed',
      `The key ${JSON.stringify(duplicate)} appears twice; send each field once.`,
      {details: {field: duplicate}},
    )
  }

  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new HubError('validation_failed', 'The body must be a JSON object.', {details: {field: 'body'}})
  }

  const result = schema.safeParse(parsed)
  if (!result.success) {
    const issue = result.error.issues[0]!
    const field = issue.path.join('.') || 'body'
    throw new HubError('validation_failed', `${field}: ${issue.message}`, {details: {field, reason: issue.message}})
  }

  return result.data as z.infer<S>
}

export function createApp(deps: AppDeps): Hono<Env> {
  const app = new Hono<Env>()
  const limiter = new RateLimiter(deps.config.rateLimitRequests, deps.config.rateLimitWindowSeconds * 1000)
  const {log} = deps

  let storageFailureAt: string | undefined
  app.onError((err, c) => {
    if (isHubError(err)) {
      if (err.code === 'storage_unavailable') storageFailureAt = new Date().toISOString()
      if (err.status >= 500) log.error(`${c.req.method} ${c.req.path}: ${err.message}`)
      if (err.code === 'rate_limited' || err.code === 'too_many_pending')
        c.header('Retry-After', String(err.details?.retry_after ?? 1))
      return c.json(err.toJSON(), err.status as 400)
    }

    log.error(`${c.req.method} ${c.req.path}: ${(err as Error).stack ?? String(err)}`)
    return c.json({error: {code: 'internal', message: 'Internal error; the daemon log has the details.'}}, 500)
  })
  if (log.enabled('DEBUG')) {
    app.use('*', async (c, next) => {
      const t0 = performance.now()
      await next()
      log.debug(`${c.req.method} ${c.req.path} → ${c.res.status} in ${(performance.now() - t0).toFixed(1)}ms`)
    })
  }

  app.notFound((c) => c.json({error: {code: 'not_found', message: `No route ${c.req.method} ${c.req.path}.`}}, 404))

  // DNS rebinding and cross-site requests (SPEC §5) come first, before any token is looked at.
  app.use('*', async (c, next) => {
    // In-process requests (tests) carry no Host header; their URL holds the host instead.
    if (!hostAllowed(c.req.header('host') ?? new URL(c.req.url).host, deps.config.host)) {
      throw new HubError(
        'forbidden',
        'This Host is not allowed; hub answers only on its own address and loopback names.',
      )
    }

    const origin = c.req.header('origin')
    if (origin !== undefined) {
      if (!originAllowed(origin))
        throw new HubError('forbidden', 'Cross-origin requests are allowed only from loopback origins.')
      c.header('Access-Control-Allow-Origin', origin)
      c.header('Vary', 'Origin')
      if (c.req.method === 'OPTIONS') {
        c.header('Access-Control-Allow-Methods', 'GET, POST, OPTIONS')
        c.header('Access-Control-Allow-Headers', 'Content-Type, X-Agent-Token, Authorization, Last-Event-ID')
        c.header('Access-Control-Max-Age', '600')
        return c.body(null, 204)
      }
    }

    await next()
  })

  app.get('/status', (c) => {
    const {pending, denied} = deps.gateway.counts
    return c.json({ok: true, pending_count: pending, denied_count: denied, token_required: true, version: deps.version})
  })

  const auth =
    (roles: Role[]): MiddlewareHandler<Env> =>
    async (c, next) => {
      const header = c.req.header('x-agent-token') ?? c.req.header('authorization')?.replace(/^Bearer\s+/i, '')
      const token = header ?? (c.req.path === '/events' ? c.req.query('token') : undefined)
      if (!token) {
        // No token: a console session (cookie, plus CSRF token and Origin when it changes something) acts as the operator.
        const session = deps.console?.authenticate(c)
        if (!session)
          throw new HubError('unauthorized', 'A token is required: send it in X-Agent-Token or Authorization: Bearer.')
        c.set('actor', session)
        await next()
        return
      }

      const tokens = deps.tokens()
      const role: Role | undefined = tokensEqual(token, tokens.operator)
        ? 'operator'
        : tokensEqual(token, tokens.agent)
          ? 'agent'
          : undefined
      if (!role) throw new HubError('unauthorized', 'The token is not valid.')
      if (!roles.includes(role))
        throw new HubError(
          'forbidden',
          'This action needs the operator token; an agent cannot decide its own requests.',
        )
      const fp = fingerprint(token)
      // A flooding agent must never lock the operator out, so only agent tokens are limited.
      if (role === 'agent') {
        const wait = limiter.take(fp)
        if (wait > 0)
          throw new HubError('rate_limited', `Too many requests from this agent; try again in ${wait}s.`, {
            details: {retry_after: wait},
          })
      }

      c.set('actor', {role, token: fp})
      await next()
    }

  const anyone = auth(['agent', 'operator'])
  const operator = auth(['operator'])
  const limitBody = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError() {
      throw new HubError('payload_too_large', `The body is larger than ${MAX_BODY_BYTES / 1024} KiB.`)
    },
  })

  app.get('/health', anyone, (c) => {
    const mem = process.memoryUsage()
    const auditFailure = deps.auditFailure()
    const at = [auditFailure?.at, storageFailureAt]
      .filter((t): t is string => t !== undefined)
      .sort()
      .at(-1)
    const failure = at === undefined ? undefined : {at, broken: auditFailure?.broken ?? false}
    // Unhealthy: the audit log cannot take writes until a restart. Degraded: a write failed in the last minute.
    const status = failure?.broken
      ? 'unhealthy'
      : failure && Date.now() - Date.parse(failure.at) < 60_000
        ? 'degraded'
        : 'healthy'
    return c.json({
      status,
      uptime_seconds: Math.round((Date.now() - deps.gateway.startedAt.getTime()) / 100) / 10,
      memory_mb: Math.round((mem.rss / 1_048_576) * 10) / 10,
      pending_count: deps.gateway.counts.pending,
      runs_count: deps.gateway.counts.runs,
      denied_count: deps.gateway.counts.denied,
      timestamp: new Date().toISOString(),
      version: deps.version,
      pid: process.pid,
      active_runs: deps.gateway.activeRuns,
      waiting_runs: deps.gateway.waitingRuns,
      audit_bytes: deps.auditSize(),
      audit_seq: deps.auditSeq(),
      last_event_at: deps.gateway.lastEventTime ?? null,
      event_clients: deps.events.clients,
      policy: deps.gateway.policy.describe(),
      sandbox: deps.gateway.sandbox.kind,
      ...(deps.gateway.sandbox.reason ? {sandbox_reason: deps.gateway.sandbox.reason} : {}),
      last_write_failure_at: failure?.at ?? null,
    })
  })

  app.post('/plan', anyone, limitBody, async (c) => {
    const body = await jsonBody(c, PlanBody, true)
    const outcome = await deps.gateway.plan(body, c.get('actor'))
    if (outcome.kind === 'queued') {
      const r = outcome.request
      return c.json({
        pending_id: r.pending_id,
        queued: true,
        command: r.command,
        decision: r.policy.decision,
        policy: r.policy,
        expires_at: r.expires_at,
      })
    }

    const r = outcome.request
    return c.json({
      pending_id: r.pending_id,
      queued: false,
      command: r.command,
      decision: r.policy.decision,
      policy: r.policy,
      run_id: outcome.record.run_id,
      record: outcome.record,
    })
  })

  app.get('/pending', anyone, async (c) => {
    const limit = intParam(c, 'limit', 50, 1, 10_000)
    return c.json(await deps.store.listPending(limit))
  })
  app.get('/pending/:id', anyone, async (c) => c.json(await deps.gateway.getPending(c.req.param('id'))))

  app.get('/requests/:id', anyone, async (c) => {
    const wait = intParam(c, 'wait', 0, 0, 60)
    return c.json(await deps.gateway.waitForChange(c.req.param('id'), wait))
  })

  app.post('/approve/:id', operator, limitBody, async (c) => {
    const body = await jsonBody(c, ApproveBody, false)
    const wait = c.req.query('wait') !== '0' && c.req.query('wait') !== 'false'
    const result = await deps.gateway.approve(c.req.param('id'), {actor: c.get('actor'), note: body.note, wait})
    if ('started' in result)
      return c.json({pending_id: result.started.pending_id, run_id: result.started.run_id, state: 'running'}, 202)
    return c.json(result.record)
  })

  app.post('/deny/:id', operator, limitBody, async (c) => {
    const body = await jsonBody(c, DenyBody, false)
    return c.json(await deps.gateway.deny(c.req.param('id'), {actor: c.get('actor'), reason: body.reason}))
  })

  app.post('/tokens/rotate', operator, limitBody, async (c) => {
    const body = await jsonBody(c, RotateBody, true)
    return c.json(await deps.rotateToken(body.role, c.get('actor')))
  })

  app.get('/runs', anyone, async (c) => {
    // Records carry their output (up to the limit per stream), so a listing is kept short.
    const limit = intParam(c, 'limit', 50, 1, 500)
    return c.json(await deps.store.listRuns(limit))
  })
  app.get('/runs/:run_id', anyone, async (c) => c.json(await deps.gateway.getRun(c.req.param('run_id'))))

  // Open event streams per agent token: each holds a socket and a queue, so an agent may not open
  // them without bound. The operator is not limited, like everywhere else.
  const streamsByAgent = new Map<string, number>()
  app.get('/events', anyone, (c) => {
    const lastHeader = c.req.header('last-event-id') ?? c.req.query('last_event_id')
    const last = lastHeader !== undefined && /^\d+$/.test(lastHeader) ? Number(lastHeader) : undefined
    const actor = c.get('actor')
    const open = streamsByAgent.get(actor.token) ?? 0
    if (actor.role === 'agent' && open >= MAX_STREAMS_PER_AGENT) {
      throw new HubError(
        'rate_limited',
        `This agent already has ${MAX_STREAMS_PER_AGENT} event streams open; close one first.`,
        {details: {retry_after: 5}},
      )
    }

    if (actor.role === 'agent') streamsByAgent.set(actor.token, open + 1)
    const release = (): void => {
      if (actor.role !== 'agent') return
      const n = (streamsByAgent.get(actor.token) ?? 1) - 1
      if (n <= 0) streamsByAgent.delete(actor.token)
      else streamsByAgent.set(actor.token, n)
    }

    return streamSSE(c, async (stream) => {
      const queue: GatewayEvent[] = []
      let wake: (() => void) | undefined
      let highest = last ?? 0
      let closed = false
      // Subscribe before replaying, so nothing that happens during the replay is lost.
      const unsubscribe = deps.events.subscribe((e) => {
        // A client that does not read must not make the daemon hold every event for it.
        if (queue.length >= MAX_QUEUED_EVENTS) {
          closed = true
          log.warn(
            `Closed an event stream that fell ${MAX_QUEUED_EVENTS} events behind; it can reconnect with Last-Event-ID.`,
          )
        } else queue.push(e)
        wake?.()
      })
      stream.onAbort(() => {
        closed = true
        unsubscribe()
        wake?.()
      })
      const send = async (e: GatewayEvent): Promise<void> => {
        if (e.id <= highest) return
        highest = Math.max(highest, e.id)
        await stream.writeSSE({id: String(e.id), data: JSON.stringify(e.data)})
      }

      try {
        await stream.write(': hub events\n\n')
        if (last !== undefined) {
          for await (const e of deps.events.since(last)) {
            if (closed) break
            await send(e)
          }
        }

        const stopOnShutdown = deps.events.onClose(() => {
          closed = true
          wake?.()
        })
        try {
          while (!closed) {
            if (queue.length === 0) {
              const timedOut = await new Promise<boolean>((resolve) => {
                const t = setTimeout(() => resolve(true), KEEPALIVE_MS)
                wake = () => {
                  clearTimeout(t)
                  resolve(false)
                }
              })
              wake = undefined
              if (timedOut && !closed) await stream.write(': keep-alive\n\n')
              continue
            }

            await send(queue.shift()!)
          }
        } finally {
          stopOnShutdown()
        }
      } finally {
        unsubscribe()
        release()
      }
    })
  })

  deps.console?.routes(app, {operator})
  return app
}
