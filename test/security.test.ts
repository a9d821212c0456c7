/**
 * The hostile agent, the hostile web page, the tired operator (issue 5). Each test is an attack
 * and the proof that hub refuses it with the right status and no side effect.
 */
import {mkdir, readdir, readFile, symlink, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {openHub, type OpenHub} from '../src/daemon/server.js'
import {resolveConfig} from '../src/lib/config.js'
import {createLogger} from '../src/lib/logger.js'
import {openTestHub, readLines, removeRoot, tempRoot, waitFor} from './helpers.js'

let root: string
let hub: OpenHub | undefined

beforeEach(async () => {
  root = await tempRoot('hub-sec-')
})
afterEach(async () => {
  await hub?.close(0)
  hub = undefined
  await removeRoot(root)
})

async function call(
  h: OpenHub,
  method: string,
  path: string,
  opts: {body?: unknown; headers?: Record<string, string>; raw?: string | Uint8Array; token?: null | string} = {},
): Promise<{
  body: Record<string, unknown> & {error?: {code: string; field?: string; message: string}}
  headers: Headers
  status: number
}> {
  const headers: Record<string, string> = {...opts.headers}
  const token = opts.token === undefined ? h.tokens.agent : opts.token
  if (token) headers['x-agent-token'] = token
  const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body))
  if (body !== undefined) headers['content-type'] ??= 'application/json'
  const res = await h.app.request(path, {method, headers, body})
  const text = await res.text()
  return {status: res.status, body: text ? JSON.parse(text) : {}, headers: res.headers}
}

async function files(): Promise<string> {
  const out: string[] = []
  for (const d of ['pending', 'denied', 'claimed', 'runs'])
    out.push(`${d}:${(await readdir(join(root, 'runtime', d))).join(',')}`)
  return out.join('|') + (await readFile(join(root, 'runtime', 'audit.log'), 'utf8').catch(() => ''))
}

describe('rate limits', () => {
  it('limit an agent with 429 and Retry-After, and never the operator or /status', async () => {
    hub = await openTestHub(root, {AGENT_HUB_RATE_LIMIT_REQUESTS: '5', AGENT_HUB_RATE_LIMIT_WINDOW_SECONDS: '60'})
    for (let i = 0; i < 5; i++) expect((await call(hub, 'GET', '/pending')).status).toBe(200)
    const limited = await call(hub, 'GET', '/pending')
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(limited.body.error?.code).toBe('rate_limited')
    for (let i = 0; i < 20; i++)
      expect((await call(hub, 'GET', '/pending', {token: hub.tokens.operator})).status).toBe(200)
    for (let i = 0; i < 20; i++) expect((await call(hub, 'GET', '/status', {token: null})).status).toBe(200)
  })

  it('cap the requests one agent can have waiting, so a flood cannot bury a dangerous one', async () => {
    hub = await openTestHub(root, {AGENT_HUB_MAX_PENDING_PER_AGENT: '3'})
    for (let i = 0; i < 3; i++)
      expect((await call(hub, 'POST', '/plan', {body: {command: `echo ${i}`}})).status).toBe(200)
    const before = await files()
    const full = await call(hub, 'POST', '/plan', {body: {command: 'echo 4'}})
    expect(full.status).toBe(429)
    expect(full.body.error?.code).toBe('too_many_pending')
    expect(await files()).toBe(before)
    // A decision frees a slot.

    const [first] = (await call(hub, 'GET', '/pending')).body as unknown as Array<{pending_id: string}>
    await call(hub, 'POST', `/deny/${first!.pending_id}`, {token: hub.tokens.operator})
    expect((await call(hub, 'POST', '/plan', {body: {command: 'echo 5'}})).status).toBe(200)
  })
})

describe('the pending cap under concurrency', () => {
  it('holds when many requests arrive at once', async () => {
    hub = await openTestHub(root, {AGENT_HUB_MAX_PENDING_PER_AGENT: '2'})
    const results = await Promise.all(
      Array.from({length: 10}, (_, i) => call(hub!, 'POST', '/plan', {body: {command: `echo ${i}`}})),
    )
    expect(results.filter((r) => r.status === 200)).toHaveLength(2)
    expect(results.filter((r) => r.status === 429)).toHaveLength(8)
    expect(await readdir(join(root, 'runtime', 'pending'))).toHaveLength(2)
  })
})

describe('event streams', () => {
  it('are capped per agent token (429), never for the operator, and a closed stream frees its place', async () => {
    hub = await openTestHub(root)
    const open: Response[] = []
    for (let i = 0; i < 8; i++) {
      const res = await hub.app.request('/events', {headers: {'x-agent-token': hub.tokens.agent}})
      expect(res.status).toBe(200)
      open.push(res)
    }

    const ninth = await hub.app.request('/events', {headers: {'x-agent-token': hub.tokens.agent}})
    expect(ninth.status).toBe(429)
    const operator = await hub.app.request('/events', {headers: {'x-agent-token': hub.tokens.operator}})
    expect(operator.status).toBe(200)
    await operator.body?.cancel()
    await open.pop()!.body!.cancel()
    // The slot frees once the cancelled stream has wound down.
    const again = await waitFor(async () => {
      const res = await hub!.app.request('/events', {headers: {'x-agent-token': hub!.tokens.agent}})
      if (res.status === 200) return res
      await res.body?.cancel()
      return undefined
    }, 'a free event stream slot')
    expect(again.status).toBe(200)
    for (const r of [...open, again]) await r.body?.cancel()
  })
})

