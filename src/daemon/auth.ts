/**
 * Who is asking (SPEC §5): the agent or the operator token — in `X-Agent-Token` (the seed's header) or
 * `Authorization: Bearer`, and `?token=` on `/events` for a browser's EventSource — or an operator's
 * console session. The actor is a role and a fingerprint of the token, never the token itself.
 */
import type {Context, MiddlewareHandler} from 'hono'

import type {Actor} from '../lib/records.js'
import type {Role, Tokens} from '../lib/tokens.js'

import {HubError} from '../lib/errors.js'
import {fingerprint, tokensEqual} from '../lib/tokens.js'
import {RateLimiter} from './rate-limit.js'

export type Env = {Variables: {actor: Actor}}

export interface AuthOptions {
  rateLimit: {requests: number; windowSeconds: number}
  /** A console session (cookie + CSRF token), when the request carries no token. */
  session?: ((c: Context) => Actor | undefined) | undefined
  /** Read on every request, so that a rotated token is refused at once. */
  tokens: () => Tokens
}

/** The token a request carries, if any. */
export function tokenOf(c: Context): string | undefined {
  const header = c.req.header('x-agent-token') ?? c.req.header('authorization')?.replace(/^Bearer\s+/i, '')
  return header ?? (c.req.path === '/events' ? c.req.query('token') : undefined)
}

/** The role a token has, or undefined. */
export function roleOf(token: string, tokens: Tokens): Role | undefined {
  if (tokensEqual(token, tokens.operator)) return 'operator'
  if (tokensEqual(token, tokens.agent)) return 'agent'
  return undefined
}

/** `auth(['operator'])` guards an operator route; `auth(['agent', 'operator'])` any authenticated one. */
export function createAuth(o: AuthOptions): (roles: Role[]) => MiddlewareHandler<Env> {
  const limiter = new RateLimiter(o.rateLimit.requests, o.rateLimit.windowSeconds * 1000)
  return (roles) => async (c, next) => {
    const token = tokenOf(c)
    let actor: Actor | undefined
    if (token === undefined) {
      actor = o.session?.(c)
      if (!actor) {
        throw new HubError('unauthorized', 'A token is required: send it in X-Agent-Token or Authorization: Bearer.')
      }
    } else {
      const role = roleOf(token, o.tokens())
      if (!role) throw new HubError('unauthorized', 'The token is not valid.')
      actor = {role, token: fingerprint(token)}
    }

    if (!roles.includes(actor.role)) {
      throw new HubError('forbidden', 'This action needs the operator token; an agent cannot decide its own requests.')
    }

    // A flooding agent must never lock the operator out, so only agent tokens are limited.
    if (actor.role === 'agent') {
      const wait = limiter.take(actor.token)
      if (wait > 0) {
        throw new HubError('rate_limited', `Too many requests from this agent; try again in ${wait}s.`, {
          details: {retry_after: wait},
        })
      }
    }

    c.set('actor', actor)
    await next()
  }
}
