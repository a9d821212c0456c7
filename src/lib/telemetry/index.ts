/**
 * The daemon's one call for OpenTelemetry: reads the standard variables and, only when an endpoint is
 * set, loads the SDK and starts exporting the audit. Without one, no OpenTelemetry module is loaded.
 */
import type {AuditExport, AuditExportOptions} from './export.js'

import {telemetryConfig} from './config.js'

export type {AuditExport, TelemetryStatus} from './export.js'

export async function startTelemetry(
  env: Record<string, string | undefined>,
  o: Omit<AuditExportOptions, 'config'>,
): Promise<AuditExport | undefined> {
  const config = telemetryConfig(env)
  if (!config) return undefined
  const {startAuditExport} = await import('./export.js')
  return startAuditExport({...o, config})
}
