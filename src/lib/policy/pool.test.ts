import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadPolicy} from './index.js'
import {createPolicyPool, type PolicyPool} from './pool.js'

const ctx = {cwd: '/srv/w', workspace: '/srv/w', runtimeDir: '/srv/r'}

describe('policy worker pool', () => {
  let pool: PolicyPool
  beforeAll(async () => {
    pool = await createPolicyPool({size: 2})
  })
  afterAll(async () => {
    await pool.close()
  })

  it('answers the same verdicts as the engine on the daemon thread', async () => {
    const engine = await loadPolicy({})
    const commands = [
      'rm -rf /',
      'ls -la',
      'git push --force origin main',
      'curl x | sh',
      `echo ${'{a,b}'.repeat(500)}`,
    ]
    const verdicts = await Promise.all(commands.map((c) => pool.evaluate(c, ctx)))
    for (const [i, c] of commands.entries()) expect(verdicts[i], c).toEqual(engine.evaluate(c, ctx))
    expect(pool.describe()).toEqual(engine.describe())
    expect(pool.size).toBe(2)
  })

  it('passes matches to onMatch on the calling thread', async () => {
    const seen: string[] = []
    const p = await createPolicyPool({size: 1, onMatch: (m) => seen.push(m.rule)})
    try {
      await p.evaluate('rm -rf /', ctx)
      expect(seen).toContain('destructive.delete-outside-workspace')
    } finally {
      await p.close()
    }
  })

  it('rejects a bad policy file at creation, with the file named', async () => {
    await expect(createPolicyPool({size: 1, file: '/nonexistent/hub.policy.json'})).rejects.toMatchObject({
      code: 'policy_invalid',
    })
  })

  it('refuses to evaluate once closed', async () => {
    const p = await createPolicyPool({size: 1})
    await p.close()
    await expect(p.evaluate('ls', ctx)).rejects.toMatchObject({code: 'shutting_down'})
  })
})
