/**
 * What the daemon answers about requests and runs (SPEC §7.1): where a request stands, waiting for it
 * to change, and the lists — each seen through the eyes of who asks. An operator sees everything; an
 * agent token sees only what it asked for, and anything else is "not found" (not "forbidden", which
 * would say that it exists).
 */
import type {Gateway} from './gateway.js'
import type {RunSummary} from './record-schemas.js'
import type {Page} from './stores/types.js'

import {HubError} from './errors.js'
import {assertId} from './ids.js'
import {
  type Actor,
  type DeniedRequest,
  FINAL_STATES,
  type PendingRequest,
  type RequestState,
  type RequestStatus,
  type RunRecord,
} from './records.js'

export interface PageOptions {
  limit: number
  offset?: number | undefined
}

const STATE_OF_DENIAL: Record<DeniedRequest['by'], RequestState> = {
  expired: 'expired',
  operator: 'denied',
  policy: 'blocked',
  withdrawn: 'withdrawn',
}

export class RequestViews {
  constructor(private readonly gateway: Gateway) {}

  private get store() {
    return this.gateway.store
  }

  async getPending(id: string, viewer: Actor): Promise<PendingRequest> {
    const req = await this.store.getPending(assertId(id, 'pending_id'))
    if (!req || !this.gateway.visible(req.actor, viewer)) {
      throw new HubError('not_found', `No pending request ${id}.`, {
        hint: 'It may have been decided; see `GET /requests/' + id + '`.',
      })
    }

    return req
  }

  async getRun(runId: string, viewer: Actor): Promise<RunRecord> {
    const rec = await this.store.getRun(assertId(runId, 'run_id'))
    // Records from before `requested_by` are an operator's to read.
    if (!rec || !this.gateway.visible(rec.requested_by ?? {role: 'operator', token: '?'}, viewer)) {
      throw new HubError('not_found', `No run ${runId}.`)
    }

    return rec
  }

  listDenied(opts: PageOptions, viewer: Actor): Promise<Page<DeniedRequest>> {
    return this.store.listDenied({...opts, agent: this.agentOf(viewer)})
  }

  listPending(opts: PageOptions, viewer: Actor): Promise<Page<PendingRequest>> {
    return this.store.listPending({...opts, agent: this.agentOf(viewer)})
  }

  listRuns(opts: PageOptions, viewer: Actor): Promise<Page<RunSummary>> {
    return this.store.listRuns({...opts, agent: this.agentOf(viewer)})
  }

  /** Where a request stands (SPEC §7.1 `/requests/:id`). */
  async requestStatus(id: string, viewer: Actor): Promise<RequestStatus> {
    assertId(id, 'pending_id')
    const notFound = (): never => {
      throw new HubError('not_found', `No request ${id}.`)
    }

    const pending = await this.store.getPending(id)
    if (pending) {
      if (!this.gateway.visible(pending.actor, viewer)) return notFound()
      return {
        pending_id: id,
        state: 'pending',
        command: pending.command,
        queued_at: pending.queued_at,
        expires_at: pending.expires_at,
        executor: pending.executor ?? 'hub',
      }
    }

    const claimed = await this.store.getClaimed(id)
    if (claimed) {
      if (!this.gateway.visible(claimed.actor, viewer)) return notFound()
      const base = {
        pending_id: id,
        command: claimed.command,
        run_id: claimed.run_id,
        executor: claimed.executor ?? 'hub',
        ...(claimed.original_command === undefined ? {} : {edited: true, original_command: claimed.original_command}),
      }
      if (claimed.state === 'approved') return {...base, state: 'approved'}
      if (claimed.state === 'running' || this.gateway.runs.isRunning(claimed.run_id)) {
        return {...base, state: 'running', ...(this.gateway.runs.isWaiting(id) ? {waiting: true} : {})}
      }

      const rec = await this.store.getRun(claimed.run_id)
      const state: RequestState =
        claimed.state === 'executed'
          ? 'executed'
          : claimed.state === 'interrupted' || rec?.interrupted
            ? 'interrupted'
            : 'finished'
      return {...base, state, exit_code: rec?.exit_code ?? null}
    }

    const denied = await this.store.getDenied(id)
    if (!denied || !this.gateway.visible(denied.actor, viewer)) return notFound()
    return {
      pending_id: id,
      state: STATE_OF_DENIAL[denied.by],
      command: denied.command,
      reason: denied.reason,
      rule: denied.policy?.rule ?? null,
    }
  }

  /** Like requestStatus, but waits up to `seconds` for the state to differ from the current one. */
  async waitForChange(id: string, seconds: number, viewer: Actor): Promise<RequestStatus> {
    // Listen before the first read: a change between the read and the wait must not be missed,
    // or a client would sit out the whole long-poll while its result is already there.
    let changed = false
    let wake: (() => void) | undefined
    let timer: NodeJS.Timeout | undefined
    const onChange = (changedId: string): void => {
      if (changedId !== id) return
      changed = true
      wake?.()
    }

    this.gateway.on('change', onChange)
    try {
      const first = await this.requestStatus(id, viewer)
      if (seconds <= 0 || FINAL_STATES.has(first.state)) return first
      if (!changed) {
        await new Promise<void>((resolvePromise) => {
          wake = resolvePromise
          timer = setTimeout(resolvePromise, seconds * 1000)
        })
      }

      return await this.requestStatus(id, viewer)
    } finally {
      this.gateway.off('change', onChange)
      if (timer) clearTimeout(timer)
    }
  }

  private agentOf(viewer: Actor): string | undefined {
    return viewer.role === 'agent' ? viewer.token : undefined
  }
}
