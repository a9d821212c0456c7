/**
 * The shapes of hub's records as zod schemas (SPEC §3.2–§3.4), checked against the record types of
 * `records.ts` by the compiler. The daemon parses what it reads from disk with them (JSON read back
 * is never trusted by a type cast), and `api.ts` reuses them for the HTTP answers.
 *
 * Objects are loose: a newer writer may add fields, and an older reader keeps working.
 */
import {z} from 'zod'

import {
  type Actor,
  type ClaimedRequest,
  CLIENT_KINDS,
  type DeniedRequest,
  type PendingRequest,
  type RunRecord,
} from './records.js'

export const ClientKindSchema = z.enum(CLIENT_KINDS, {error: `client must be one of ${CLIENT_KINDS.join(', ')}`})

export const ActorSchema = z.looseObject({
  role: z.enum(['agent', 'operator']),
  token: z.string(),
}) satisfies z.ZodType<Actor>

export const VerdictSchema = z.looseObject({
  decision: z.enum(['allow', 'ask', 'deny']),
  rule: z.string().nullable(),
  reason: z.string(),
})

export const StoredVerdictSchema = VerdictSchema.extend({
  commands: z.array(
    z.looseObject({
      args: z.array(z.string()),
      program: z.string().nullable(),
      text: z.string(),
      via: z.array(z.string()),
    }),
  ),
  evaluated_at: z.string(),
  matches: z.array(
    z.looseObject({decision: z.enum(['allow', 'ask', 'deny']), pack: z.string(), reason: z.string(), rule: z.string()}),
  ),
  unanalysed: z.array(z.string()).optional(),
})

export const PendingRequestSchema = z.looseObject({
  pending_id: z.string(),
  command: z.string(),
  note: z.string(),
  cwd: z.string(),
  timeout_s: z.number(),
  ts: z.number(),
  queued_at: z.string(),
  expires_at: z.string(),
  actor: ActorSchema,
  policy: StoredVerdictSchema,
  command_sha256: z.string().optional(),
  network: z.boolean().optional(),
  client: ClientKindSchema.optional(),
  session_id: z.string().optional(),
  tool_use_id: z.string().optional(),
  executor: z.enum(['hub', 'agent']).optional(),
  host: z.string().optional(),
}) satisfies z.ZodType<PendingRequest>

export const ClaimedRequestSchema = PendingRequestSchema.extend({
  approve_note: z.string(),
  approved_at: z.string(),
  approved_by: ActorSchema,
  run_id: z.string(),
  state: z.enum(['approved', 'executed', 'finished', 'interrupted', 'running']),
  original_command: z.string().optional(),
}) satisfies z.ZodType<ClaimedRequest>

export const DeniedRequestSchema = z.looseObject({
  command: z.string(),
  note: z.string(),
  pending_id: z.string(),
  ts: z.number(),
  denied_ts: z.number(),
  denied_at: z.string(),
  reason: z.string(),
  by: z.enum(['expired', 'operator', 'policy', 'withdrawn']),
  cwd: z.string(),
  timeout_s: z.number(),
  actor: ActorSchema,
}) satisfies z.ZodType<DeniedRequest>

export const runFields = {
  run_id: z.string(),
  cwd: z.string(),
  command: z.string(),
  exit_code: z.number().nullable(),
  ts: z.number(),
  duration_ms: z.number(),
  pending_id: z.string().nullable(),
  note: z.string(),
  approved_by: ActorSchema.nullable(),
  timed_out: z.boolean(),
  interrupted: z.boolean(),
  stdout_truncated: z.boolean(),
  stderr_truncated: z.boolean(),
  stdout_bytes: z.number(),
  stderr_bytes: z.number(),
  peak_rss_mb: z.number().nullable(),
  cpu_ms: z.number().nullable(),
  policy: VerdictSchema,
  started_at: z.string(),
  finished_at: z.string(),
  sandbox: z.enum(['bwrap', 'none']).optional(),
  network: z.boolean().optional(),
  requested_by: ActorSchema.optional(),
  client: ClientKindSchema.optional(),
  session_id: z.string().optional(),
  executor: z.string().optional(),
  original_command: z.string().optional(),
  record_error: z.string().optional(),
}

export const RunRecordSchema = z.looseObject({
  ...runFields,
  stdout: z.string(),
  stderr: z.string(),
}) satisfies z.ZodType<RunRecord>

/** What list answers carry for a run: the record without its output (`GET /runs/:id` has it all). */
export const RunSummarySchema = z.looseObject(runFields)
export type RunSummary = Omit<RunRecord, 'stderr' | 'stdout'>
