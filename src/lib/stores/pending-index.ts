/**
 * The pending requests of the file store, held in memory from the moment they are queued.
 *
 * The daemon is the only writer of its runtime files, so memory is the truth and the files are its
 * durable copy: counts, the per-agent limit and the expiry sweep read no files, and — what matters
 * for approvals (SPEC §6.1) — the command that runs is the one that was queued, never one re-read
 * from a file that something else could have rewritten since the operator looked.
 */
import type {PendingRequest} from '../records.js'

export class PendingIndex {
  private readonly byId = new Map<string, PendingRequest>()
  /** Waiting requests per agent token fingerprint. */
  private readonly perAgent = new Map<string, number>()
  /** When each agent's recent refusals happened (epoch ms, oldest first). */
  private readonly refusals = new Map<string, number[]>()

  get size(): number {
    return this.byId.size
  }

  add(request: PendingRequest): void {
    if (this.byId.has(request.pending_id)) return
    this.byId.set(request.pending_id, request)
    if (request.actor.role === 'agent') this.bump(request.actor.token, 1)
  }

  /** Ids whose expiry is at or before `now`. */
  due(now: number): string[] {
    const out: string[] = []
    for (const [id, req] of this.byId) if (Date.parse(req.expires_at) <= now) out.push(id)
    return out
  }

  get(id: string): PendingRequest | undefined {
    return this.byId.get(id)
  }

  /** What counts against an agent now: its waiting requests and its refusals within the window. */
  load(agent: string, now: number, windowMs: number): number {
    return (this.perAgent.get(agent) ?? 0) + this.recentRefusals(agent, now, windowMs)
  }

  /** Newest first (ids begin with their UTC time). */
  newestFirst(filter?: (req: PendingRequest) => boolean): PendingRequest[] {
    const all = [...this.byId.values()]
    return (filter ? all.filter((r) => filter(r)) : all).sort((a, b) =>
      a.pending_id < b.pending_id ? 1 : a.pending_id > b.pending_id ? -1 : 0,
    )
  }

  noteRefusal(agent: string, now: number): void {
    const list = this.refusals.get(agent) ?? []
    list.push(now)
    this.refusals.set(agent, list)
  }

  remove(id: string): PendingRequest | undefined {
    const request = this.byId.get(id)
    if (!request) return undefined
    this.byId.delete(id)
    if (request.actor.role === 'agent') this.bump(request.actor.token, -1)
    return request
  }

  private bump(agent: string, delta: number): void {
    const n = (this.perAgent.get(agent) ?? 0) + delta
    if (n <= 0) this.perAgent.delete(agent)
    else this.perAgent.set(agent, n)
  }

  private recentRefusals(agent: string, now: number, windowMs: number): number {
    const list = this.refusals.get(agent)
    if (!list) return 0
    let drop = 0
    while (drop < list.length && list[drop]! <= now - windowMs) drop++
    if (drop > 0) list.splice(0, drop)
    if (list.length === 0) this.refusals.delete(agent)
    return list.length
  }
}
