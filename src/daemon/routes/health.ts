import {Hono} from 'hono'
/**
 * `/status` and `/health` (SPEC §5, §7.1), both answered without a token as in the seed. Without a
 * token `/health` shows the seed's fields, the version, the counts and why it is not healthy — no
 * command and no path; with a token it adds the detail an operator needs. Unhealthy answers 503, so
 * that `curl -f` and load balancers see it.
 */
import {statfs} from 'node:fs/promises'

import type {Gateway} from '../../lib/gateway.js'
import type {TelemetryStatus} from '../../lib/telemetry/index.js'
import type {Tokens} from '../../lib/tokens.js'
import type {Env} from '../auth.js'
import type {EventBuffer} from '../event-stream.js'

import {roleOf, tokenOf} from '../auth.js'

export interface HealthDeps {
  events: EventBuffer
  gateway: Gateway
  /** Free space on the runtime directory's disk below which hub is degraded (bytes). */
  minFreeBytes: number
  runtimeDir: string
  /** The OpenTelemetry export's counts, when the audit is exported. */
  telemetry?: (() => TelemetryStatus) | undefined
  tokens: () => Tokens
  version: string
  /** When a write last failed and when one last succeeded (ISO times). */
  writes: {failedAt?: string | undefined; okAt?: string | undefined}
}

const DISK_CHECK_MS = 5000

export function healthRoutes(d: HealthDeps): Hono<Env> {
  const app = new Hono<Env>()
  let disk: undefined | {at: number; free: number; total: number}
  const diskNow = async (): Promise<undefined | {free: number; total: number}> => {
    if (disk && Date.now() - disk.at < DISK_CHECK_MS) return disk
    try {
      const s = await statfs(d.runtimeDir)
      disk = {at: Date.now(), free: s.bavail * s.bsize, total: s.blocks * s.bsize}
    } catch {
      disk = undefined
    }

    return disk
  }

  app.get('/status', async (c) => {
    const counts = await d.gateway.store.counts()
    return c.json({
      ok: true,
      pending_count: counts.pending,
      denied_count: counts.denied,
      token_required: true,
      version: d.version,
    })
  })

  app.get('/health', async (c) => {
    const [counts, space] = await Promise.all([d.gateway.store.counts(), diskNow()])
    const audit = d.gateway.store.auditStatus()
    const unhealthy: string[] = []
    const degraded: string[] = []
    if (audit.failure?.broken) unhealthy.push('The audit log cannot take writes until the daemon restarts.')
    const failedAt = [audit.failure?.at, d.writes.failedAt]
      .filter((t): t is string => t !== undefined)
      .sort()
      .at(-1)
    // Degraded from a failed write until a write succeeds again, not for a fixed time.
    if (failedAt && (!d.writes.okAt || d.writes.okAt < failedAt)) {
      degraded.push(`A write failed at ${failedAt} and none has succeeded since (disk full or read-only?).`)
    }

    if (space && space.free < d.minFreeBytes) {
      degraded.push(`Only ${Math.floor(space.free / 1_048_576)} MiB free on the runtime directory's disk.`)
    }

    if (d.gateway.sandbox.kind === 'none')
      degraded.push(`Runs are not contained: ${d.gateway.sandbox.reason ?? 'no sandbox'}.`)
    const unrecorded = d.gateway.runs.unrecordedCount
    if (unrecorded > 0) degraded.push(`${unrecorded} finished run(s) could not be recorded yet; retrying.`)
    const status = unhealthy.length > 0 ? 'unhealthy' : degraded.length > 0 ? 'degraded' : 'healthy'
    const mem = process.memoryUsage()
    const body: Record<string, unknown> = {
      status,
      uptime_seconds: Math.round((Date.now() - d.gateway.startedAt.getTime()) / 100) / 10,
      memory_mb: Math.round((mem.rss / 1_048_576) * 10) / 10,
      pending_count: counts.pending,
      runs_count: counts.runs,
      timestamp: new Date().toISOString(),
      version: d.version,
      reasons: [...unhealthy, ...degraded],
    }
    const token = tokenOf(c)
    if (token !== undefined && roleOf(token, d.tokens()) !== undefined) {
      Object.assign(body, {
        denied_count: counts.denied,
        pid: process.pid,
        host: d.gateway.host,
        active_runs: d.gateway.runs.activeCount,
        waiting_runs: d.gateway.runs.waitingCount,
        unrecorded_runs: unrecorded,
        audit_bytes: audit.size,
        audit_seq: audit.seq,
        last_event_at: d.gateway.lastEventTime ?? null,
        event_clients: d.events.clients,
        policy: d.gateway.policy.describe(),
        sandbox: d.gateway.sandbox.kind,
        ...(d.gateway.sandbox.reason ? {sandbox_reason: d.gateway.sandbox.reason} : {}),
        disk_free_bytes: space?.free ?? null,
        disk_total_bytes: space?.total ?? null,
        last_write_failure_at: failedAt ?? null,
        // A collector that is down never changes the status: the local audit is the record.
        ...(d.telemetry ? {telemetry: d.telemetry()} : {}),
      })
    }

    return c.json(body, status === 'unhealthy' ? 503 : 200)
  })
  return app
}
