import {mkdir, mkdtemp, realpath, rm, symlink, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {SandboxPlan} from './index.js'

import {bwrapArgs, mountOps} from './bwrap.js'

// Not under /tmp: the sandbox has its own /tmp, where a hidden path needs no mount at all.
let root: string
beforeAll(async () => {
  await mkdir('/var/tmp', {recursive: true})
  root = await realpath(await mkdtemp('/var/tmp/hub-bwrap-'))
  for (const d of ['ws', 'runtime', 'home/.cache', 'home/ws2', 'rw/inner-secret'])
    await mkdir(join(root, d), {recursive: true})
  await writeFile(join(root, 'policy.json'), '{}')
  await writeFile(join(root, 'ws', '.env'), 'SECRET=1')
  await symlink(join(root, 'runtime'), join(root, 'runtime-link'))
})
afterAll(async () => {
  await rm(root, {recursive: true, force: true})
})

function plan(extra: Partial<SandboxPlan>): SandboxPlan {
  return {kind: 'bwrap', network: true, hide: [], rw: [], workspace: join(root, 'ws'), ...extra}
}

describe('mountOps', () => {
  it('hides directories as directories and files as files, at their real paths', () => {
    const ops = mountOps(plan({hide: [join(root, 'runtime-link'), join(root, 'policy.json')]}))
    expect(ops).toEqual([
      {kind: 'rw', path: join(root, 'ws')},
      {kind: 'hide-dir', path: join(root, 'runtime')},
      {kind: 'hide-file', path: join(root, 'policy.json')},
    ])
  })

  it('keeps a workspace inside a hidden directory visible, and a hidden path inside a read-write one hidden', () => {
    const ops = mountOps(
      plan({
        workspace: join(root, 'home', 'ws2'),
        hide: [join(root, 'home'), join(root, 'rw', 'inner-secret')],
        rw: [join(root, 'rw')],
      }),
    )
    const order = ops.map((o) => `${o.kind} ${o.path.slice(root.length)}`)
    expect(order).toEqual(['rw /rw', 'hide-dir /home', 'rw /home/ws2', 'hide-dir /rw/inner-secret'])
  })

  it('lets a hide win over a read-write bind of the same path, and hides a file inside the workspace', () => {
    const ops = mountOps(plan({rw: [join(root, 'rw')], hide: [join(root, 'rw'), join(root, 'ws', '.env')]}))
    const rwThenHide = ops.filter((o) => o.path === join(root, 'rw')).map((o) => o.kind)
    expect(rwThenHide).toEqual(['rw', 'hide-dir'])
    expect(ops.at(-1)).toEqual({kind: 'hide-file', path: join(root, 'ws', '.env')})
  })

  it('skips what needs no mount: missing paths, paths under the private /tmp, paths already hidden', () => {
    const ops = mountOps(
      plan({
        hide: [join(root, 'missing'), '/tmp/anything', '/proc/1', join(root, 'home'), join(root, 'home', '.cache')],
      }),
    )
    expect(ops.map((o) => o.path)).toEqual([join(root, 'ws'), join(root, 'home')])
  })
})

describe('bwrapArgs', () => {
  it('builds the sandbox: read-only root, own /dev /proc /tmp, no capabilities, own session, chdir inside', () => {
    const args = bwrapArgs(
      plan({network: false, hide: [join(root, 'runtime'), join(root, 'policy.json')]}),
      join(root, 'ws'),
      {file: 'bash', args: ['-c', 'true']},
      {statusFd: 3},
    )
    const text = args.join(' ')
    expect(text).toMatch(/^--ro-bind \/ \/ --dev \/dev --proc \/proc --tmpfs \/tmp /)
    for (const flag of ['--unshare-pid', '--unshare-ipc', '--unshare-net', '--die-with-parent', '--new-session'])
      expect(args).toContain(flag)
    expect(text).toContain('--cap-drop ALL')
    expect(text).toContain('--json-status-fd 3')
    expect(text).toContain(`--bind ${root}/ws ${root}/ws`)
    expect(text).toContain(`--tmpfs ${root}/runtime`)
    expect(text).toContain(`--ro-bind /dev/null ${root}/policy.json`)
    // Read-only only after every mount: a bind inside a hidden directory needs its mount point made first.
    expect(text.indexOf(`--remount-ro ${root}/runtime`)).toBeGreaterThan(text.indexOf(`--bind ${root}/ws`))
    expect(args.slice(-6)).toEqual(['--chdir', join(root, 'ws'), '--', 'bash', '-c', 'true'])
  })

  it('keeps the network unless the plan turns it off', () => {
    expect(bwrapArgs(plan({network: true}), '/', {file: 'sh', args: []})).not.toContain('--unshare-net')
  })
})
