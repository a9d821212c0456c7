/**
 * `hub denied` reads `runtime/denied/` itself (no daemon needed, like `hub runs` and `hub audit`):
 * requests the policy refused, an operator denied, that expired or that their agent withdrew, newest
 * first. Files from the original tool hold only the seed's fields; they are shown with what they
 * have, and `--json` prints every file exactly as it is, so no field is ever dropped.
 */
import type {DeniedBy, DeniedRequest} from '../records.js'

import {auditTsMs} from '../audit/time-range.js'
import {idSecond} from '../ids.js'
import {RuntimeStore} from '../store.js'

const BY: ReadonlySet<string> = new Set<DeniedBy>(['expired', 'operator', 'policy', 'withdrawn'])

export interface DeniedQuery {
  /** The client kind (claude-code, mcp …) or the agent token's fingerprint. */
  agent?: string | undefined
  limit: number
  /** Only those denied at or after this time (epoch ms). */
  since?: number | undefined
}

export interface DeniedEntry {
  /** The file as it is on disk. */
  raw: Record<string, unknown>
  /** The same with the fields a display needs filled in (seed files lack some). */
  view: DeniedRequest
}

export interface DeniedPage {
  items: DeniedEntry[]
  /** How many files match in all (those not shown because of --limit included). */
  total: number
  /** Files that could not be read or are not a denied request. */
  unreadable: number
}

const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback)
const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback)

/** An ISO time for a stamp in any form hub or the seed wrote (a seed time without zone is UTC). */
function isoOf(stamp: unknown, fallbackSeconds: number): string {
  const ms = auditTsMs(stamp)
  const at = new Date(Number.isNaN(ms) ? fallbackSeconds * 1000 : ms)
  return Number.isNaN(at.getTime()) ? '' : at.toISOString()
}

/** A denied file as a record to show, or undefined when it is not one (no command). */
export function deniedView(raw: unknown, id: string): DeniedRequest | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined
  const r = raw as Record<string, unknown>
  if (typeof r.command !== 'string') return undefined
  const queued = num(r.ts, idSecond(id) / 1000)
  const deniedTs = num(r.denied_ts, queued)
  const actor = r.actor as undefined | {role?: unknown; token?: unknown}
  const rule = (r.policy as undefined | {rule?: unknown})?.rule
  const view: DeniedRequest = {
    actor: {
      role: actor?.role === 'operator' ? 'operator' : 'agent',
      token: str(actor?.token, '?'),
    },
    by: BY.has(str(r.by)) ? (r.by as DeniedBy) : 'operator',
    command: r.command,
    cwd: str(r.cwd),
    denied_at: isoOf(r.denied_at, deniedTs),
    denied_ts: deniedTs,
    note: str(r.note),
    pending_id: str(r.pending_id, id),
    reason: str(r.reason),
    timeout_s: num(r.timeout_s, 0),
    ts: queued,
  }
  if (typeof r.client === 'string') view.client = r.client as DeniedRequest['client']
  const by = r.denied_by as undefined | {role?: unknown; token?: unknown}
  if (by && typeof by.token === 'string')
    view.denied_by = {role: by.role === 'agent' ? 'agent' : 'operator', token: by.token}
  if (typeof rule === 'string') {
    const {decision} = r.policy as {decision?: unknown}
    view.policy = {
      commands: [],
      decision: decision === 'allow' || decision === 'ask' ? decision : 'deny',
      evaluated_at: '',
      matches: [],
      reason: view.reason,
      rule,
    }
  }

  return view
}

function matches(d: DeniedRequest, q: DeniedQuery): boolean {
  if (q.agent !== undefined && d.client !== q.agent && d.actor.token !== q.agent) return false
  if (q.since !== undefined) {
    const at = auditTsMs(d.denied_at)
    if (Number.isNaN(at) || at < q.since) return false
  }

  return true
}

/** Newest first (by id, which starts with the time it was asked); opens only what it must. */
export async function readDeniedFiles(runtimeDir: string, q: DeniedQuery): Promise<DeniedPage> {
  const store = new RuntimeStore(runtimeDir)
  const ids = await store.listDeniedIds()
  const filtered = q.agent !== undefined || q.since !== undefined
  const items: DeniedEntry[] = []
  let unreadable = 0
  let total = filtered ? 0 : ids.length
  for (const id of ids) {
    // Without a filter, the count is the number of files: only the ones shown are opened.
    if (!filtered && items.length >= q.limit) break
    const raw = await store.readDenied(id).catch(() => undefined)
    const view = deniedView(raw, id)
    if (!view) {
      unreadable++
      if (!filtered) total--
      continue
    }

    if (!matches(view, q)) continue
    if (filtered) total++
    if (items.length < q.limit) items.push({raw: raw as unknown as Record<string, unknown>, view})
  }

  return {items, total, unreadable}
}
