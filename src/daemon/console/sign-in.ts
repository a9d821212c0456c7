/**
 * Signing in and out, and managing sessions:
 * - `POST /console/login-links` (operator token only, as `hub open` sends it): a one-time link whose
 *   code is in the URL fragment, so it never reaches a server log, a proxy or a Referer.
 * - `GET /console/login`: the page that takes the code out of the address bar and exchanges it.
 * - `POST /console/login` `{code}`: once, within 60 s → the session cookie (HttpOnly, SameSite=Strict)
 *   and, in the body only, the CSRF token.
 * - `POST /console/logout`; `GET /console/sessions`, `POST /console/sessions/:id/revoke`,
 *   `POST /console/sessions/revoke-all` (operator: token, or a session with its CSRF token).
 */
import type {Context, Hono, MiddlewareHandler} from 'hono'

import {z} from 'zod'

import {HubError} from '../../lib/errors.js'
import {decodeUtf8} from '../json-body.js'
import {
  type ConsoleActor,
  type ConsoleContext,
  type ConsoleEnv,
  securityHeaders,
  sendCompressed,
  SESSION_COOKIE,
} from './context.js'
import {html} from './html.js'
import {SESSION_TTL_MS} from './sessions.js'
import {page} from './views/layout.js'

const LoginBody = z.object({code: z.string().min(1).max(100)})
const LOGIN_BODY_MAX = 1024

function isConsoleActor(actor: unknown): actor is ConsoleActor {
  return typeof actor === 'object' && actor !== null && (actor as {via?: unknown}).via === 'console'
}

async function loginCode(c: Context): Promise<string> {
  const bytes = new Uint8Array(await c.req.arrayBuffer())
  if (bytes.length > LOGIN_BODY_MAX) throw new HubError('payload_too_large', 'The sign-in body is too large.')
  if (!/^application\/json\s*(;|$)/i.test(c.req.header('content-type') ?? ''))
    throw new HubError('unsupported_media_type', 'Send the code as application/json.')
  let parsed: unknown
  try {
    parsed = JSON.parse(decodeUtf8(bytes))
  } catch {
    throw new HubError('invalid_json', 'The body is not valid JSON.')
  }

  const result = LoginBody.safeParse(parsed)
  if (!result.success) throw new HubError('validation_failed', 'The body must be {"code": "<code from hub open>"}.')
  return result.data.code
}

function loginPage(ctx: ConsoleContext): string {
  return page({
    assets: ctx.assets,
    page: 'login',
    signedIn: false,
    title: 'Sign in',
    body: html`<h1>Sign in to hub</h1>
      <p class="error" id="login-error" role="alert" hidden></p>
      <p>
        Run <code>hub open</code> in a terminal on the machine where hub runs. It prints (and opens) a link that works
        once, within 60 seconds.
      </p>
      <form id="login-form">
        <label for="login-code">Or paste that link here</label>
        <p>
          <input id="login-code" autocomplete="off" spellcheck="false" size="40" />
          <button type="submit">Sign in</button>
        </p>
      </form>
      <noscript><p class="error">The console needs JavaScript to sign in and to act.</p></noscript>`,
  })
}

export function registerSignIn(
  app: Hono<ConsoleEnv>,
  ctx: ConsoleContext,
  guards: {operator: MiddlewareHandler<ConsoleEnv>},
): void {
  const {sessions, deps} = ctx

  app.get('/console/login', (c) => {
    securityHeaders(c, 'none')
    return sendCompressed(c, loginPage(ctx), {type: 'text/html; charset=utf-8'})
  })

  app.post('/console/login', async (c) => {
    securityHeaders(c, 'none')
    const code = await loginCode(c)
    const result = sessions.redeem(code, c.req.header('user-agent'))
    if (!result)
      throw new HubError(
        'unauthorized',
        'This sign-in link was already used or has expired (links work once, within 60 seconds). ' +
          'Run hub open for a new one.',
      )
    c.header(
      'Set-Cookie',
      `${SESSION_COOKIE}=${result.cookie}; Path=/; HttpOnly; SameSite=Strict; ` +
        `Max-Age=${Math.floor(SESSION_TTL_MS / 1000)}`,
    )
    return c.json({csrf_token: result.csrf, session: result.info})
  })

  app.post('/console/logout', (c) => {
    securityHeaders(c, 'none')
    const actor = ctx.authenticate(c)
    if (actor) sessions.revoke(actor.session, 'logout')
    c.header('Set-Cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`)
    return c.json({signed_out: actor !== undefined})
  })

  app.post('/console/login-links', guards.operator, (c) => {
    // A console session may not mint more sessions: only the operator token, from the terminal.
    if (isConsoleActor(c.get('actor')))
      throw new HubError('forbidden', 'Login links are made with the operator token (hub open), not from the console.')
    const {code, expires_at} = sessions.issueCode()
    const base = (deps.base() ?? new URL(c.req.url).origin).replace(/\/+$/, '')
    c.header('Cache-Control', 'no-store')
    return c.json({url: `${base}/console/login#code=${code}`, expires_at})
  })

  app.get('/console/sessions', guards.operator, (c) => {
    const actor = c.get('actor')
    const current = isConsoleActor(actor) ? actor.session : undefined
    c.header('Cache-Control', 'no-store')
    return c.json(sessions.list().map((s) => ({...s, current: s.id === current})))
  })

  app.post('/console/sessions/revoke-all', guards.operator, (c) => c.json({revoked: sessions.revokeAll()}))

  app.post('/console/sessions/:id/revoke', guards.operator, (c) => {
    const id = c.req.param('id')
    if (!/^[\da-f]{12}$/.test(id) || !sessions.revoke(id))
      throw new HubError('not_found', `No console session ${id}.`, {hint: 'List sessions with hub sessions.'})
    return c.json({revoked: 1})
  })
}
