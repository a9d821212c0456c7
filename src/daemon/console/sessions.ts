/**
 * Console sign-in (issue 15): one-time login codes that `hub open` asks for with the operator token,
 * exchanged once, within 60 s, for a browser session.
 *
 * - Codes and session cookies are 32 random bytes; only their SHA-256 is kept, so nothing in memory
 *   or in a listing can be replayed. Each session has a separate short public id for `hub sessions`.
 * - A session is bound to the operator token that issued its code: rotating that token ends every
 *   session opened with it, as it closes every event stream.
 * - A session ends after an absolute lifetime or after a quiet spell, whichever comes first.
 * - The CSRF token is handed to the browser once, in the answer to the exchange, and never written
 *   into a page: a session cookie that leaks to another port of the same host (cookies ignore
 *   ports, and SameSite treats every port of 127.0.0.1 as the same site) lets whoever holds it read
 *   pages but not approve anything.
 * Sessions live in memory: a restart of the daemon signs everyone out.
 */
import {createHash, randomBytes} from 'node:crypto'

import {tokensEqual} from '../../lib/tokens.js'

export const LOGIN_CODE_TTL_MS = 60_000
export const SESSION_TTL_MS = 12 * 3_600_000
export const SESSION_IDLE_MS = 2 * 3_600_000
const MAX_SESSIONS = 32
const MAX_CODES = 16

export interface SessionInfo {
  created_at: string
  expires_at: string
  /** Short public id, for listing and revoking; never the cookie. */
  id: string
  idle_expires_at: string
  last_seen_at: string
  /** Fingerprint of the operator token that issued the login link. */
  operator: string
  user_agent: string
}

export interface Session {
  readonly csrf: string
  readonly info: SessionInfo
}

interface StoredSession {
  createdAt: number
  csrf: string
  expiresAt: number
  id: string
  lastSeen: number
  operator: string
  userAgent: string
}

export interface SessionOptions {
  codeTtlMs?: number
  idleMs?: number
  now?: () => number
  /** Fingerprint of the operator token in force now (read on each check, so rotation takes effect). */
  operatorFingerprint: () => string
  ttlMs?: number
}

export type SessionEnd = 'expired' | 'logout' | 'revoked' | 'token_rotated'

function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url')
}

function secret(): string {
  return randomBytes(32).toString('base64url')
}

const USER_AGENT_MAX = 200

export class ConsoleSessions {
  /** Called when a session starts or ends (the daemon logs it). */
  onChange: ((change: {info: SessionInfo; kind: 'ended' | 'started'; why?: SessionEnd}) => void) | undefined
  private readonly codes = new Map<string, {expiresAt: number; operator: string}>()
  private readonly codeTtlMs: number
  private readonly idleMs: number
  private readonly now: () => number
  private readonly sessions = new Map<string, StoredSession>()
  private readonly ttlMs: number

  constructor(private readonly opts: SessionOptions) {
    this.now = opts.now ?? Date.now
    this.codeTtlMs = opts.codeTtlMs ?? LOGIN_CODE_TTL_MS
    this.ttlMs = opts.ttlMs ?? SESSION_TTL_MS
    this.idleMs = opts.idleMs ?? SESSION_IDLE_MS
  }

  /** The session a cookie belongs to, if it is still valid; refreshes its idle time. */
  authenticate(cookie: string | undefined): Session | undefined {
    if (!cookie || cookie.length > 100) return undefined
    const key = digest(cookie)
    const s = this.sessions.get(key)
    if (!s) return undefined
    const now = this.now()
    const why = this.endReason(s, now)
    if (why) {
      this.end(key, s, why)
      return undefined
    }

    s.lastSeen = now
    return {csrf: s.csrf, info: this.infoOf(s)}
  }

  /** Constant-time check of the CSRF token a state-changing request carries. */
  csrfMatches(session: Session, token: string | undefined): boolean {
    return typeof token === 'string' && token.length > 0 && tokensEqual(token, session.csrf)
  }