describe('tokens', () => {
  it('rotation makes the old token fail at once, is audited by fingerprint, and never shows a token', async () => {
    hub = await openTestHub(root)
    const old = hub.tokens.agent
    const r = await call(hub, 'POST', '/tokens/rotate', {token: hub.tokens.operator, body: {role: 'agent'}})
    expect(r.status).toBe(200)
    expect(JSON.stringify(r.body)).not.toContain(hub.tokens.agent)
    expect((await call(hub, 'GET', '/pending', {token: old})).status).toBe(401)
    const fresh = (await readFile(join(root, 'runtime', 'agent_hub_token.txt'), 'utf8')).trim()
    expect(fresh).toBe(hub.tokens.agent)
    expect((await call(hub, 'GET', '/pending', {token: fresh})).status).toBe(200)
    const audit = await readLines(join(root, 'runtime', 'audit.log'))
    expect(audit.at(-1)).toMatchObject({event: 'token_rotated', role: 'agent'})
    expect(JSON.stringify(audit)).not.toContain(fresh)
    expect(JSON.stringify(audit)).not.toContain(old)
    expect((await call(hub, 'POST', '/tokens/rotate', {body: {role: 'operator'}})).status).toBe(403)
  })

  it('never reach the log, the audit, a record or an error message', async () => {
    const lines: string[] = []
    hub = await openHub(
      resolveConfig({AGENT_HUB_ROOT: root, AGENT_HUB_LOG_LEVEL: 'DEBUG'}, {}, root),
      createLogger({level: 'DEBUG', sink: (l) => lines.push(l)}),
    )
    const id = (await call(hub, 'POST', '/plan', {body: {command: 'echo $AGENT_HUB_TOKEN; env'}})).body
      .pending_id as string
    const run = await call(hub, 'POST', `/approve/${id}`, {token: hub.tokens.operator})
    const bad = await call(hub, 'GET', '/pending', {token: hub.tokens.agent + 'x'})
    const everything = [
      lines.join('\n'),
      JSON.stringify(run.body),
      JSON.stringify(bad.body),
      await readFile(join(root, 'runtime', 'audit.log'), 'utf8'),
    ].join('\n')
    expect(everything).not.toContain(hub.tokens.agent)
    expect(everything).not.toContain(hub.tokens.operator)
  })
})

describe('child environment', () => {
  it('gets nothing secret even when the operator lists it, and gets what the operator adds', async () => {
    process.env.HUB_TEST_VISIBLE = 'yes'
    process.env.HUB_TEST_API_KEY = 'leak'
    try {
      hub = await openTestHub(root, {AGENT_HUB_PASS_ENV: 'HUB_TEST_VISIBLE,HUB_TEST_API_KEY'})
      // `env` itself is refused by the policy (an environment dump), and so is naming $AGENT_HUB_*
      // (the runner's own test covers those), so ask for each name.
      const command = 'echo "visible=$HUB_TEST_VISIBLE key=$HUB_TEST_API_KEY term=$TERM"'
      const id = (await call(hub, 'POST', '/plan', {body: {command}})).body.pending_id as string
      const out = (await call(hub, 'POST', `/approve/${id}`, {token: hub.tokens.operator})).body.stdout as string
      expect(out).toBe('visible=yes key= term=dumb\n')
    } finally {
      delete process.env.HUB_TEST_VISIBLE
      delete process.env.HUB_TEST_API_KEY
    }
  })
})

