import {chmod, mkdtemp, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {createLogger} from './logger.js'
import {ensureTokens, fingerprint, tokenPath, tokensEqual} from './tokens.js'

let dir: string
const lines: string[] = []
const log = createLogger({sink: (l) => lines.push(l)})
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hub-tokens-'))
  lines.length = 0
})
afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('tokens', () => {
  it('are created on first start with mode 0600, URL-safe, and reused after', async () => {
    const t = await ensureTokens(dir, {}, log)
    expect(t.agent).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(t.operator).not.toBe(t.agent)
    expect((await stat(tokenPath(dir, 'agent'))).mode & 0o777).toBe(0o600)
    expect((await stat(tokenPath(dir, 'operator'))).mode & 0o777).toBe(0o600)
    expect(await ensureTokens(dir, {}, log)).toEqual(t)
    expect(lines.join('\n')).not.toContain(t.agent)
  })

  it('come from the environment when given', async () => {
    const t = await ensureTokens(dir, {agent: 'a'.repeat(32), operator: 'o'.repeat(32)}, log)
    expect(t).toEqual({agent: 'a'.repeat(32), operator: 'o'.repeat(32)})
  })

  it('refuse identical agent and operator tokens', async () => {
    await expect(ensureTokens(dir, {agent: 'x'.repeat(32), operator: 'x'.repeat(32)}, log)).rejects.toThrow(/same/)
  })

  it('repair a token file readable by others, loudly', async () => {
    await writeFile(tokenPath(dir, 'agent'), 'y'.repeat(43))
    await chmod(tokenPath(dir, 'agent'), 0o644)
    await ensureTokens(dir, {}, log)
    expect((await stat(tokenPath(dir, 'agent'))).mode & 0o777).toBe(0o600)
    expect(lines.join('\n')).toMatch(/readable by others/)
  })

  it('compare in constant time and fingerprint without revealing the token', () => {
    expect(tokensEqual('abc', 'abc')).toBe(true)
    expect(tokensEqual('abc', 'abcd')).toBe(false)
    expect(fingerprint('secret-token')).toMatch(/^[0-9a-f]{8}$/)
  })
})
