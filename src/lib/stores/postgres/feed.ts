/**
 * Audit lines as they become durable, from every daemon on the database, in seq order: what the
 * daemon's `/events`, its waiting requests and its host runner hear.
 *
 * LISTEN/NOTIFY only says "the chain reached seq N"; the lines themselves are read from the table.
 * A notification can be missed (a dropped connection, a restart of the listener), so a slow poll of
 * the chain's end catches up too: the table is the record, a notification is only a hint.
 */
import pg from 'pg'

import type {AuditEntry} from '../../audit/entry.js'
import type {Logger} from '../../logger.js'

import {NOTIFY_CHANNEL} from './schema.js'

const POLL_MS = 1000
const PAGE = 1000

export class EntryFeed {
  private chain: Promise<void> = Promise.resolve()
  private client: pg.Client | undefined
  private closed = false
  private readonly listeners = new Set<(entry: AuditEntry) => void>()
  private poller: NodeJS.Timeout | undefined
  private reconnect: NodeJS.Timeout | undefined

  constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
    /** The last seq delivered (lines before the daemon started are replayed by `auditSince`, not here). */
    private delivered: number,
    private readonly log: Logger,
  ) {}

  get lastSeq(): number {
    return this.delivered
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.poller) clearInterval(this.poller)
    if (this.reconnect) clearTimeout(this.reconnect)
    await this.chain
    await this.client?.end().catch(() => {})
  }

  /** Lines this daemon just committed: delivered at once when nothing came between. */
  committed(entries: AuditEntry[]): void {
    if (entries.length === 0) return
    this.enqueue(() => this.catchUp(entries.at(-1)!.seq, entries))
  }

  /** The chain reached `seq` somewhere. */
  hint(seq: number): void {
    if (seq > this.delivered) this.enqueue(() => this.catchUp(seq))
  }

  onEntry(listener: (entry: AuditEntry) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  async start(): Promise<void> {
    await this.listen()
    this.poller = setInterval(() => {
      this.pool
        .query<{seq: null | string}>('SELECT max(seq) AS seq FROM hub_audit')
        .then((r) => this.hint(Number(r.rows[0]?.seq ?? 0)))
        .catch(() => {})
    }, POLL_MS)
    this.poller.unref()
  }

  private async catchUp(upTo: number, known?: AuditEntry[]): Promise<void> {
    if (upTo <= this.delivered) return
    if (known && known[0]!.seq === this.delivered + 1) {
      this.emit(known)
      return
    }

    while (this.delivered < upTo) {
      const {rows} = await this.pool.query<{line: string}>(
        'SELECT line FROM hub_audit WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3',
        [this.delivered, upTo, PAGE],
      )
      if (rows.length === 0) return
      this.emit(rows.map((r) => JSON.parse(r.line) as AuditEntry))
    }
  }

  private emit(entries: AuditEntry[]): void {
    for (const entry of entries) {
      if (entry.seq <= this.delivered) continue
      this.delivered = entry.seq
      for (const listener of this.listeners) {
        try {
          listener(entry)
        } catch (error) {
          this.log.error(`An audit listener failed: ${(error as Error).message}`)
        }
      }
    }
  }

  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((error: Error) => this.log.warn(`Audit catch-up failed: ${error.message}`))
  }

  private async listen(): Promise<void> {
    if (this.closed) return
    const client = new pg.Client({connectionString: this.url})
    client.on('notification', (msg) => {
      const seq = Number(msg.payload)
      if (Number.isSafeInteger(seq)) this.hint(seq)
    })
    client.on('error', (error) => {
      this.log.warn(`Lost the PostgreSQL notification connection (${error.message}); polling until it is back.`)
      client.end().catch(() => {})
      if (this.client === client) this.client = undefined
      this.scheduleReconnect()
    })
    try {
      await client.connect()
      await client.query(`LISTEN ${NOTIFY_CHANNEL}`)
      this.client = client
    } catch (error) {
      this.log.warn(`Could not LISTEN on PostgreSQL (${(error as Error).message}); polling instead.`)
      await client.end().catch(() => {})
      this.scheduleReconnect()
    }
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnect) return
    this.reconnect = setTimeout(() => {
      this.reconnect = undefined
      void this.listen()
    }, 2000)
    this.reconnect.unref()
  }
}
