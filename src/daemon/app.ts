/**
 * The HTTP face of hub (SPEC §7.1). `createApp` builds the Hono app without listening, so tests
 * drive it with `app.request()`; `server.ts` binds it. The browser defences and authentication are
 * here; each concern's routes are a sub-app of their own (`routes/`), validating their input with the
 * schemas of `lib/api.ts` and handing plain values to the gateway.
 */
import {type Context, Hono} from 'hono'

import type {HubConfig} from '../lib/config.js'
import type {Gateway} from '../lib/gateway.js'
import type {Logger} from '../lib/logger.js'
import type {Actor} from '../lib/records.js'
import type {RequestViews} from '../lib/request-views.js'
import type {TelemetryStatus} from '../lib/telemetry/index.js'
import type {Role, Tokens} from '../lib/tokens.js'
import type {HubConsole} from './console/index.js'
import type {EventBuffer} from './event-stream.js'

import {PruneBody, RotateBody} from '../lib/api.js'
import {HubError, isHubError} from '../lib/errors.js'
import {createAuth, type Env} from './auth.js'
import {jsonBody} from './body.js'
import {eventRoutes} from './routes/events.js'
import {healthRoutes} from './routes/health.js'
import {limitBody, requestRoutes} from './routes/requests.js'
import {runRoutes} from './routes/runs.js'
import {hostAllowed, originAllowed} from './security.js'

export {MAX_BODY_BYTES} from './body.js'

export interface AppDeps {
  config: HubConfig
  /** The operator's web console (src/daemon/console/): its pages and sign-in routes. */
  console?: Pick<HubConsole, 'routes'> | undefined
  events: EventBuffer
  gateway: Gateway
  log: Logger
  rotateToken: (role: Role, actor: Actor) => Promise<{file: string; fingerprint: string; role: Role}>
  runtimeDir: string
  /** A console session as the operator (cookie + CSRF token), for requests that carry no token. */
  session?: ((c: Context) => Actor | undefined) | undefined
  /** The OpenTelemetry export's counts, when the audit is exported (`/health` with a token). */
  telemetry?: (() => TelemetryStatus) | undefined
  /** Tokens are read through a getter so that rotation takes effect at once. */
  tokens: () => Tokens
  version: string
  views: RequestViews
}

/** Free space below which `/health` says degraded (AGENT_HUB_MIN_FREE_MB, default 100 MiB). */
const DEFAULT_MIN_FREE_BYTES = 100 * 1_048_576

export function createApp(deps: AppDeps): Hono<Env> {
  const app = new Hono<Env>()
  const {log} = deps
  const writes: {failedAt?: string; okAt?: string} = {}
  deps.gateway.on('event', (e) => {
    if (e.id !== undefined) writes.okAt = new Date().toISOString()
  })

  app.onError((err, c) => {
    if (isHubError(err)) {
      if (err.code === 'storage_unavailable') writes.failedAt = new Date().toISOString()
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

  const auth = createAuth({
    rateLimit: {requests: deps.config.rateLimitRequests, windowSeconds: deps.config.rateLimitWindowSeconds},
    session: deps.session,
    tokens: deps.tokens,
  })
  const anyone = auth(['agent', 'operator'])
  const operator = auth(['operator'])
  const minFree = Number(process.env.AGENT_HUB_MIN_FREE_MB)
  app.route(
    '/',
    healthRoutes({
      events: deps.events,
      gateway: deps.gateway,
      minFreeBytes: Number.isFinite(minFree) && minFree >= 0 ? minFree * 1_048_576 : DEFAULT_MIN_FREE_BYTES,
      runtimeDir: deps.runtimeDir,
      telemetry: deps.telemetry,
      tokens: deps.tokens,
      version: deps.version,
      writes,
    }),
  )
  app.route('/', requestRoutes({anyone, gateway: deps.gateway, operator, views: deps.views}))
  app.route('/', runRoutes({anyone, views: deps.views}))
  app.route('/', eventRoutes({anyone, events: deps.events, log}))
  app.post('/prune', operator, limitBody, async (c) => {
    const body = await jsonBody(c, PruneBody, false)
    const days = body.days ?? deps.config.retentionDays
    const before = Date.now() - days * 86_400_000
    const removed = await deps.gateway.store.pruneDenied(before, c.get('actor'))
    return c.json({removed, before: new Date(before).toISOString(), days})
  })
  app.post('/tokens/rotate', operator, limitBody, async (c) => {
    const body = await jsonBody(c, RotateBody, true)
    return c.json(await deps.rotateToken(body.role, c.get('actor')))
  })
  deps.console?.routes(app, {operator})
  return app
}
