/**
 * Containment when things go wrong, against the real daemon process: a daemon that dies of a fatal
 * error still stops every run it started, and a daemon without a usable bwrap says so loudly (or, in
 * strict mode, refuses to start).
 */
import {execFileSync} from 'node:child_process'
import {chmod, mkdtemp, rm, symlink} from 'node:fs/promises'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {approved, eventually, linux, marker, newRoot, sleepers, startDaemon} from './containment-helpers.js'

// Each case starts daemons; on a saturated machine a start alone can take tens of seconds.
vi.setConfig({testTimeout: 240_000, hookTimeout: 240_000})

describe.runIf(linux)('a daemon that dies of a fatal error stops every run it started', () => {
  for (const [sandbox, hook] of [
    ['bwrap', 'exception'],
    ['none', 'exception'],
    ['none', 'rejection'],
  ] as const) {
    it(`${sandbox}, uncaught ${hook}`, async () => {
      const root = await newRoot()
      const d = await startDaemon(root, {AGENT_HUB_SANDBOX: sandbox, AGENT_HUB_TEST_FATAL: hook})
      try {
        const m = marker()
        // Uncontained, a process that leaves the group (setsid) is out of reach: the group is what is stopped.
        const detached = sandbox === 'bwrap' ? `(setsid sleep ${m} &); ` : ''
        const planned = await d.agent.plan({command: `${detached}sleep ${m} & sleep ${m}`})
        await d.operator.approveNoWait(planned.pending_id!)
        const expected = sandbox === 'bwrap' ? 3 : 2
        expect(await eventually(() => sleepers(m) === expected)).toBe(true)
        process.kill(d.pid, 'SIGUSR2')
        const {code} = await d.exited
        expect(code).toBe(1)
        expect(d.output()).toMatch(/Fatal (uncaughtException|unhandledRejection)/)
        expect(await eventually(() => sleepers(m) === 0, 5000)).toBe(true)
      } finally {
        await d.stop()
        await rm(root, {recursive: true, force: true})
      }
    })
  }

  it('ignores SIGUSR2 unless the test hook was armed at start', async () => {
    const root = await newRoot()
    const d = await startDaemon(root)
    try {
      expect(d.output()).not.toContain('Test hook armed')
      // Unarmed, Node's default for SIGUSR2 applies: the process is terminated by the signal, not by a
      // thrown error, so nothing an agent sends can reach the hook.
      process.kill(d.pid, 'SIGUSR2')
      const {signal} = await d.exited
      expect(signal).toBe('SIGUSR2')
      expect(d.output()).not.toMatch(/Fatal/)
    } finally {
      await d.stop()
      await rm(root, {recursive: true, force: true})
    }
  })
})

describe.runIf(linux)('without a usable bwrap', () => {
  let bin: string
  beforeAll(async () => {
    // A PATH with a shell and nothing else: no bwrap.
    bin = await mkdtemp('/var/tmp/hub-nobwrap-')
    await symlink(execFileSync('bash', ['-c', 'command -v bash']).toString().trim(), join(bin, 'bash'))
    await chmod(bin, 0o755)
  })
  afterAll(async () => {
    await rm(bin, {recursive: true, force: true})
  })

  it('starts loudly degraded, runs uncontained and records it', async () => {
    const root = await newRoot()
    const d = await startDaemon(root, {PATH: bin})
    try {
      expect(d.output()).toContain('Runs are NOT contained: bwrap not found: apt-get install bubblewrap')
      const health = await d.operator.health()
      expect(health).toMatchObject({sandbox: 'none', sandbox_reason: 'bwrap not found: apt-get install bubblewrap'})
      const r = await approved(d, 'echo uncontained')
      expect(r).toMatchObject({sandbox: 'none', stdout: 'uncontained\n'})
    } finally {
      await d.stop()
      await rm(root, {recursive: true, force: true})
    }
  })

  it('refuses to start in strict mode', async () => {
    const root = await newRoot()
    try {
      await expect(startDaemon(root, {PATH: bin, AGENT_HUB_STRICT_MODE: '1'})).rejects.toThrow(
        /Strict mode refuses to run commands uncontained: bwrap not found/,
      )
    } finally {
      await rm(root, {recursive: true, force: true})
    }
  })

  it('with AGENT_HUB_SANDBOX=none, says so and records it', async () => {
    const root = await newRoot()
    const d = await startDaemon(root, {AGENT_HUB_SANDBOX: 'none'})
    try {
      expect(d.output()).toContain('Runs are NOT contained: AGENT_HUB_SANDBOX=none')
      expect(await d.operator.health()).toMatchObject({sandbox: 'none', sandbox_reason: 'AGENT_HUB_SANDBOX=none'})
      expect(await approved(d, 'true')).toMatchObject({sandbox: 'none', exit_code: 0})
    } finally {
      await d.stop()
      await rm(root, {recursive: true, force: true})
    }
  })
})
