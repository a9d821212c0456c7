/**
 * What the console's parts share: its dependencies, the session cookie and CSRF header names, the
 * security headers of every console response, and the context the route modules are built with.
 */
import type {Context} from 'hono'

import {gzipSync} from 'node:zlib'

import type {Gateway} from '../../lib/gateway.js'
import type {Logger} from '../../lib/logger.js'
import type {Actor} from '../../lib/records.js'
import type {RequestViews} from '../../lib/request-views.js'
import type {HubHistory} from '../../lib/stores/history.js'
import type {Tokens} from '../../lib/tokens.js'
import type {EventBuffer} from '../event-stream.js'
import type {ChainStatus} from './audit-source.js'
import type {Insights} from './insights.js'
import type {RunTracker} from './run-tracker.js'
import type {ConsoleSessions, Session} from './sessions.js'
import type {Assets} from './views/layout.js'

export const SESSION_COOKIE = 'hub_session'
export const CSRF_HEADER = 'x-csrf-token'

/** The operator, acting through a console session (the audit names the session). */
export interface ConsoleActor extends Actor {
  session: string
  via: 'console'
}

/** The API app's environment: the actor its auth middleware sets. */
export type {Env as ConsoleEnv} from '../auth.js'

export interface ConsoleDeps {
  /** The address browsers reach the daemon at, once it listens (login links are built on it). */
  base: () => string | undefined
  events: EventBuffer
  gateway: Gateway
  /** The audit and runs as `hub audit` reads them: the runtime files, or the team database. */
  history: HubHistory
  log: Logger
  runtimeDir: string
  tokens: () => Tokens
  version: string
  views: RequestViews
}

export interface ConsoleContext {
  assets: Assets
  /** As `HubConsole.authenticate`: a session as the operator, with CSRF and Origin checked when it matters. */
  authenticate(c: Context): ConsoleActor | undefined
  chain: ChainStatus
  deps: ConsoleDeps
  insights: Insights
  runs: RunTracker
  /** The session of a page request, or undefined. */
  session(c: Context): Session | undefined
  sessions: ConsoleSessions
}

/** Headers on every console response: nothing inline, nothing framed, nothing cached, nothing leaked. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ')

export function securityHeaders(c: Context, cache: 'immutable' | 'none'): void {
  c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
  c.header('X-Content-Type-Options', 'nosniff')
  c.header('X-Frame-Options', 'DENY')
  c.header('Referrer-Policy', 'no-referrer')
  c.header('Cross-Origin-Opener-Policy', 'same-origin')
  c.header('Cross-Origin-Resource-Policy', 'same-origin')
  c.header('Permissions-Policy', 'camera=(), microphone=(), geolocation=()')
  c.header('Cache-Control', cache === 'immutable' ? 'public, max-age=31536000, immutable' : 'no-store')
}

export function readSessionCookie(c: Context): string | undefined {
  const header = c.req.header('cookie')
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim()
  }

  return undefined
}

/** Below this, compressing costs more than it saves. */
const GZIP_MIN_BYTES = 1024

function acceptsGzip(c: Context): boolean {
  return /\bgzip\b/i.test(c.req.header('accept-encoding') ?? '')
}

/**
 * A console body, gzipped when the browser takes it. Pages hold no secret (the CSRF token is never in
 * one), so compressing agent text beside them gives a BREACH-style attack nothing to find.
 */
export function sendCompressed(
  c: Context,
  body: Buffer | string,
  opts: {gzipped?: Buffer | undefined; status?: number; type: string},
) {
  c.header('Vary', 'Accept-Encoding', {append: true})
  c.header('Content-Type', opts.type)
  const bytes = typeof body === 'string' ? Buffer.from(body) : body
  if (bytes.length >= GZIP_MIN_BYTES && acceptsGzip(c)) {
    c.header('Content-Encoding', 'gzip')
    return c.body(new Uint8Array(opts.gzipped ?? gzipSync(bytes, {level: 6})), (opts.status ?? 200) as 200)
  }

  return c.body(new Uint8Array(bytes), (opts.status ?? 200) as 200)
}
