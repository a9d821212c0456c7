/**
 * `GET /events` (SPEC §7.3): every audit line becomes an event whose `id:` is its `seq`, so a client
 * that reconnects with `Last-Event-ID` is sent what it missed — from memory for recent events, from
 * the store's audit log beyond that. Live output (`run_output`) has no id: it is never replayed.
 */
import type {AuditEntry} from '../lib/audit/entry.js'
import type {Gateway, GatewayEvent} from '../lib/gateway.js'

import {eventTypeOf} from '../lib/audit/event-format.js'

const RING_SIZE = 2048

export function eventFromAudit(entry: AuditEntry): GatewayEvent {
  const {hash: _h, prev: _p, ...data} = entry
  const type = eventTypeOf(entry.event)
  return {id: entry.seq, type, data: {type, ...data}}
}

/** An open stream, so that shutdown and token rotation can end it. */
interface OpenStream {
  close: () => void
  token: string
}

export class EventBuffer {
  private readonly listeners = new Set<(e: GatewayEvent) => void>()
  private readonly ring: Array<GatewayEvent & {id: number}> = []
  private readonly streams = new Set<OpenStream>()

  constructor(
    gateway: Gateway,
    private readonly replay: (after: number, upTo: number) => AsyncIterable<AuditEntry>,
  ) {
    gateway.on('event', (e) => {
      if (e.id !== undefined) {
        this.ring.push(e as GatewayEvent & {id: number})
        if (this.ring.length > RING_SIZE) this.ring.shift()
      }

      for (const l of this.listeners) l(e)
    })
  }

  get clients(): number {
    return this.streams.size
  }

  /** Ends every open stream (graceful shutdown). */
  closeAll(): void {
    for (const s of this.streams) s.close()
    this.streams.clear()
  }

  /** Ends the streams opened with a token (by fingerprint): a rotated token keeps nothing open. */
  closeToken(token: string): number {
    let n = 0
    for (const s of this.streams) {
      if (s.token !== token) continue
      s.close()
      this.streams.delete(s)
      n++
    }

    return n
  }

  /** Registers an open stream; the returned function unregisters it. */
  open(stream: OpenStream): () => void {
    this.streams.add(stream)
    return () => this.streams.delete(stream)
  }

  /** Events with an id above `after`, oldest first. */
  async *since(after: number): AsyncGenerator<GatewayEvent> {
    const oldest = this.ring[0]
    if (oldest && oldest.id <= after + 1) {
      for (const e of this.ring) if (e.id > after) yield e
      return
    }

    const lastInRing = this.ring.at(-1)?.id ?? Number.POSITIVE_INFINITY
    for await (const entry of this.replay(after, lastInRing)) yield eventFromAudit(entry)
  }

  subscribe(listener: (e: GatewayEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