describe('workspace jail', () => {
  it('refuses a cwd that is a symlink out of the workspace, with no side effect but the audit', async () => {
    hub = await openTestHub(root)
    await symlink('/etc', join(root, 'workspace', 'etc-link'))
    const r = await call(hub, 'POST', '/plan', {body: {command: 'ls', cwd: 'etc-link'}})
    expect(r.status).toBe(403)
    expect(r.body.error).toMatchObject({code: 'policy_denied', reason: 'cwd:outside-workspace'})
    expect(await readdir(join(root, 'runtime', 'pending'))).toEqual([])
    for (const cwd of ['../', '/tmp', '../../..', 'a/../../runtime']) {
      expect((await call(hub, 'POST', '/plan', {body: {command: 'ls', cwd}})).status).toBe(403)
    }
  })

  it('checks the working directory again at approval: a directory swapped for a symlink is refused', async () => {
    hub = await openTestHub(root)
    const {mkdtemp, rm} = await import('node:fs/promises')
    const {tmpdir} = await import('node:os')
    await mkdir(join(root, 'workspace', 'sub'))
    const id = (await call(hub, 'POST', '/plan', {body: {command: 'pwd -P > where.txt', cwd: 'sub'}})).body
      .pending_id as string
    const outside = await mkdtemp(join(tmpdir(), 'hub-outside-'))
    try {
      await rm(join(root, 'workspace', 'sub'), {recursive: true})
      await symlink(outside, join(root, 'workspace', 'sub'))
      const r = await call(hub, 'POST', `/approve/${id}`, {token: hub.tokens.operator})
      expect(r.status).toBe(403)
      expect(r.body.error).toMatchObject({code: 'policy_denied', reason: 'cwd:outside-workspace'})
      expect(await readdir(outside)).toEqual([])
      expect(await readdir(join(root, 'runtime', 'runs'))).toEqual([])
      expect(await readdir(join(root, 'runtime', 'pending'))).toEqual([])
      const denied = JSON.parse(await readFile(join(root, 'runtime', 'denied', `${id}.json`), 'utf8')) as Record<
        string,
        unknown
      >
      expect(denied).toMatchObject({by: 'policy', reason: 'cwd:outside-workspace'})
    } finally {
      await rm(outside, {recursive: true, force: true})
    }
  })

  it('start-up refuses a runtime directory or policy file inside the workspace', async () => {
    await mkdir(join(root, 'ws'), {recursive: true})
    await expect(
      openTestHub(root, {AGENT_HUB_WORKSPACE_DIR: 'ws', AGENT_HUB_RUNTIME_DIR: 'ws/runtime'}),
    ).rejects.toThrow(/lies inside the workspace/)
    await writeFile(join(root, 'ws', 'policy.json'), '{}')
    await expect(
      openTestHub(root, {AGENT_HUB_WORKSPACE_DIR: 'ws', AGENT_HUB_POLICY: 'ws/policy.json'}),
    ).rejects.toThrow(/policy file .* lies inside the workspace/)
  })
})

describe('hostile input', () => {
  const attacks: Array<[string, {body?: unknown; raw?: string | Uint8Array}, number, string]> = [
    ['duplicate keys', {raw: '{"command":"echo ok","command":"rm -rf ~"}'}, 422, 'validation_failed'],
    [
      'invalid UTF-8',
      {
        raw: new Uint8Array([
          0x7b, 0x22, 0x63, 0x6f, 0x6d, 0x6d, 0x61, 0x6e, 0x64, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d,
        ]),
      },
      400,
      'invalid_json',
    ],
    ['a bidi override in the command', {body: {command: 'ls \u202E fr- mr'}}, 422, 'validation_failed'],
    ['a zero-width space in the command', {body: {command: 'r\u200Bm -rf /'}}, 422, 'validation_failed'],
    ['a constructor key', {raw: '{"command":"ls","constructor":{"prototype":{"x":1}}}'}, 422, 'validation_failed'],
    ['a 1 MB string', {body: {command: 'x'.repeat(1_000_000)}}, 413, 'payload_too_large'],
    ['a number as a string', {body: {command: 'ls', timeout_s: '5'}}, 422, 'validation_failed'],
    ['null for the command', {body: {command: null}}, 422, 'validation_failed'],
  ]
  for (const [name, input, status, code] of attacks) {
    it(`refuses ${name} with ${status} and changes no file`, async () => {
      hub ??= await openTestHub(root)
      const before = await files()
      const r = await call(hub, 'POST', '/plan', input)
      expect(r.status).toBe(status)
      expect(r.body.error?.code).toBe(code)
      expect(await files()).toBe(before)
    })
  }

  it('keeps terminal escapes in notes out of the daemon log', async () => {
    const lines: string[] = []
    hub = await openHub(resolveConfig({AGENT_HUB_ROOT: root}, {}, root), createLogger({sink: (l) => lines.push(l)}))
    await call(hub, 'POST', '/plan', {body: {command: 'echo \u001B[31mred', note: '\u001B]0;pwned\u0007'}})
    expect(lines.join('\n')).not.toContain('\u001B')
  })
})

describe('cross-site requests', () => {
  it('cannot approve through a simple form post or a foreign origin', async () => {
    hub = await openTestHub(root)
    const id = (await call(hub, 'POST', '/plan', {body: {command: 'echo x'}})).body.pending_id as string
    const form = await call(hub, 'POST', `/approve/${id}`, {
      token: hub.tokens.operator,
      raw: 'note=x',
      headers: {'content-type': 'application/x-www-form-urlencoded'},
    })
    expect(form.status).toBe(415)
    const foreign = await call(hub, 'POST', `/approve/${id}`, {
      token: hub.tokens.operator,
      headers: {origin: 'http://evil.example'},
    })
    expect(foreign.status).toBe(403)
    const rebinding = await call(hub, 'POST', `/approve/${id}`, {
      token: hub.tokens.operator,
      headers: {host: 'attacker.example'},
    })
    expect(rebinding.status).toBe(403)
    const preflight = await call(hub, 'OPTIONS', `/approve/${id}`, {
      token: null,
      headers: {origin: 'http://evil.example'},
    })
    expect(preflight.status).toBe(403)
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull()
    expect(await readdir(join(root, 'runtime', 'pending'))).toEqual([`${id}.json`])
    expect(await readdir(join(root, 'runtime', 'runs'))).toEqual([])
  })
})
