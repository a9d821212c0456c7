/**
 * The `/events` stream (SPEC §7.3) as its own sub-app. An agent's stream carries only what is about
 * its own requests; `?output=1` adds live `run_output` events; a client that stops reading is cut
 * off instead of making the daemon hold every event for it; a rotated token ends its streams.
 */
import {Hono, type MiddlewareHandler} from 'hono'
import {streamSSE} from 'hono/streaming'

import type {GatewayEvent} from '../../lib/gateway.js'
import type {Logger} from '../../lib/logger.js'
import type {Actor} from '../../lib/records.js'
import type {Env} from '../auth.js'
import type {EventBuffer} from '../event-stream.js'

import {HubError} from '../../lib/errors.js'

const KEEPALIVE_MS = 15_000
const MAX_QUEUED_EVENTS = 10_000
const MAX_STREAMS_PER_AGENT = 8

/** Whether an event belongs on this actor's stream. */
function forActor(e: GatewayEvent, actor: Actor, output: boolean): boolean {
  if (e.type === 'run_output' && !output) return false
  if (actor.role === 'operator') return true
  return e.data.agent === actor.token
}

export function eventRoutes(d: {anyone: MiddlewareHandler<Env>; events: EventBuffer; log: Logger}): Hono<Env> {
  const app = new Hono<Env>()
  // Open streams per agent token: each holds a socket and a queue, so an agent may not open them
  // without bound. The operator is not limited, like everywhere else.
  const streamsByAgent = new Map<string, number>()

  app.get('/events', d.anyone, (c) => {
    const lastHeader = c.req.header('last-event-id') ?? c.req.query('last_event_id')
    const last = lastHeader !== undefined && /^\d+$/.test(lastHeader) ? Number(lastHeader) : undefined
    const output = c.req.query('output') === '1' || c.req.query('output') === 'true'
    const actor = c.get('actor')
    const open = streamsByAgent.get(actor.token) ?? 0
    if (actor.role === 'agent' && open >= MAX_STREAMS_PER_AGENT) {
      throw new HubError(
        'rate_limited',
        `This agent already has ${MAX_STREAMS_PER_AGENT} event streams open; close one first.`,
        {
          details: {retry_after: 5},
        },
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
      const stop = (): void => {
        closed = true
        wake?.()
      }

      // Subscribe before replaying, so nothing that happens during the replay is lost.
      const unsubscribe = d.events.subscribe((e) => {
        if (!forActor(e, actor, output)) return
        if (queue.length >= MAX_QUEUED_EVENTS) {
          d.log.warn(
            `Closed an event stream that fell ${MAX_QUEUED_EVENTS} events behind; it can reconnect with Last-Event-ID.`,
          )
          stop()
        } else queue.push(e)
        wake?.()
      })
      const unregister = d.events.open({close: stop, token: actor.token})
      stream.onAbort(stop)
      const send = async (e: GatewayEvent): Promise<void> => {
        if (e.id === undefined) {
          await stream.writeSSE({data: JSON.stringify(e.data)})
          return
        }

        if (e.id <= highest) return
        highest = e.id
        await stream.writeSSE({id: String(e.id), data: JSON.stringify(e.data)})
      }

      try {
        await stream.write(': hub events\n\n')
        if (last !== undefined) {
          for await (const e of d.events.since(last)) {
            if (closed) break
            if (forActor(e, actor, output)) await send(e)
          }
        }

        for (;;) {
          // `closed` is set by the stream's abort, shutdown, rotation or a full queue.
          if (closed) break
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
        unsubscribe()
        unregister()
        release()
      }
    })
  })
  return app
}
