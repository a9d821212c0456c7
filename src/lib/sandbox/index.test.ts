import {chmod, mkdtemp, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {detectSandbox, sandboxLayoutProblem} from './index.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hub-detect-'))
})
afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('detectSandbox', () => {
  it('reports an explicit AGENT_HUB_SANDBOX=none as such', async () => {
    expect(await detectSandbox({sandbox: 'none'})).toEqual({kind: 'none', reason: 'AGENT_HUB_SANDBOX=none'})
  })

  it('says bwrap is Linux-only elsewhere', async () => {
    const s = await detectSandbox({sandbox: 'bwrap'}, {platform: 'darwin'})
    expect(s.kind).toBe('none')
    expect(s.reason).toMatch(/only on Linux.*darwin/)
  })

  it('says how to install bwrap when PATH has none', async () => {
    const s = await detectSandbox({sandbox: 'bwrap'}, {platform: 'linux', env: {PATH: dir}})
    expect(s).toEqual({kind: 'none', reason: 'bwrap not found: apt-get install bubblewrap'})
  })

  it('passes on what bwrap says when it cannot build a sandbox', async () => {
    await writeFile(
      join(dir, 'bwrap'),
      '#!/bin/sh\necho "bwrap: No permissions to creating new namespace, likely because the kernel does not allow ' +
        'non-privileged user namespaces." >&2\nexit 1\n',
    )
    await chmod(join(dir, 'bwrap'), 0o755)
    const s = await detectSandbox({sandbox: 'bwrap'}, {platform: 'linux', env: {PATH: dir}})
    expect(s.kind).toBe('none')
    expect(s.reason).toMatch(/^cannot create user namespaces: No permissions to creating new namespace/)
  })

  it.runIf(process.platform === 'linux')('finds the real bwrap and proves it with a trial run', async () => {
    const s = await detectSandbox({sandbox: 'bwrap'}, {workspace: dir})
    expect(s.kind).toBe('bwrap')
    expect(s.reason).toBeUndefined()
    expect(s.executable).toMatch(/\/bwrap$/)
    expect(s.version).toMatch(/^\d+\.\d+/)
  })

  it.runIf(process.platform === 'linux')('follows PATH like execvp, through symlinks', async () => {
    const other = await mkdtemp(join(tmpdir(), 'hub-detect-path-'))
    try {
      const real = (await detectSandbox({sandbox: 'bwrap'})).executable!
      await symlink(real, join(other, 'bwrap'))
      const s = await detectSandbox({sandbox: 'bwrap'}, {env: {PATH: `relative/dir:${other}`}, workspace: other})
      expect(s).toMatchObject({kind: 'bwrap', executable: join(other, 'bwrap')})
    } finally {
      await rm(other, {recursive: true, force: true})
    }
  })
})

describe('sandboxLayoutProblem', () => {
  const layout = {workspace: '/srv/hub/ws', runtimeDir: '/srv/hub/runtime', policyFile: '/srv/hub/policy.json'}

  it('accepts separate paths', () => {
    expect(sandboxLayoutProblem({...layout, rw: ['/home/u/.cache'], hide: ['/home/u/.ssh']})).toBeUndefined()
  })

  it('refuses a read-write path that overlaps the runtime directory or holds the policy file', () => {
    expect(sandboxLayoutProblem({...layout, rw: ['/srv/hub/runtime/x'], hide: []})).toMatch(/overlaps the runtime/)
    expect(sandboxLayoutProblem({...layout, rw: ['/srv'], hide: []})).toMatch(/overlaps the runtime/)
    expect(sandboxLayoutProblem({...layout, runtimeDir: '/var/hub', rw: ['/srv/hub'], hide: []})).toMatch(
      /holds the policy file/,
    )
  })

  it('refuses hiding the workspace itself', () => {
    expect(sandboxLayoutProblem({...layout, rw: [], hide: ['/srv/hub/ws']})).toMatch(/workspace/)
  })
})
