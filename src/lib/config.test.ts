import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {resolveConfig} from './config.js'

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hub-config-'))
})
afterAll(async () => {
  await rm(root, {recursive: true, force: true})
})

describe('resolveConfig', () => {
  it('has the documented defaults under the root', () => {
    const c = resolveConfig({}, {}, root)
    expect(c).toMatchObject({
      root,
      runtimeDir: join(root, 'runtime'),
      workspaceDir: join(root, 'workspace'),
      host: '127.0.0.1',
      port: 8787,
      base: 'http://127.0.0.1:8787',
      strict: false,
      logLevel: 'INFO',
      rateLimitRequests: 100,
      rateLimitWindowSeconds: 60,
      shell: 'bash',
      maxConcurrentRuns: 4,
      pendingTtlSeconds: 86_400,
      maxPendingPerAgent: 100,
      outputLimitBytes: 1_048_576,
      policyFile: undefined,
    })
  })

  it('lets flags beat the environment', () => {
    const c = resolveConfig({AGENT_HUB_PORT: '9000', AGENT_HUB_ROOT: '/elsewhere'}, {port: 9100, root}, root)
    expect(c.port).toBe(9100)
    expect(c.root).toBe(root)
  })

  it('names the variable and the value when a value is bad, never falling back', () => {
    expect(() => resolveConfig({AGENT_HUB_PORT: '70000'}, {}, root)).toThrow(/AGENT_HUB_PORT="70000".*0 to 65535/)
    expect(() => resolveConfig({AGENT_HUB_MAX_CONCURRENT_RUNS: '-1'}, {}, root)).toThrow(
      /AGENT_HUB_MAX_CONCURRENT_RUNS="-1"/,
    )
    expect(() => resolveConfig({AGENT_HUB_PORT: '80abc'}, {}, root)).toThrow(/AGENT_HUB_PORT/)
    expect(() => resolveConfig({AGENT_HUB_STRICT_MODE: 'maybe'}, {}, root)).toThrow(/AGENT_HUB_STRICT_MODE/)
    expect(() => resolveConfig({AGENT_HUB_LOG_LEVEL: 'LOUD'}, {}, root)).toThrow(/AGENT_HUB_LOG_LEVEL/)
    expect(() => resolveConfig({AGENT_HUB_POLICY: 'missing.json'}, {}, root)).toThrow(/AGENT_HUB_POLICY.*no file/)
    expect(() => resolveConfig({}, {port: -5}, root)).toThrow(/--port="-5"/)
    expect(() => resolveConfig({AGENT_HUB_BASE: 'not a url'}, {}, root)).toThrow(/AGENT_HUB_BASE/)
    expect(() => resolveConfig({AGENT_HUB_TOKEN: 'short'}, {}, root)).toThrow(/AGENT_HUB_TOKEN is too short/)
  })

  it('picks up hub.policy.json under the root when present', async () => {
    await writeFile(join(root, 'hub.policy.json'), '{}')
    expect(resolveConfig({}, {}, root).policyFile).toBe(join(root, 'hub.policy.json'))
    await rm(join(root, 'hub.policy.json'))
  })

  it('reads strict mode, shell and pass-through variables', () => {
    const c = resolveConfig(
      {AGENT_HUB_STRICT_MODE: '1', AGENT_HUB_SHELL: 'zsh', AGENT_HUB_PASS_ENV: 'FOO, BAR'},
      {},
      root,
    )
    expect(c.strict).toBe(true)
    expect(c.shell).toBe('zsh')
    expect(c.passEnv).toEqual(['FOO', 'BAR'])
    expect(() => resolveConfig({AGENT_HUB_PASS_ENV: 'A-B'}, {}, root)).toThrow(/AGENT_HUB_PASS_ENV/)
  })
})
