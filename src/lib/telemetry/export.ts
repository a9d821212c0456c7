/**
 * Every audit line, once it is durable, also goes out as an OTLP log record (SPEC §7.8). Loaded only
 * when an endpoint is set (config.ts), so that the SDK costs nothing otherwise.
 *
 * The local log stays the record: a line is handed to the SDK after it is on disk, from a listener
 * that never throws and never waits, and the SDK batches and sends in the background. A collector
 * that is slow, down or refusing costs at most the batch queue (records beyond it are dropped and
 * counted), never a request, a line, or more than a bounded wait at shutdown.
 */
import {SeverityNumber} from '@opentelemetry/api-logs'
import {type ExportResult, ExportResultCode} from '@opentelemetry/core'
import {OTLPLogExporter} from '@opentelemetry/exporter-logs-otlp-http'
import {detectResources, envDetector, resourceFromAttributes} from '@opentelemetry/resources'
import {
  BatchLogRecordProcessor,
  LoggerProvider,
  type LogRecordExporter,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs'

import type {AuditEntry} from '../audit/entry.js'
import type {Logger} from '../logger.js'
import type {TelemetryConfig} from './config.js'

import {escapeControl} from '../terminal-escape.js'
import {recordFor} from './attributes.js'

/** What `/health` shows of the export (to a caller with a token). */
export interface TelemetryStatus {
  /** Records not handed over because the queue was full (the collector is behind or down). */
  dropped: number
  /** Audit lines handed to the exporter since start. */
  emitted: number
  endpoint: string
  /** Records the collector acknowledged. */
  exported: number
  /** Records the SDK gave up on: the collector was down, refused them, or was too slow. */
  failed: number
  last_error: null | string
  last_error_at: null | string
  last_export_at: null | string
  protocol: 'http/json'
  /** Handed over but neither acknowledged nor given up on yet. */
  queued: number
}

export interface AuditExport {
  /** Sends what is queued, waiting at most the configured bound; later lines are no longer exported. */
  shutdown(): Promise<void>
  status(): TelemetryStatus
}

export interface AuditExportOptions {
  config: TelemetryConfig
  /** The daemon's host name: `hub.host` and the resource's `host.name`. */
  host: string
  log: Logger
  /** Subscribes to durable audit lines (the store's `onEntry`); returns the unsubscribe. */
  subscribe: (listener: (entry: AuditEntry) => void) => () => void
  version: string
}

const SEVERITY = {INFO: SeverityNumber.INFO, WARN: SeverityNumber.WARN} as const
/** A collector's error text can echo anything; the daemon log and /health keep a short line of it. */
const ERROR_MAX = 300

function oneLine(error: Error | undefined): string {
  const text = escapeControl(error?.message ?? 'export failed')
  return text.length > ERROR_MAX ? `${text.slice(0, ERROR_MAX)}…` : text
}

/** Counts what the real exporter reports, and says so in the daemon log when the state changes. */
class CountingExporter implements LogRecordExporter {
  readonly counts = {exported: 0, failed: 0}
  lastError: null | string = null
  lastErrorAt: null | string = null
  lastExportAt: null | string = null
  private failing = false

  constructor(
    private readonly inner: LogRecordExporter,
    private readonly log: Logger,
    private readonly endpoint: string,
  ) {}

  export(logs: ReadableLogRecord[], done: (result: ExportResult) => void): void {
    let settled = false
    const settle = (result: ExportResult): void => {
      if (settled) return
      settled = true
      this.note(logs.length, result)
      done(result)
    }

    try {
      this.inner.export(logs, settle)
    } catch (error) {
      settle({code: ExportResultCode.FAILED, error: error as Error})
    }
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush()
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown()
  }

  private note(n: number, result: ExportResult): void {
    const now = new Date().toISOString()
    if (result.code === ExportResultCode.SUCCESS) {
      this.counts.exported += n
      this.lastExportAt = now
      if (this.failing) this.log.info(`Audit export to ${this.endpoint} works again.`)
      this.failing = false
      return
    }

    this.counts.failed += n
    this.lastError = oneLine(result.error)
    this.lastErrorAt = now
    // Once per outage, not once per batch: a collector that is down must not flood the daemon log.
    if (!this.failing) {
      this.log.warn(
        `Could not export ${n} audit record(s) to ${this.endpoint}: ${this.lastError}. ` +
          'The local audit log is complete; /health counts what did not leave.',
      )
    }

    this.failing = true
  }
}

function race(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms)
    timer.unref()
  })
  return Promise.race([work.then(() => true), timeout]).finally(() => clearTimeout(timer))
}

export function startAuditExport(o: AuditExportOptions): AuditExport {
  const {config, log} = o
  const counting = new CountingExporter(
    // The URL is given whole (config.ts resolved it as the specification says); headers, timeout,
    // compression and certificates come from the standard variables, read by the exporter itself.
    new OTLPLogExporter({url: config.url}),
    log,
    config.urlShown,
  )
  const resource = resourceFromAttributes({
    'service.name': 'hub',
    'service.version': o.version,
    'host.name': o.host,
  }).merge(detectResources({detectors: [envDetector]}))
  const processor = new BatchLogRecordProcessor({exporter: counting, ...config.batch})
  const provider = new LoggerProvider({resource, processors: [processor]})
  const logger = provider.getLogger('hub.audit', o.version)
  let emitted = 0
  let dropped = 0

  const unsubscribe = o.subscribe((entry) => {
    // The audit writer calls this in its flush loop: nothing may escape, and nothing may wait.
    try {
      // Held back here, not in the SDK, so that a full queue is counted rather than dropped unseen.
      const {exported, failed} = counting.counts
      if (emitted - exported - failed >= config.batch.maxQueueSize) {
        dropped++
        return
      }

      const shape = recordFor(entry, o.host)
      logger.emit({
        eventName: `hub.${shape.body}`,
        body: shape.body,
        attributes: shape.attributes,
        severityNumber: SEVERITY[shape.severity],
        severityText: shape.severity,
        ...(shape.timestamp ? {timestamp: shape.timestamp} : {}),
        observedTimestamp: new Date(),
      })
      emitted++
    } catch {
      dropped++
    }
  })
  if (config.protocolNote) log.warn(config.protocolNote)
  log.info(`Exporting the audit to ${config.urlShown} (OTLP/HTTP, JSON).`)

  let stopping: Promise<void> | undefined
  return {
    status() {
      const {exported, failed} = counting.counts
      return {
        endpoint: config.urlShown,
        protocol: 'http/json',
        emitted,
        exported,
        failed,
        dropped,
        queued: Math.max(0, emitted - exported - failed),
        last_error: counting.lastError,
        last_error_at: counting.lastErrorAt,
        last_export_at: counting.lastExportAt,
      }
    },
    shutdown() {
      stopping ??= (async () => {
        unsubscribe()
        const flushed = await race(
          provider.shutdown().catch(() => {}),
          config.shutdownMs,
        )
        const {exported, failed} = counting.counts
        const left = emitted - exported - failed
        if (!flushed || left > 0)
          log.warn(
            `Stopped exporting the audit with ${left} record(s) not sent to ${config.urlShown} ` +
              `(waited ${config.shutdownMs} ms); the local audit log has them all.`,
          )
      })()
      return stopping
    },
  }
}
