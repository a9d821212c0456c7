/**
 * What one audit line is (SPEC §3.1): the seed's two events with exactly their fields, hub's other
 * events, and the fields every line may carry. Shared by the writer and every reader.
 */
import {decode} from './reader.js'

export const AUDIT_EVENTS = [
  'command_queued',
  'command_approved',
  'command_denied',
  'command_blocked',
  'command_executed',
  'command_expired',
  'run_started',
  'run_interrupted',
  'token_rotated',
  'command_edited',
  'command_withdrawn',
  'command_executed_by_agent',
  'approval_refused',
  'retention_pruned',
] as const
export type AuditEventName = (typeof AUDIT_EVENTS)[number]

/** Where a request came from (SPEC §7.6): the `client` field lines carry. */
export const AUDIT_CLIENTS = ['claude-code', 'codex', 'cursor', 'gemini', 'mcp', 'http'] as const

/** The seed cuts `command` to 200 characters in the audit log; `command_full` and the run record keep it whole. */
export const AUDIT_COMMAND_MAX = 200

export interface AuditFields {
  [field: string]: unknown
  event: AuditEventName
}

/** A line as hub writes it: the fields, then `ts`, `seq`, `prev`, `key_id` (keyed lines) and `hash` last. */
export interface AuditEntry extends AuditFields {
  hash: string
  key_id?: string
  prev: string
  seq: number
  ts: string
}

/** A parsed line as read: hub's lines have `seq`/`prev`/`hash`/`ts`; the original tool's have fewer fields. */
export interface AuditLine {
  [field: string]: unknown
  event: string
}

export function cutCommand(command: string): string {
  return command.length > AUDIT_COMMAND_MAX ? command.slice(0, AUDIT_COMMAND_MAX) : command
}

/** `ts` in the audit log: ISO 8601, UTC, with a `Z` (SPEC §3). */
export function auditTimestamp(at: Date = new Date()): string {
  return at.toISOString()
}

/** A line's object, or undefined when it is not an audit entry (not JSON, not an object, no string `event`). */
export function parseEntry(buf: Buffer, start: number, end: number): AuditLine | undefined {
  let value: unknown
  try {
    value = JSON.parse(decode(buf, start, end))
  } catch {
    return undefined
  }

  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  return typeof (value as {event?: unknown}).event === 'string' ? (value as AuditLine) : undefined
}
