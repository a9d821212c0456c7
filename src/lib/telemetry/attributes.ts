/**
 * What one audit line becomes as an OpenTelemetry log record: a fixed list of `hub.*` attribute names
 * (docs/otel.md), stable across releases so that dashboards and alerts keep working.
 *
 * Only listed fields leave the machine. A field added to the audit later is not exported until it is
 * listed here, so that nothing new — a token, an output — can leak by default. Everything an agent
 * can write (command, note, reason, cwd …) is cut to a bounded length and shown truthfully (controls,
 * invisible and bidi characters as `⟨U+…⟩`), so that a log viewer can neither be driven nor fooled.
 * `command_full`, `original`, output excerpts, hashes of the chain and token fingerprints of rotations
 * are never exported.
 */
import type {AuditEntry} from '../audit/entry.js'

import {escapeControl} from '../terminal-escape.js'

/** Longest text attribute, before marks are added: the audit's own cut for `command`. */
export const TEXT_MAX = 200
/** Identifiers (ids, names, fingerprints) are short; a longer value is cut just the same. */
const ID_MAX = 64

type Kind = 'bool' | 'fingerprint' | 'id' | 'int' | 'number' | 'text'

/** Audit field → attribute name and kind. The names are a contract: add, never rename. */
export const EXPORTED_FIELDS: Readonly<Record<string, readonly [string, Kind]>> = {
  event: ['hub.event', 'id'],
  seq: ['hub.seq', 'int'],
  pending_id: ['hub.pending_id', 'id'],
  run_id: ['hub.run_id', 'id'],
  decision: ['hub.decision', 'id'],
  rule: ['hub.rule', 'text'],
  client: ['hub.client', 'id'],
  host: ['hub.host', 'text'],
  agent: ['hub.agent', 'fingerprint'],
  session_id: ['hub.session_id', 'text'],
  tool_use_id: ['hub.tool_use_id', 'text'],
  executor: ['hub.executor', 'id'],
  by: ['hub.by', 'id'],
  at: ['hub.at', 'id'],
  exit_code: ['hub.exit_code', 'int'],
  duration_ms: ['hub.duration_ms', 'number'],
  timed_out: ['hub.timed_out', 'bool'],
  recorded_late: ['hub.recorded_late', 'bool'],
  network: ['hub.network', 'bool'],
  timeout_s: ['hub.timeout_s', 'int'],
  expires_at: ['hub.expires_at', 'id'],
  stdout_bytes: ['hub.stdout_bytes', 'int'],
  stderr_bytes: ['hub.stderr_bytes', 'int'],
  command: ['hub.command', 'text'],
  command_sha256: ['hub.command_sha256', 'id'],
  cwd: ['hub.cwd', 'text'],
  note: ['hub.note', 'text'],
  reason: ['hub.reason', 'text'],
  role: ['hub.role', 'id'],
  kind: ['hub.kind', 'id'],
  count: ['hub.count', 'int'],
}

export type AttributeValue = boolean | number | string
export type Attributes = Record<string, AttributeValue>

/** Severity by event: refusals and interruptions stand out; everything else is information. */
const WARN_EVENTS = new Set(['approval_refused', 'command_blocked', 'run_interrupted'])

export interface RecordShape {
  attributes: Attributes
  body: string
  severity: 'INFO' | 'WARN'
  /** When the line was written (the audit's `ts`), or undefined when it does not parse. */
  timestamp: Date | undefined
}

function bounded(text: string, max: number): {cut: boolean; value: string} {
  // Cut by code point, so that a surrogate pair is never split into a lone half.
  const points = [...text]
  const cut = points.length > max
  return {cut, value: escapeControl(cut ? points.slice(0, max).join('') : text)}
}

/** A token's fingerprint (an 8-hex-digit SHA-256 prefix): anything else may be a token, so it stays home. */
function isFingerprint(value: unknown): value is string {
  return typeof value === 'string' && /^[\da-f]{8}$/.test(value)
}

function convert(value: unknown, kind: Kind): AttributeValue | undefined {
  switch (kind) {
    case 'bool': {
      return typeof value === 'boolean' ? value : undefined
    }

    case 'fingerprint': {
      return isFingerprint(value) ? value : undefined
    }

    case 'int': {
      return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined
    }

    case 'number': {
      return typeof value === 'number' && Number.isFinite(value) ? value : undefined
    }

    default: {
      if (typeof value !== 'string' && typeof value !== 'number') return undefined
      return bounded(String(value), kind === 'id' ? ID_MAX : TEXT_MAX).value
    }
  }
}

/** The actor as role and fingerprint (an 8-hex-digit SHA-256 prefix, never the token itself). */
function actorAttributes(actor: unknown, out: Attributes): void {
  if (typeof actor !== 'object' || actor === null) return
  const {role, token} = actor as {role?: unknown; token?: unknown}
  if (typeof role === 'string') out['hub.actor.role'] = bounded(role, ID_MAX).value
  if (isFingerprint(token)) out['hub.actor.fingerprint'] = token
}

/**
 * The record for one sealed audit line. `host` is the daemon's host, used when the line does not
 * name one (lines from a shared store name the host that received the request).
 */
export function recordFor(entry: AuditEntry, host: string): RecordShape {
  const attributes: Attributes = {}
  for (const [field, [name, kind]] of Object.entries(EXPORTED_FIELDS)) {
    const value = convert(entry[field], kind)
    if (value !== undefined) attributes[name] = value
  }

  if (attributes['hub.host'] === undefined) attributes['hub.host'] = bounded(host, TEXT_MAX).value
  if (typeof entry.command === 'string' && ([...entry.command].length > TEXT_MAX || 'command_full' in entry))
    attributes['hub.command_truncated'] = true
  actorAttributes(entry.actor, attributes)
  const at = typeof entry.ts === 'string' ? new Date(entry.ts) : undefined
  return {
    attributes,
    body: String(attributes['hub.event'] ?? 'unknown'),
    severity: WARN_EVENTS.has(entry.event) ? 'WARN' : 'INFO',
    timestamp: at && Number.isFinite(at.getTime()) ? at : undefined,
  }
}
