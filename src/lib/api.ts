/**
 * The HTTP contract of the daemon (SPEC §7.1): one zod schema for each request body and each answer.
 * The daemon validates what it receives with the request schemas (`src/daemon/`), the Node SDK parses
 * what it receives with the answer schemas (`client.ts`), and the domain imports neither: it owns the
 * record shapes (`records.ts`), and each answer schema here is checked against them by the compiler.
 *
 * Answer schemas are loose objects: a newer daemon may add fields, and an older client keeps working.
 */
import {z} from 'zod'

import {ClientKindSchema, RunRecordSchema, VerdictSchema} from './record-schemas.js'
import {type PlanInput, REQUEST_STATES, type RequestStatus} from './records.js'
import {findForbidden, forbiddenMessage} from './text/characters.js'

export const COMMAND_MAX = 10_000
export const CWD_MAX = 500
export const NOTE_MAX = 1000
export const TIMEOUT_MAX_S = 3600
export const SESSION_ID_MAX = 200
/** What an agent may report of the output of a command it ran itself (a bounded excerpt). */
export const EXCERPT_MAX = 4096
export const SHA256_HEX = /^[\da-f]{64}$/

// NUL cannot be passed to a shell (execve would cut the string there) and has no honest use.
const noNul = (s: string): boolean => !s.includes('\u0000')

/** Text that reaches a shell or a path: no character that would make it read differently from how it runs. */
function shellText(field: string, max: number, opts: {min?: number} = {}) {
  let s = z.string({error: `${field} must be a string`})
  if (opts.min) s = s.min(opts.min, `${field} must not be empty`)
  return s.max(max, `${field} is longer than ${max.toLocaleString('en')} characters`).superRefine((value, ctx) => {
    const found = findForbidden(value)
    if (found) ctx.addIssue({code: 'custom', message: forbiddenMessage(field, found)})
  })
}

/** Text that is only shown (notes, reasons): shown with marks, so only NUL is refused. */
function freeText(field: string, max: number) {
  return z
    .string({error: `${field} must be a string`})
    .max(max, `${field} is longer than ${max.toLocaleString('en')} characters`)
    .refine(noNul, `${field} contains a NUL byte`)
}

const timeoutSeconds = z
  .number({error: 'timeout_s must be a number'})
  .int('timeout_s must be a whole number of seconds')
  .min(1, 'timeout_s must be at least 1')
  .max(TIMEOUT_MAX_S, `timeout_s must be at most ${TIMEOUT_MAX_S}`)

// Requests -------------------------------------------------------------------------------------------

/** `POST /plan` (SPEC §6.1). The seed's fields first; the rest are hub's additions. */
export const PlanBody = z.object({
  command: shellText('command', COMMAND_MAX, {min: 1}),
  note: freeText('note', NOTE_MAX).optional(),
  cwd: shellText('cwd', CWD_MAX).optional(),
  timeout_s: timeoutSeconds.optional(),
  /** false: the run gets no network (SPEC §6.5). */
  network: z.boolean({error: 'network must be true or false'}).optional(),
  /** Which integration sent it (default `http`); shown to the operator and written on every audit line. */
  client: ClientKindSchema.optional(),
  /** The agent's own session and tool-call ids, for the audit and for the operator. */
  session_id: shellText('session_id', SESSION_ID_MAX).optional(),
  tool_use_id: shellText('tool_use_id', SESSION_ID_MAX).optional(),
  /**
   * `agent`: hub decides, the agent runs the command itself once allowed (agent hooks) and reports the
   * outcome to `POST /requests/:id/outcome`. Default `hub`: hub runs it.
   */
  executor: z.enum(['hub', 'agent'], {error: 'executor must be "hub" or "agent"'}).optional(),
}) satisfies z.ZodType<PlanInput>
export type {RunSummary} from './record-schemas.js'

/** `POST /approve/:id`: optionally bound to the hash of the command shown, optionally edited first. */
export const ApproveBody = z.object({
  note: freeText('note', NOTE_MAX).optional(),
  /** SHA-256 (hex) of the command as the operator saw it; a mismatch is 409. */
  command_sha256: z
    .string({error: 'command_sha256 must be a string'})
    .regex(SHA256_HEX, 'command_sha256 must be 64 lowercase hex digits')
    .optional(),
  /** An edited command to run instead (evaluated by the policy again; a deny stays a deny). */
  command: shellText('command', COMMAND_MAX, {min: 1}).optional(),
  cwd: shellText('cwd', CWD_MAX).optional(),
  timeout_s: timeoutSeconds.optional(),
})
export type ApproveInput = z.infer<typeof ApproveBody>

