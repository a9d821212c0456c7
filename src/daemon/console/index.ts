/**
 * The operator's web console (SPEC §7.7, issue 15), served by the daemon itself. `createConsole`
 * builds it from the daemon's parts; the HTTP app mounts its routes and asks it, through
 * `authenticate`, whether a request without a token carries a console session.
 *
 * A session acts as the operator on the API (the console's buttons call `POST /approve/:id` like the
 * CLI does), but only with its CSRF token and a same-origin `Origin` on every state-changing request.
 * Console pages accept a session only: no token, agent or operator, ever opens them.
 */
import type {Context, Hono, MiddlewareHandler} from 'hono'

import {createHash} from 'node:crypto'
import {gzipSync} from 'node:zlib'

import {HubError} from '../../lib/errors.js'
import {fingerprint} from '../../lib/tokens.js'
import {SCRIPT} from './assets/script.js'
import {STYLE} from './assets/style.js'
import {ChainStatus} from './audit-source.js'
import {
  type ConsoleActor,
  type ConsoleContext,
  type ConsoleDeps,
  type ConsoleEnv,
  CSRF_HEADER,
  readSessionCookie,
  securityHeaders,
  sendCompressed,
} from './context.js'
import {Insights} from './insights.js'
import {registerPages} from './pages.js'
import {RunTracker} from './run-tracker.js'
import {ConsoleSessions} from './sessions.js'
import {registerSignIn} from './sign-in.js'

export type {ConsoleActor, ConsoleDeps, ConsoleEnv} from './context.js'

export interface HubConsole {
  /**
   * The console session a request carries, as the operator; undefined when it carries none (or an
   * expired one). Throws `forbidden` for a state-changing request without its CSRF token or with a
   * foreign or missing Origin.
   */
  authenticate(c: Context): ConsoleActor | undefined
  /** Adds the console's routes; `operator` is the API's own operator check. */
  routes(app: Hono<ConsoleEnv>, guards: {operator: MiddlewareHandler<ConsoleEnv>}): void
  readonly sessions: ConsoleSessions
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** What a console session is called where a token fingerprint would be (audit lines, open streams). */
export function sessionToken(id: string): string {
  return `console:${id}`
}

function assetName(stem: string, ext: string, text: string): string {
  return `/console/assets/${stem}.${createHash('sha256').update(text).digest('hex').slice(0, 12)}.${ext}`
}

/** The Origin of a state-changing request must be this very address (scheme, host and port). */
function sameOrigin(c: Context): boolean {
  const origin = c.req.header('origin')
  const host = c.req.header('host') ?? new URL(c.req.url).host
  if (!origin) return false
  try {
    return new URL(origin).host.toLowerCase() === host.toLowerCase()
  } catch {
    return false
  }
}

export function createConsole(deps: ConsoleDeps): HubConsole {
  const operatorFp = (): string => fingerprint(deps.tokens().operator)
  const sessions = new ConsoleSessions({operatorFingerprint: operatorFp})
  const {log} = deps
  sessions.onChange = (change) => {
    const ua = change.info.user_agent
      ? ` (${change.info.user_agent.slice(0, 60).replaceAll(/[^\u0020-\u007E]/g, '?')})`
      : ''
    if (change.kind === 'started') {
      log.info(`Console session ${change.info.id} started${ua}`)
      return
    }

    const closed = deps.events.closeToken(sessionToken(change.info.id))
    const streams = closed ? `; closed ${closed} event stream(s)` : ''
    log.info(`Console session ${change.info.id} ended: ${change.why ?? 'revoked'}${streams}`)
  }

  const authenticate = (c: Context): ConsoleActor | undefined => {
    const cookie = readSessionCookie(c)
    if (cookie === undefined) return undefined
    const session = sessions.authenticate(cookie)
    if (!session) return undefined
    if (!SAFE_METHODS.has(c.req.method)) {
      if (!sameOrigin(c))
        throw new HubError(
          'forbidden',
          'A console request that changes something must come from the console page itself (Origin).',
        )
      if (!sessions.csrfMatches(session, c.req.header(CSRF_HEADER)))
        throw new HubError(
          'forbidden',
          'The CSRF token is missing or wrong; reload the console, or sign in again with hub open.',
        )
    }

    // The session, not the operator token, is what acted: the audit names it, and ending the session
    // closes the event streams it opened (they are registered under this token).
    return {role: 'operator', token: sessionToken(session.info.id), session: session.info.id, via: 'console'}
  }

  const runs = new RunTracker()
  deps.events.subscribe((e) => {
    runs.observe(e.data)
    // The new operator token is in force right after its audit line: end the sessions of the old one then.
    if (e.type === 'token_rotated' && e.data.role === 'operator') setImmediate(() => sessions.sweep())
  })
  const ctx: ConsoleContext = {
    deps,
    authenticate,
    sessions,
    runs,
    chain: new ChainStatus(deps.history),
    insights: new Insights({history: deps.history, subscribe: (l) => deps.events.subscribe(l)}),
    assets: {css: assetName('console', 'css', STYLE), js: assetName('console', 'js', SCRIPT)},
    session: (c) => sessions.authenticate(readSessionCookie(c)),
  }

  // Compiled into the package, compressed once.
  const css = {bytes: Buffer.from(STYLE), gzipped: gzipSync(STYLE, {level: 9}), type: 'text/css; charset=utf-8'}
  const js = {bytes: Buffer.from(SCRIPT), gzipped: gzipSync(SCRIPT, {level: 9}), type: 'text/javascript; charset=utf-8'}
  return {
    sessions,
    authenticate,
    routes(app, guards) {
      app.get('/console/assets/:name', (c) => {
        const {path} = c.req
        const asset = path === ctx.assets.css ? css : path === ctx.assets.js ? js : undefined
        if (asset) {
          securityHeaders(c, 'immutable')
          return sendCompressed(c, asset.bytes, {type: asset.type, gzipped: asset.gzipped})
        }

        throw new HubError('not_found', `No console asset ${c.req.param('name')}.`)
      })
      registerSignIn(app, ctx, guards)
      registerPages(app, ctx)
    },
  }
}
