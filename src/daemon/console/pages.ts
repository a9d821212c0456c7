/**
 * The console's pages and fragments. Each needs a console session (a token never opens them; without
 * a session a page sends the browser to the sign-in page). Errors become pages, not JSON.
 */
import type {Context, Hono} from 'hono'

import {statfs} from 'node:fs/promises'

import type {Actor, RunRecord} from '../../lib/records.js'

import {parseTimeRange} from '../../lib/audit/time-range.js'
import {HubError, isHubError} from '../../lib/errors.js'
import {isId} from '../../lib/ids.js'
import {AUDIT_EVENT_NAMES, auditPage} from './audit-source.js'
import {type ConsoleContext, type ConsoleEnv, securityHeaders, sendCompressed} from './context.js'
import {type Html, html} from './html.js'
import {auditBody, type AuditForm} from './views/audit.js'
import {type HealthFigures, insightsBody} from './views/insights.js'
import {page, type PageName} from './views/layout.js'
import {decisionDialogs, queueBody} from './views/queue.js'
import {explanation, requestCard, statusPanel} from './views/request.js'
import {runBody, runningBody, type RunRow, runsBody} from './views/run.js'

const RUNS_PAGE = 25
const AUDIT_PAGE = 50
const MAX_PAGE = 10_000

type Rendered = {body: Html; data?: Record<string, number | string>; page: PageName; title: string}

function pageNumber(raw: string | undefined): number {
  if (raw === undefined || !/^\d{1,5}$/.test(raw)) return 0
  return Math.min(Number(raw), MAX_PAGE)
}

/** The queue shows this many waiting requests at most, and says how many more there are. */
const QUEUE_MAX = 200