export const DenyBody = z.object({reason: freeText('reason', NOTE_MAX).optional()})

/** `POST /requests/:id/withdraw`: the agent takes back its own pending request (MCP cancellation). */
export const WithdrawBody = z.object({reason: freeText('reason', NOTE_MAX).optional()})

/** `POST /requests/:id/outcome`: what an agent that ran an allowed command itself says happened. */
export const OutcomeBody = z.object({
  exit_code: z.number().int().nullable(),
  duration_ms: z.number().nonnegative().optional(),
  stdout_bytes: z.number().int().nonnegative().optional(),
  stderr_bytes: z.number().int().nonnegative().optional(),
  /** The start of the output, for the audit and the operator; never the whole output. */
  excerpt: freeText('excerpt', EXCERPT_MAX).optional(),
  interrupted: z.boolean().optional(),
})
export type OutcomeInput = z.infer<typeof OutcomeBody>

/** `POST /prune`: retention now, over `days` (default: AGENT_HUB_RETENTION_DAYS). */
export const PruneBody = z.object({
  days: z.number({error: 'days must be a number'}).int('days must be whole').min(0).max(36_500).optional(),
})

export const RotateBody = z.object({
  role: z.enum(['agent', 'operator'], {error: 'role must be "agent" or "operator"'}),
})

export {DeniedRequestSchema, PendingRequestSchema, RunRecordSchema, RunSummarySchema} from './record-schemas.js'

// Answers --------------------------------------------------------------------------------------------

export const RequestStatusSchema = z.looseObject({
  pending_id: z.string(),
  state: z.enum(REQUEST_STATES),
  command: z.string(),
  original_command: z.string().optional(),
  edited: z.boolean().optional(),
  run_id: z.string().optional(),
  waiting: z.boolean().optional(),
  exit_code: z.number().nullable().optional(),
  reason: z.string().optional(),
  rule: z.string().nullable().optional(),
  queued_at: z.string().optional(),
  expires_at: z.string().optional(),
  executor: z.enum(['hub', 'agent']).optional(),
}) satisfies z.ZodType<RequestStatus>

export const PlanResponseSchema = z.looseObject({
  pending_id: z.string(),
  queued: z.boolean(),
  command: z.string(),
  decision: z.enum(['allow', 'ask', 'deny']),
  policy: VerdictSchema,
  command_sha256: z.string().optional(),
  expires_at: z.string().optional(),
  /** Present when an operator rule allowed the command and hub already ran it. */
  run_id: z.string().optional(),
  record: RunRecordSchema.optional(),
})
export type PlanResponse = z.infer<typeof PlanResponseSchema>

export const ApproveAcceptedSchema = z.looseObject({
  pending_id: z.string(),
  run_id: z.string().optional(),
  state: z.enum(REQUEST_STATES),
})
export type ApproveAccepted = z.infer<typeof ApproveAcceptedSchema>

export const StatusResponseSchema = z.looseObject({
  ok: z.boolean(),
  pending_count: z.number(),
  denied_count: z.number(),
  token_required: z.boolean(),
  version: z.string(),
})
export type StatusResponse = z.infer<typeof StatusResponseSchema>

export const HealthResponseSchema = z.looseObject({
  status: z.enum(['healthy', 'degraded', 'unhealthy']),
  uptime_seconds: z.number(),
  memory_mb: z.number(),
  pending_count: z.number(),
  runs_count: z.number(),
  timestamp: z.string(),
  /** Why the status is not healthy, one sentence each. */
  reasons: z.array(z.string()).optional(),
})
export type HealthResponse = z.infer<typeof HealthResponseSchema>

export const RotateResponseSchema = z.looseObject({role: z.string(), fingerprint: z.string(), file: z.string()})

export const ErrorBodySchema = z.object({error: z.looseObject({code: z.string(), message: z.string()})})

/** List answers carry the total count in this header, so that paging never hides how many there are. */
export const TOTAL_HEADER = 'x-total-count'

export type {PlanInput} from './records.js'
