/**
 * Who may use the console, against the real daemon over HTTP (no browser needed): a session acts as
 * the operator only with its CSRF token and its own Origin; a cookie alone (one that leaked to
 * another port of the host: cookies ignore ports) reads but cannot decide; agent tokens never get a
 * session or a page; sessions can be listed and ended from the CLI, and end with the operator token.
 */
import {request} from 'undici'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {agentToken, call, loginUrl, operatorToken, plan} from './console-helpers.js'
import {type DaemonProcess, hub, removeRoot, startDaemonProcess, tempRoot} from './helpers.js'

interface SignedIn {
  cookie: string
  csrf: string
  id: string
}

describe('console sessions and CSRF against the real daemon', () => {
  let root: string
  let daemon: DaemonProcess
  let origin: string

  async function signIn(): Promise<SignedIn> {
    const url = await loginUrl(root)
    const code = url.slice(url.indexOf('#code=') + 6)
    const res = await call(daemon, 'POST', '/console/login', {body: {code}, headers: {origin}})
    expect(res.status).toBe(200)
    const setCookie = String(res.headers['set-cookie'])
    expect(setCookie).toMatch(/HttpOnly/)
    expect(setCookie).toMatch(/SameSite=Strict/)
    const cookie = /hub_session=([^;]+)/.exec(setCookie)![1]!
    const body = res.json() as {csrf_token: string; session: {id: string}}
    return {cookie: `hub_session=${cookie}`, csrf: body.csrf_token, id: body.session.id}
  }

  beforeAll(async () => {
    root = await tempRoot('hub-console-auth-')
    daemon = await startDaemonProcess(root)
    origin = daemon.base
  })

  afterAll(async () => {
    await daemon?.stop()
    if (root) await removeRoot(root)
  })

  it('exchanges a login code once; a reused or unknown code fails', async () => {
    const url = await loginUrl(root)
    const code = url.slice(url.indexOf('#code=') + 6)
    expect((await call(daemon, 'POST', '/console/login', {body: {code}, headers: {origin}})).status).toBe(200)
    const again = await call(daemon, 'POST', '/console/login', {body: {code}, headers: {origin}})
    expect(again.status).toBe(401)
    expect(again.json().error).toMatchObject({code: 'unauthorized'})
    const guessed = await call(daemon, 'POST', '/console/login', {body: {code: 'A'.repeat(43)}, headers: {origin}})
    expect(guessed.status).toBe(401)
  })

  it('never lets an agent token open the console or mint a login link', async () => {
    const agent = await agentToken(root)
    const link = await call(daemon, 'POST', '/console/login-links', {body: {}, headers: {'x-agent-token': agent}})
    expect(link.status).toBe(403)
    const page = await call(daemon, 'GET', '/', {headers: {'x-agent-token': agent}})
    expect(page.status).toBe(303)
    expect(page.headers.location).toBe('/console/login')
    // Not even the operator token opens a page: pages are for sessions.
    const op = await call(daemon, 'GET', '/', {headers: {'x-agent-token': await operatorToken(root)}})
    expect(op.status).toBe(303)
    expect((await call(daemon, 'GET', '/console/sessions', {headers: {'x-agent-token': agent}})).status).toBe(403)
  })

  it('refuses a decision without the CSRF token, with a wrong one, from a foreign Origin or without one', async () => {
    const s = await signIn()
    const id = await plan(root, 'echo csrf-target')
    const attempts: Array<[string, Record<string, string>]> = [
      ['no CSRF token', {cookie: s.cookie, origin}],
      ['a wrong CSRF token', {cookie: s.cookie, origin, 'x-csrf-token': 'x'.repeat(43)}],
      ['a foreign Origin', {cookie: s.cookie, origin: 'http://evil.example', 'x-csrf-token': s.csrf}],
      ['a sibling port as Origin', {cookie: s.cookie, origin: 'http://127.0.0.1:1', 'x-csrf-token': s.csrf}],
      ['no Origin', {cookie: s.cookie, 'x-csrf-token': s.csrf}],
    ]
    for (const [what, headers] of attempts) {
      const res = await call(daemon, 'POST', `/approve/${id}?wait=0`, {body: {}, headers})
      expect(res.status, what).toBe(403)
      const deny = await call(daemon, 'POST', `/deny/${id}`, {body: {}, headers})
      expect(deny.status, what).toBe(403)
    }

    const state = await call(daemon, 'GET', `/requests/${id}`, {headers: {cookie: s.cookie}})
    expect(state.json().state).toBe('pending')
    // With everything in place, the session decides as the operator, and the audit names it.
    const ok = await call(daemon, 'POST', `/deny/${id}`, {
      body: {reason: 'from the console'},
      headers: {cookie: s.cookie, origin, 'x-csrf-token': s.csrf},
    })
    expect(ok.status).toBe(200)
    const audit = await hub(['audit', '--event', 'command_denied', '--json'], {root})
    const line = (JSON.parse(audit.stdout) as Array<Record<string, unknown>>).find((l) => l.pending_id === id)
    expect(line?.actor).toMatchObject({role: 'operator', session: s.id, via: 'console'})
  })

  it('a stolen cookie reads pages but finds no CSRF token in them', async () => {
    const s = await signIn()
    for (const path of ['/', '/console/audit', '/console/runs', '/console/insights']) {
      const res = await call(daemon, 'GET', path, {headers: {cookie: s.cookie}})
      expect(res.status, path).toBe(200)
      expect(res.body, path).not.toContain(s.csrf)
      expect(res.headers['content-security-policy'], path).toMatch(/script-src 'self'/)
      expect(res.headers['cache-control'], path).toBe('no-store')
    }
  })

  it('lists and revokes sessions through hub sessions; a revoked cookie opens nothing', async () => {
    const s = await signIn()
    const list = await hub(['sessions', '--json'], {root})
    expect(list.code).toBe(0)
    const ids = (JSON.parse(list.stdout) as Array<{id: string}>).map((x) => x.id)
    expect(ids).toContain(s.id)
    const table = await hub(['sessions'], {root})
    expect(table.stdout).toContain(s.id)
    // An event stream the session opened ends with it.
    const stream = await request(`${daemon.base}/events`, {headers: {cookie: s.cookie}})
    expect(stream.statusCode).toBe(200)
    const ended = new Promise<void>((resolve) => {
      stream.body.on('end', () => resolve())
      stream.body.on('error', () => resolve())
      stream.body.resume()
    })
    const revoke = await hub(['sessions', 'revoke', s.id], {root})
    expect(revoke.code).toBe(0)
    await Promise.race([
      ended,
      new Promise((_, reject) => {
        setTimeout(() => reject(new Error('the revoked session kept its event stream')), 20_000)
      }),
    ])
    expect((await call(daemon, 'GET', '/', {headers: {cookie: s.cookie}})).status).toBe(303)
    expect((await call(daemon, 'GET', '/pending', {headers: {cookie: s.cookie}})).status).toBe(401)
    const unknown = await hub(['sessions', 'revoke', 'abcdefabcdef'], {root})
    expect(unknown.code).toBe(4)
  })

  it('logging out ends the session; rotating the operator token ends every session', async () => {
    const a = await signIn()
    const out = await call(daemon, 'POST', '/console/logout', {
      body: {},
      headers: {cookie: a.cookie, origin, 'x-csrf-token': a.csrf},
    })
    expect(out.status).toBe(200)
    expect((await call(daemon, 'GET', '/pending', {headers: {cookie: a.cookie}})).status).toBe(401)

    const b = await signIn()
    expect((await call(daemon, 'GET', '/pending', {headers: {cookie: b.cookie}})).status).toBe(200)
    const rotated = await hub(['token', 'rotate', '--operator'], {root})
    expect(rotated.code, rotated.stderr).toBe(0)
    expect((await call(daemon, 'GET', '/pending', {headers: {cookie: b.cookie}})).status).toBe(401)
    expect((await call(daemon, 'GET', '/', {headers: {cookie: b.cookie}})).status).toBe(303)
  })
})
