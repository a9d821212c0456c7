/**
 * `GET /events` (SPEC §7.3): every audit line becomes an event whose `id:` is its `seq`, so a client
 * that reconnects with `Last-Event-ID` is sent what it missed — from memory for recent events, from
 * the audit log beyond that.
 */
import {createReadStream} from 'node:fs'
import {createInterface} from 'node:readline'

import type {AuditEntry} from '../lib/audit-log.js'
import type {Gateway, GatewayEvent} from '../lib/gateway.js'

import {eventTypeOf} from '../lib/event-format.js'

const RING_SIZE = 2048

export function eventFromAudit(entry: AuditEntry): GatewayEvent {
  const {prev: _p, hash: _h, ...data} = entry
  const type = eventTypeOf(entry.event)
  return {id: entry.seq, type, data: {type, ...data}}
}

export class EventBuffer {
  private readonly closers = new Set<() => void>()
  private readonly listeners = new Set<(e: GatewayEvent) => void>()
  private readonly ring: GatewayEvent[] = []

  constructor(
    gateway: Gateway,
    private readonly auditPath: string,
  ) {
    gateway.on('event', (e) => {
      this.ring.push(e)
      if (this.ring.length > RING_SIZE) this.ring.shift()
      for (const l of this.listeners) l(e)
    })
  }

  get clients(): number {
    return this.listeners.size
  }

  /** Ends every open stream (graceful shutdown). */
  closeAll(): void {
    for (const c of this.closers) c()
    this.closers.clear()
  }

  /** Registers a stream to end when the daemon shuts down. */
  onClose(closer: () => void): () => void {
    this.closers.add(closer)
    return () => this.closers.delete(closer)
  }

  /** Events with an id above `after`, oldest first. */
  async *since(after: number): AsyncGenerator<GatewayEvent> {
    const oldest = this.ring[0]
    if (oldest && oldest.id <= after + 1) {
      for (const e of this.ring) if (e.id > after) yield e
      return
    }

    const input = createReadStream(this.auditPath, {encoding: 'utf8'})
    const lines = createInterface({input, crlfDelay: Infinity})
    const lastInRing = this.ring.at(-1)?.id ?? Number.POSITIVE_INFINITY
    // Closing readline does not close its stream: without this, every client that leaves during a
    // replay would keep a descriptor of audit.log open.
    try {
      yield* this.replay(lines, after, lastInRing)
    } finally {
      lines.close()
      input.destroy()
    }
  }

  subscribe(listener: (e: GatewayEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private async *replay(lines: AsyncIterable<string>, after: number, lastInRing: number): AsyncGenerator<GatewayEvent> {
    for await (const line of lines) {
      let entry: AuditEntry
      try {
        entry = JSON.parse(line) as AuditEntry
      } catch {
        continue
      }

      if (typeof entry.seq !== 'number' || entry.seq <= after) continue
      if (entry.seq > lastInRing) break
      yield eventFromAudit(entry)
    }
  }
}
