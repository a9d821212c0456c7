/**
 * Runs (SPEC §7.1): lists carry summaries without output, so that no list can make the daemon load
 * megabytes per item; `/runs/:id` carries the whole record. An agent sees the runs it asked for.
 */
import {Hono, type MiddlewareHandler} from 'hono'

import type {RequestViews} from '../../lib/request-views.js'
import type {Env} from '../auth.js'

import {listAnswer, pageOf} from './requests.js'

export function runRoutes(d: {anyone: MiddlewareHandler<Env>; views: RequestViews}): Hono<Env> {
  const app = new Hono<Env>()
  app.get('/runs', d.anyone, async (c) => listAnswer(c, await d.views.listRuns(pageOf(c, 50, 500), c.get('actor'))))
  app.get('/runs/:run_id', d.anyone, async (c) => c.json(await d.views.getRun(c.req.param('run_id'), c.get('actor'))))
  return app
}
