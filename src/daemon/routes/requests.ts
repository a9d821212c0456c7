/**
 * Requests (SPEC §6.1, §7.1): plan, look, wait, decide, withdraw, and — for commands an agent runs
 * itself — report the outcome. Lists are bare JSON arrays (the seed's scripts count them), with the
 * total in `X-Total-Count` so that paging never hides how many there are.
 */
import {type Context, Hono, type MiddlewareHandler} from 'hono'
import {bodyLimit} from 'hono/body-limit'

import type {Gateway} from '../../lib/gateway.js'
import type {RequestViews} from '../../lib/request-views.js'
import type {Env} from '../auth.js'

import {ApproveBody, DenyBody, OutcomeBody, PlanBody, TOTAL_HEADER, WithdrawBody} from '../../lib/api.js'
import {HubError} from '../../lib/errors.js'
import {intParam, jsonBody, MAX_BODY_BYTES} from '../body.js'

export interface RequestRoutesDeps {
  anyone: MiddlewareHandler<Env>
  gateway: Gateway
  operator: MiddlewareHandler<Env>
  views: RequestViews
}

export const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError() {
    throw new HubError('payload_too_large', `The body is larger than ${MAX_BODY_BYTES / 1024} KiB.`)
  },
})

/** `?limit=&offset=` within bounds. */
export function pageOf(c: Context, defaultLimit: number, maxLimit: number): {limit: number; offset: number} {
  return {limit: intParam(c, 'limit', defaultLimit, 1, maxLimit), offset: intParam(c, 'offset', 0, 0, 100_000_000)}
}

/** A list answer: the items, and the total in a header. */
export function listAnswer<T>(c: Context, page: {items: T[]; total: number}): Response {
  c.header(TOTAL_HEADER, String(page.total))
  c.header('Access-Control-Expose-Headers', TOTAL_HEADER)
  return c.json(page.items)
}

export function requestRoutes(d: RequestRoutesDeps): Hono<Env> {
  const app = new Hono<Env>()

  app.post('/plan', d.anyone, limitBody, async (c) => {
    const body = await jsonBody(c, PlanBody, true)
    const outcome = await d.gateway.plan(body, c.get('actor'))
    const r = outcome.request
    const common = {
      pending_id: r.pending_id,
      command: r.command,
      decision: r.policy.decision,
      policy: r.policy,
      command_sha256: r.command_sha256,
    }
    if (outcome.kind === 'queued') return c.json({...common, queued: true, expires_at: r.expires_at})
    if (outcome.kind === 'allowed') return c.json({...common, queued: false, state: 'approved', executor: 'agent'})
    return c.json({...common, queued: false, run_id: outcome.record.run_id, record: outcome.record})
  })

  app.get('/pending', d.anyone, async (c) => {
    // Every waiting request by default: the seed's scripts alert on the count of this array.
    const page = await d.views.listPending(pageOf(c, 10_000, 10_000), c.get('actor'))
    return listAnswer(c, page)
  })
  app.get('/pending/:id', d.anyone, async (c) => c.json(await d.views.getPending(c.req.param('id'), c.get('actor'))))

  app.get('/denied', d.anyone, async (c) => listAnswer(c, await d.views.listDenied(pageOf(c, 50, 500), c.get('actor'))))

  app.get('/requests/:id', d.anyone, async (c) => {
    const wait = intParam(c, 'wait', 0, 0, 60)
    return c.json(await d.views.waitForChange(c.req.param('id'), wait, c.get('actor')))
  })

  app.post('/requests/:id/withdraw', d.anyone, limitBody, async (c) => {
    const body = await jsonBody(c, WithdrawBody, false)
    const denied = await d.gateway.withdraw(c.req.param('id'), {actor: c.get('actor'), reason: body.reason})
    return c.json({pending_id: denied.pending_id, state: 'withdrawn', reason: denied.reason})
  })

  app.post('/requests/:id/outcome', d.anyone, limitBody, async (c) => {
    const body = await jsonBody(c, OutcomeBody, true)
    const record = await d.gateway.reportOutcome(c.req.param('id'), body, c.get('actor'))
    return c.json({pending_id: record.pending_id, run_id: record.run_id, state: 'executed'})
  })

  app.post('/approve/:id', d.operator, limitBody, async (c) => {
    const body = await jsonBody(c, ApproveBody, false)
    const wait = c.req.query('wait') !== '0' && c.req.query('wait') !== 'false'
    const edit =
      body.command === undefined && body.cwd === undefined && body.timeout_s === undefined
        ? undefined
        : {command: body.command, cwd: body.cwd, timeout_s: body.timeout_s}
    const result = await d.gateway.approve(c.req.param('id'), {
      actor: c.get('actor'),
      commandSha256: body.command_sha256,
      edit,
      note: body.note,
      wait,
    })
    if ('approved' in result) {
      return c.json({
        pending_id: result.approved.pending_id,
        run_id: result.approved.run_id,
        state: 'approved',
        executor: 'agent',
      })
    }

    if ('started' in result) {
      return c.json({pending_id: result.started.pending_id, run_id: result.started.run_id, state: 'running'}, 202)
    }

    return c.json(result.record)
  })

  app.post('/deny/:id', d.operator, limitBody, async (c) => {
    const body = await jsonBody(c, DenyBody, false)
    return c.json(await d.gateway.deny(c.req.param('id'), {actor: c.get('actor'), reason: body.reason}))
  })

  return app
}
