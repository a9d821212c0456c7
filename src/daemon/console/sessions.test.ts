import {describe, expect, it} from 'vitest'

import {ConsoleSessions, LOGIN_CODE_TTL_MS, SESSION_IDLE_MS, SESSION_TTL_MS} from './sessions.js'

function clocked(operator = 'op-1') {
  const t = {now: 1_000_000, operator}
  const s = new ConsoleSessions({now: () => t.now, operatorFingerprint: () => t.operator})
  return {t, s}
}

describe('console sessions', () => {
  it('a code works once, within its time', () => {
    const {t, s} = clocked()
    const {code} = s.issueCode()
    expect(s.redeem(code, 'ua')).toBeDefined()
    expect(s.redeem(code, 'ua')).toBeUndefined()
    const late = s.issueCode().code
    t.now += LOGIN_CODE_TTL_MS
    expect(s.redeem(late, 'ua')).toBeUndefined()
    const justInTime = s.issueCode().code
    t.now += LOGIN_CODE_TTL_MS - 1
    expect(s.redeem(justInTime, 'ua')).toBeDefined()
  })

  it('refuses codes that are not strings or are unknown', () => {
    const {s} = clocked()
    s.issueCode()
    for (const bad of [undefined, null, 42, '', 'x'.repeat(101), 'not-a-code'])
      expect(s.redeem(bad, 'ua')).toBeUndefined()
  })

  it('keeps only digests: no code, cookie or CSRF token is listed', () => {
    const {s} = clocked()
    const {code} = s.issueCode()
    const r = s.redeem(code, 'Mozilla')!
    const listed = JSON.stringify(s.list())
    for (const secret of [code, r.cookie, r.csrf]) expect(listed).not.toContain(secret)
    expect(s.list()[0]).toMatchObject({id: r.info.id, user_agent: 'Mozilla', operator: 'op-1'})
  })

  it('a session ends when unused for the idle time, and after its lifetime however busy', () => {
    const {t, s} = clocked()
    const idle = s.redeem(s.issueCode().code, '')!
    t.now += SESSION_IDLE_MS - 1
    expect(s.authenticate(idle.cookie)).toBeDefined()
    t.now += SESSION_IDLE_MS
    expect(s.authenticate(idle.cookie)).toBeUndefined()

    const busy = s.redeem(s.issueCode().code, '')!
    const end = t.now + SESSION_TTL_MS
    while (t.now + SESSION_IDLE_MS / 2 < end) {
      t.now += SESSION_IDLE_MS / 2
      expect(s.authenticate(busy.cookie)).toBeDefined()
    }

    t.now = end
    expect(s.authenticate(busy.cookie)).toBeUndefined()
  })

  it('rotating the operator token ends sessions and unused codes issued under the old one', () => {
    const {t, s} = clocked()
    const live = s.redeem(s.issueCode().code, '')!
    const unused = s.issueCode().code
    t.operator = 'op-2'
    expect(s.authenticate(live.cookie)).toBeUndefined()
    expect(s.redeem(unused, '')).toBeUndefined()
    expect(s.list()).toEqual([])
  })

  it('revokes one session by id, or all; reports ends', () => {
    const {s} = clocked()
    const ends: string[] = []
    s.onChange = (c) => {
      if (c.kind === 'ended') ends.push(`${c.info.id}:${c.why}`)
    }

    const a = s.redeem(s.issueCode().code, '')!
    const b = s.redeem(s.issueCode().code, '')!
    expect(s.revoke('000000000000')).toBe(false)
    expect(s.revoke(a.info.id)).toBe(true)
    expect(s.authenticate(a.cookie)).toBeUndefined()
    expect(s.authenticate(b.cookie)).toBeDefined()
    expect(s.revokeAll()).toBe(1)
    expect(s.authenticate(b.cookie)).toBeUndefined()
    expect(ends).toEqual([`${a.info.id}:revoked`, `${b.info.id}:revoked`])
  })

  it('checks the CSRF token in constant time and never accepts an empty one', () => {
    const {s} = clocked()
    const r = s.redeem(s.issueCode().code, '')!
    const session = s.authenticate(r.cookie)!
    expect(s.csrfMatches(session, r.csrf)).toBe(true)
    expect(s.csrfMatches(session, undefined)).toBe(false)
    expect(s.csrfMatches(session, '')).toBe(false)
    expect(s.csrfMatches(session, r.csrf.slice(1))).toBe(false)
  })
})