  /** A new one-time login code, valid for 60 s. */
  issueCode(): {code: string; expires_at: string} {
    this.sweep()
    if (this.codes.size >= MAX_CODES) {
      // The oldest unused code goes first; only an operator can ask for codes, so this only bounds memory.
      const oldest = [...this.codes].sort((a, b) => a[1].expiresAt - b[1].expiresAt)[0]
      if (oldest) this.codes.delete(oldest[0])
    }

    const code = secret()
    const expiresAt = this.now() + this.codeTtlMs
    this.codes.set(digest(code), {expiresAt, operator: this.opts.operatorFingerprint()})
    return {code, expires_at: new Date(expiresAt).toISOString()}
  }

  /** Sessions in force, newest first. */
  list(): SessionInfo[] {
    this.sweep()
    return [...this.sessions.values()].sort((a, b) => b.createdAt - a.createdAt).map((s) => this.infoOf(s))
  }

  /**
   * Exchanges a code for a session, once. Undefined for a code that is unknown, used, expired or
   * issued under an operator token that has since been rotated: the caller cannot tell which.
   */
  redeem(code: unknown, userAgent: string | undefined): undefined | {cookie: string; csrf: string; info: SessionInfo} {
    if (typeof code !== 'string' || code.length === 0 || code.length > 100) return undefined
    const key = digest(code)
    const entry = this.codes.get(key)
    // Deleted before anything else: a code works once, even for two exchanges racing each other.
    this.codes.delete(key)
    const now = this.now()
    if (!entry || entry.expiresAt <= now || entry.operator !== this.opts.operatorFingerprint()) return undefined
    this.sweep()
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = [...this.sessions].sort((a, b) => a[1].lastSeen - b[1].lastSeen)[0]
      if (oldest) this.end(oldest[0], oldest[1], 'expired')
    }

    const cookie = secret()
    const s: StoredSession = {
      id: randomBytes(6).toString('hex'),
      csrf: secret(),
      createdAt: now,
      lastSeen: now,
      expiresAt: now + this.ttlMs,
      operator: entry.operator,
      userAgent: (userAgent ?? '').slice(0, USER_AGENT_MAX),
    }
    this.sessions.set(digest(cookie), s)
    const info = this.infoOf(s)
    this.onChange?.({kind: 'started', info})
    return {cookie, csrf: s.csrf, info}
  }

  /** Ends one session by its public id (`hub sessions revoke`); false when there is none. */
  revoke(id: string, why: SessionEnd = 'revoked'): boolean {
    for (const [key, s] of this.sessions) {
      if (s.id === id) {
        this.end(key, s, why)
        return true
      }
    }

    return false
  }

  /** Ends every session; returns how many there were. */
  revokeAll(): number {
    const n = this.sessions.size
    for (const [key, s] of this.sessions) this.end(key, s, 'revoked')
    return n
  }

  /** Ends sessions past their time or issued under a rotated operator token, and drops stale codes. */
  sweep(): void {
    const now = this.now()
    for (const [key, c] of this.codes) if (c.expiresAt <= now) this.codes.delete(key)
    for (const [key, s] of this.sessions) {
      const why = this.endReason(s, now)
      if (why) this.end(key, s, why)
    }
  }

  private end(key: string, s: StoredSession, why: SessionEnd): void {
    if (!this.sessions.delete(key)) return
    this.onChange?.({kind: 'ended', info: this.infoOf(s), why})
  }

  private endReason(s: StoredSession, now: number): SessionEnd | undefined {
    if (s.operator !== this.opts.operatorFingerprint()) return 'token_rotated'
    if (now >= s.expiresAt || now >= s.lastSeen + this.idleMs) return 'expired'
    return undefined
  }

  private infoOf(s: StoredSession): SessionInfo {
    return {
      id: s.id,
      created_at: new Date(s.createdAt).toISOString(),
      last_seen_at: new Date(s.lastSeen).toISOString(),
      expires_at: new Date(s.expiresAt).toISOString(),
      idle_expires_at: new Date(Math.min(s.expiresAt, s.lastSeen + this.idleMs)).toISOString(),
      operator: s.operator,
      user_agent: s.userAgent,
    }
  }
}
