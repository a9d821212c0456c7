/**
 * Whether and where the audit is exported to OpenTelemetry (SPEC §7.8), read from the standard
 * `OTEL_*` variables. This file imports no OpenTelemetry package: the daemon reads it at every start,
 * and loads the SDK (export.ts) only when an endpoint is set, so that a daemon without a collector
 * starts as fast as before.
 */
import {z} from 'zod'

import {HubError} from '../errors.js'

type Env = Record<string, string | undefined>

/** Batching, with the standard `OTEL_BLRP_*` names (the 0.223 SDK does not read them itself). */
export interface BatchOptions {
  exportTimeoutMillis: number
  maxExportBatchSize: number
  maxQueueSize: number
  scheduledDelayMillis: number
}

export interface TelemetryConfig {
  batch: BatchOptions
  /** Set when the variables ask for a protocol hub does not send (it sends OTLP/HTTP with JSON). */
  protocolNote?: string
  /** How long the daemon's shutdown waits for the last records to leave. */
  shutdownMs: number
  /** The URL records are posted to (`…/v1/logs`). */
  url: string
  /** The same URL as safe to show: no user, password, query or fragment. */
  urlShown: string
}

const SHUTDOWN_MS = 3000

const HttpUrl = z
  .string()
  .trim()
  .pipe(z.url({protocol: /^https?$/}))

function positiveInt(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim()
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n <= 0) {
    throw new HubError('config_invalid', `${name}=${JSON.stringify(raw)} is not a positive whole number.`, {
      hint: `Set ${name} to a number of ${name.endsWith('SIZE') ? 'records' : 'milliseconds'}, or unset it.`,
    })
  }

  return n
}

function checkedUrl(name: string, raw: string): string {
  const parsed = HttpUrl.safeParse(raw)
  if (!parsed.success) {
    throw new HubError('config_invalid', `${name}=${JSON.stringify(raw)} is not an http:// or https:// URL.`, {
      hint: `Set ${name} to the collector's OTLP/HTTP address, e.g. http://localhost:4318, or unset it.`,
    })
  }

  return parsed.data
}

/** The general endpoint with the logs path appended to its path (not after a query). */
function withLogsPath(url: string): string {
  const u = new URL(url)
  u.pathname = u.pathname.replace(/\/?$/, '/v1/logs')
  return u.toString()
}

/** The URL without what may hold a secret, for /health and the daemon log. */
export function showableUrl(url: string): string {
  const u = new URL(url)
  u.username = ''
  u.password = ''
  u.search = ''
  u.hash = ''
  return u.toString()
}

/**
 * The export settings, or undefined when no endpoint is set (or the SDK is switched off). A value that
 * is set but wrong stops the start with the variable's name, as every other setting does.
 */
export function telemetryConfig(env: Env): TelemetryConfig | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined
  if (env.OTEL_LOGS_EXPORTER?.trim().toLowerCase() === 'none') return undefined
  const logs = env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT?.trim()
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()
  let url: string
  // As the OTLP exporter specification says: the signal's own variable is used as it is, the
  // general one gets the signal's path appended.
  if (logs) url = checkedUrl('OTEL_EXPORTER_OTLP_LOGS_ENDPOINT', logs)
  else if (base) url = withLogsPath(checkedUrl('OTEL_EXPORTER_OTLP_ENDPOINT', base))
  else return undefined

  const protocol = (env.OTEL_EXPORTER_OTLP_LOGS_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL)?.trim()
  const config: TelemetryConfig = {
    url,
    urlShown: showableUrl(url),
    shutdownMs: SHUTDOWN_MS,
    batch: {
      scheduledDelayMillis: positiveInt(env, 'OTEL_BLRP_SCHEDULE_DELAY', 1000),
      exportTimeoutMillis: positiveInt(env, 'OTEL_BLRP_EXPORT_TIMEOUT', 30_000),
      maxQueueSize: positiveInt(env, 'OTEL_BLRP_MAX_QUEUE_SIZE', 2048),
      maxExportBatchSize: positiveInt(env, 'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE', 512),
    },
  }
  if (protocol && protocol !== 'http/json') {
    config.protocolNote =
      `OTEL_EXPORTER_OTLP_PROTOCOL asks for ${protocol}; hub sends OTLP over HTTP as JSON (http/json), ` +
      'which every OpenTelemetry Collector accepts on its OTLP/HTTP port (4318).'
  }

  return config
}
