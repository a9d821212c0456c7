/**
 * One error type for the whole domain. A code says what went wrong in a way scripts can match, the
 * message says what a person can do about it, and the code alone decides the HTTP status and the
 * CLI exit code, so the daemon and the CLI never disagree about the meaning of a failure.
 */

export const ERROR_CODES = {
  bad_request: {status: 400, exit: 2},
  invalid_json: {status: 400, exit: 2},
  unauthorized: {status: 401, exit: 6},
  forbidden: {status: 403, exit: 6},
  policy_denied: {status: 403, exit: 8},
  not_found: {status: 404, exit: 4},
  conflict: {status: 409, exit: 5},
  payload_too_large: {status: 413, exit: 2},
  unsupported_media_type: {status: 415, exit: 2},
  validation_failed: {status: 422, exit: 2},
  rate_limited: {status: 429, exit: 9},
  too_many_pending: {status: 429, exit: 9},
  internal: {status: 500, exit: 1},
  storage_unavailable: {status: 503, exit: 1},
  shutting_down: {status: 503, exit: 3},
  daemon_unreachable: {status: 503, exit: 3},
  unhealthy: {status: 503, exit: 7},
  config_invalid: {status: 500, exit: 2},
  policy_invalid: {status: 500, exit: 2},
  usage: {status: 400, exit: 2},
} as const satisfies Record<string, {exit: number; status: number}>

export type ErrorCode = keyof typeof ERROR_CODES

/** Documented CLI exit codes (README "Exit codes"). */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  unreachable: 3,
  notFound: 4,
  conflict: 5,
  unauthorized: 6,
  unhealthy: 7,
  denied: 8,
  rateLimited: 9,
  /** `hub plan --wait-timeout`: gave up waiting; the request is still there. */
  gaveUp: 10,
} as const

export class HubError extends Error {
  readonly code: ErrorCode
  /** Extra machine-readable detail (the invalid field, the rule that denied …). Never secrets. */
  readonly details: Record<string, unknown> | undefined
  /** A next step for a person, shown by the CLI under the message. */
  readonly hint: string | undefined

  constructor(
    code: ErrorCode,
    message: string,
    opts: {cause?: unknown; details?: Record<string, unknown>; hint?: string} = {},
  ) {
    super(message, opts.cause === undefined ? undefined : {cause: opts.cause})
    this.name = 'HubError'
    this.code = code
    this.details = opts.details
    this.hint = opts.hint
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit
  }

  get status(): number {
    return ERROR_CODES[this.code].status
  }

  toJSON(): {error: Record<string, unknown> & {code: ErrorCode; message: string}} {
    return {error: {code: this.code, message: this.message, ...this.details}}
  }
}

export function isHubError(err: unknown): err is HubError {
  return err instanceof HubError
}

/** Whether a code (from a daemon's JSON error) is one we know, so a client can rebuild the HubError. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code)
}