export function registerPages(app: Hono<ConsoleEnv>, ctx: ConsoleContext): void {
  const {deps} = ctx
  const {store} = deps.gateway
  const operator = (c: Context): Actor => ctx.authenticate(c) ?? {role: 'operator', token: '?'}
  const auditSeq = (): number => store.auditStatus().seq

  /** A page that needs a session; the handler returns what to draw. */
  const pageRoute = (render: (c: Context) => Promise<Rendered>) => async (c: Context) => {
    securityHeaders(c, 'none')
    if (!ctx.session(c)) return c.redirect('/console/login', 303)
    let out: Rendered
    let status = 200
    try {
      out = await render(c)
    } catch (error) {
      if (!isHubError(error)) throw error
      status = error.status
      out = {
        page: 'queue',
        title: 'Not available',
        body: html`<h1>${error.code === 'not_found' ? 'Not found' : 'Cannot show this'}</h1>
          <p class="error">${error.message}</p>
          <p><a href="/">Back to the queue</a></p>`,
      }
    }

    const text = page({
      ...out,
      assets: ctx.assets,
      signedIn: true,
      pending: (await store.counts()).pending,
    })
    return sendCompressed(c, text, {type: 'text/html; charset=utf-8', status})
  }

  app.get(
    '/',
    pageRoute(async () => {
      // The seq first: whatever happens after it reaches the page through /events.
      const seq = auditSeq()
      const pending = await store.listPending({limit: QUEUE_MAX})
      return {page: 'queue', title: 'Queue', body: queueBody(pending.items, Date.now(), pending.total), data: {seq}}
    }),
  )

  app.get('/console', (c) => c.redirect('/', 303))

  app.get(
    '/console/requests/:id',
    pageRoute(async (c) => {
      const id = c.req.param('id')
      if (!isId(id)) throw new HubError('not_found', `No request ${id}.`)
      const seq = auditSeq()
      const pending = await store.getPending(id)
      if (pending) {
        return {
          page: 'request',
          title: `Request ${id}`,
          data: {seq},
          body: html`<h1>Request</h1>
            <ol class="queue" id="queue">
              ${requestCard(pending, {now: Date.now()})}
            </ol>
            ${decisionDialogs()}`,
        }
      }

      const status = await deps.views.requestStatus(id, operator(c))
      return {
        page: 'request',
        title: `Request ${id}`,
        body: html`<h1>Request ${id}</h1>
          ${statusPanel(status)}`,
      }
    }),
  )

  app.get('/console/fragments/requests/:id', async (c) => {
    securityHeaders(c, 'none')
    if (!ctx.session(c)) throw new HubError('unauthorized', 'Sign in to the console first (hub open).')
    const id = c.req.param('id')
    const pending = isId(id) ? await store.getPending(id) : undefined
    if (!pending) throw new HubError('not_found', `No pending request ${id}.`)
    return sendCompressed(c, requestCard(pending, {now: Date.now(), link: true}).toString(), {
      type: 'text/html; charset=utf-8',
    })
  })

  app.get('/console/fragments/requests/:id/explanation', async (c) => {
    securityHeaders(c, 'none')
    if (!ctx.session(c)) throw new HubError('unauthorized', 'Sign in to the console first (hub open).')
    const id = c.req.param('id')
    const pending = isId(id) ? await store.getPending(id) : undefined
    if (!pending) throw new HubError('not_found', `No pending request ${id}.`)
    // The inside of the <details>: the script puts it in place of the summary's placeholder.
    return sendCompressed(c, explanation(pending).toString(), {type: 'text/html; charset=utf-8'})
  })

  app.get(
    '/console/runs',
    pageRoute(async (c) => {
      const n = pageNumber(c.req.query('page'))
      const runs = await store.listRuns({limit: RUNS_PAGE, offset: n * RUNS_PAGE})
      const rows: RunRow[] = runs.items
      return {page: 'runs', title: 'Runs', body: runsBody(rows, n, runs.total > (n + 1) * RUNS_PAGE, runs.total)}
    }),
  )

  app.get(
    '/console/runs/:id',
    pageRoute(async (c): Promise<Rendered> => {
      const id = c.req.param('id')
      if (!isId(id)) throw new HubError('not_found', `No run ${id}.`)
      const seq = auditSeq()
      const record: RunRecord | undefined = await store.getRun(id)
      if (record) {
        const pages = {stdout: pageNumber(c.req.query('stdout')), stderr: pageNumber(c.req.query('stderr'))}
        return {page: 'run', title: `Run ${id}`, body: runBody(record, pages), data: {run: id, state: 'finished'}}
      }

      const tracked = ctx.runs.get(id)
      if (!tracked) throw new HubError('not_found', `No run ${id}.`)
      const claimed = tracked.pendingId ? await store.getClaimed(tracked.pendingId).catch(() => undefined) : undefined
      return {
        page: 'run',
        title: `Run ${id}`,
        body: runningBody(id, tracked.pendingId, claimed?.command ?? tracked.command),
        data: {run: id, state: 'running', seq},
      }
    }),
  )

  app.get(
    '/console/audit',
    pageRoute(async (c) => {
      const q = c.req.queries()
      const one = (name: string): string => (q[name]?.[0] ?? '').slice(0, 500)
      const form: AuditForm = {
        events: (q.event ?? []).filter((e) => AUDIT_EVENT_NAMES.includes(e)),
        since: one('since'),
        until: one('until'),
        grep: one('grep'),
        client: one('client'),
        agent: one('agent'),
      }
      let error: string | undefined
      let grep: RegExp | undefined
      let range: {since?: number | undefined; until?: number | undefined} = {}
      try {
        range = parseTimeRange(form.since || undefined, form.until || undefined)
        if (form.grep) {
          try {
            grep = new RegExp(form.grep)
          } catch (error_) {
            throw new HubError(
              'usage',
              `"${form.grep}" is not a valid regular expression: ${(error_ as Error).message}.`,
            )
          }
        }
      } catch (error_) {
        if (!isHubError(error_)) throw error_
        error = error_.message
      }

      const n = pageNumber(c.req.query('page'))
      const result = error
        ? {rows: [], hasOlder: false, missing: false, skipped: 0}
        : await auditPage(deps.history, {
            events: form.events,
            grep,
            ...range,
            clients: form.client ? [form.client] : [],
            agents: form.agent ? [form.agent] : [],
            page: n,
            pageSize: AUDIT_PAGE,
          })
      const params = new URLSearchParams()
      for (const e of form.events) params.append('event', e)
      for (const k of ['since', 'until', 'grep', 'client', 'agent'] as const) if (form[k]) params.set(k, form[k])
      return {
        page: 'audit',
        title: 'Audit',
        body: auditBody({
          ...result,
          chain: await ctx.chain.get(),
          error,
          events: AUDIT_EVENT_NAMES,
          form,
          page: n,
          query: params.toString(),
        }),
      }
    }),
  )

  app.get(
    '/console/insights',
    pageRoute(async () => {
      const [snapshot, disk, counts] = await Promise.all([
        ctx.insights.snapshot(),
        statfs(deps.runtimeDir).catch(() => undefined),
        store.counts(),
      ])
      const g = deps.gateway
      const health: HealthFigures = {
        sandbox: g.sandbox.kind,
        sandboxReason: g.sandbox.reason,
        diskFree: disk ? disk.bavail * disk.bsize : null,
        diskTotal: disk ? disk.blocks * disk.bsize : null,
        auditBytes: store.auditStatus().size,
        activeRuns: g.runs.activeCount,
        waitingRuns: g.runs.waitingCount,
        runs: counts.runs,
        pending: counts.pending,
        uptimeSeconds: (Date.now() - g.startedAt.getTime()) / 1000,
        memoryMb: Math.round((process.memoryUsage().rss / 1_048_576) * 10) / 10,
        version: deps.version,
      }
      return {page: 'insights', title: 'Insights', body: insightsBody(snapshot, health)}
    }),
  )
}
