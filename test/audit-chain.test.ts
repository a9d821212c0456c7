/**
 * The keyed audit chain against the real daemon and the built CLI (issue 9.4, SPEC §6.4): a few
 * requests, then the log is rewritten the ways an attacker without the key could (hashed again with
 * plain SHA-256, with a guessed key, cut back to its first lines, a line taken out), and
 * `hub audit verify` must fail each time, naming the seq. The key stays 0600 and appears nowhere.
 */
import {createHash} from 'node:crypto'
import {copyFile, mkdir, readFile, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {request} from 'undici'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {GENESIS_HASH} from '../src/lib/audit/chain.js'
import {AuditKey} from '../src/lib/audit/key.js'
import {type CliResult, type DaemonProcess, hub, removeRoot, startDaemonProcess, tempRoot} from './helpers.js'

let root: string
let daemon: DaemonProcess | undefined
let daemonOutput = ''
let lines: string[] = []
let key: Buffer
const outputs: string[] = []

async function call(base: string, path: string, token: string, body?: unknown): Promise<number> {
  const res = await request(base + path, {
    method: 'POST',
    headers: {'x-agent-token': token, ...(body === undefined ? {} : {'content-type': 'application/json'})},
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  await res.body.text()
  return res.statusCode
}

/** The CLI against a runtime whose audit.log is `text`, beside copies of the key and head. */
async function verifyCopy(name: string, text: string): Promise<CliResult> {
  const copy = join(root, `copy-${name}`)
  await mkdir(join(copy, 'runtime'), {recursive: true, mode: 0o700})
  for (const f of ['audit.key', 'audit.head']) await copyFile(join(root, 'runtime', f), join(copy, 'runtime', f))
  await writeFile(join(copy, 'runtime', 'audit.log'), text)
  const r = await hub(['audit', 'verify'], {root: copy})
  outputs.push(r.stdout, r.stderr)
  return r
}

/**
 * Every line from `from` (0-based) hashed again, with a command changed on the first of them: with
 * plain SHA-256 (keeping or dropping key_id) or under a guessed key, as one who cannot read the key would.
 */
function forge(from: number, how: 'guessed-key' | 'sha256-drop-key-id' | 'sha256-keep-key-id'): string {
  const guessed = new AuditKey(Buffer.alloc(32, 1))
  const out = lines.slice(0, from)
  let prev = from === 0 ? GENESIS_HASH : (JSON.parse(lines[from - 1]!) as {hash: string}).hash
  for (let i = from; i < lines.length; i++) {
    const fields = JSON.parse(lines[i]!) as Record<string, unknown>
    delete fields.hash
    fields.prev = prev
    if (i === from) fields.command = 'echo nothing to see here'
    if (how === 'sha256-drop-key-id') delete fields.key_id
    if (how === 'guessed-key') fields.key_id = guessed.id
    const text = JSON.stringify(fields)
    const hash = how === 'guessed-key' ? guessed.mac(text) : createHash('sha256').update(text).digest('hex')
    out.push(`${text.slice(0, -1)},"hash":"${hash}"}`)
    prev = hash
  }

  return out.join('\n') + '\n'
}

beforeAll(async () => {
  root = await tempRoot('hub-audit-chain-')
  daemon = await startDaemonProcess(root)
  const agent = (await readFile(join(root, 'runtime', 'agent_hub_token.txt'), 'utf8')).trim()
  const operator = (await readFile(join(root, 'runtime', 'operator_token.txt'), 'utf8')).trim()
  expect(await call(daemon.base, '/plan', agent, {command: 'rm -rf /'})).toBe(403)
  const queued: string[] = []
  for (const command of ['echo one', 'echo two', 'echo three']) {
    const res = await request(daemon.base + '/plan', {
      method: 'POST',
      headers: {'x-agent-token': agent, 'content-type': 'application/json'},
      body: JSON.stringify({command}),
    })
    queued.push(((await res.body.json()) as {pending_id: string}).pending_id)
  }

  expect(await call(daemon.base, `/approve/${queued[0]}`, operator)).toBe(200)
  expect(await call(daemon.base, `/deny/${queued[1]}`, operator, {reason: 'not today'})).toBe(200)
  await daemon.stop()
  daemonOutput = daemon.output()
  daemon = undefined
  lines = (await readFile(join(root, 'runtime', 'audit.log'), 'utf8')).trimEnd().split('\n')
  key = await readFile(join(root, 'runtime', 'audit.key'))
}, 120_000)

afterAll(async () => {
  await daemon?.stop('SIGKILL')
  await removeRoot(root)
})

describe('the keyed audit chain, with the real daemon', () => {
  it('writes keyed lines under a 0600 key and a signed head, and verify passes', async () => {
    expect(lines.length).toBeGreaterThanOrEqual(8)
    expect(key).toHaveLength(32)
    expect((await stat(join(root, 'runtime', 'audit.key'))).mode & 0o777).toBe(0o600)
    const keyId = new AuditKey(key).id
    expect(lines.every((l) => (JSON.parse(l) as {key_id?: string}).key_id === keyId)).toBe(true)
    const r = await hub(['audit', 'verify'], {root})
    outputs.push(r.stdout, r.stderr)
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`audit verify: ${lines.length} lines, chain intact`)
    expect(r.stdout).toContain(`keyed (key_id ${keyId})`)
    expect(r.stdout).toContain(`signed checkpoint at seq ${lines.length}`)
  })

  it('fails on a line rewritten and hashed again with plain SHA-256, naming its seq', async () => {
    const kept = await verifyCopy('sha-keep', forge(2, 'sha256-keep-key-id'))
    expect(kept.code).toBe(1)
    expect(kept.stdout).toContain('line 3 (seq 3): the line was changed after it was written')
    const dropped = await verifyCopy('sha-drop', forge(0, 'sha256-drop-key-id'))
    expect(dropped.code).toBe(1)
    expect(dropped.stdout).toContain('line 1 (seq 1): the line has no key_id, but the signed checkpoint says')
    const middle = await verifyCopy('sha-drop-middle', forge(4, 'sha256-drop-key-id'))
    expect(middle.code).toBe(1)
    expect(middle.stdout).toContain('line 5 (seq 5): the line has no key_id after keyed lines')
  })

  it('fails on lines hashed again under a guessed key, naming the seq', async () => {
    const r = await verifyCopy('guessed', forge(3, 'guessed-key'))
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('line 4 (seq 4): the line is hashed under another key')
  })

  it('fails on a log cut back to its first lines, naming the first missing seq', async () => {
    const n = lines.length - 3
    const r = await verifyCopy('truncated', lines.slice(0, n).join('\n') + '\n')
    expect(r.code).toBe(1)
    const head = join(root, 'copy-truncated', 'runtime', 'audit.head')
    expect(r.stdout).toContain(`seq ${n + 1}: the log ends at seq ${n}, but the signed checkpoint in ${head} says`)
    expect(r.stdout).toContain(`says seq ${lines.length} was written`)
    const json = await hub(['audit', 'verify', '--json'], {root: join(root, 'copy-truncated')})
    outputs.push(json.stdout)
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout)).toMatchObject({ok: false, first_break: {kind: 'truncated', seq: n + 1, line: null}})
  })

  it('fails on a line taken out of the middle, naming the seq after the gap', async () => {
    const r = await verifyCopy('gap', [...lines.slice(0, 2), ...lines.slice(3)].join('\n') + '\n')
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('line 3 (seq 4): seq is 4, expected 3: a line before it was removed')
  })

  it('will not start on a log cut back before its signed head, and leaves it as it found it', async () => {
    const copy = join(root, 'copy-truncated')
    const before = await readFile(join(copy, 'runtime', 'audit.log'), 'utf8')
    await expect(startDaemonProcess(copy)).rejects.toThrow(/does not match its signed checkpoint/)
    expect(await readFile(join(copy, 'runtime', 'audit.log'), 'utf8')).toBe(before)
  })

  it('never shows the key: not in a line, not in any output', async () => {
    const r = await hub(['audit', '--json'], {root})
    const table = await hub(['audit', '--stats'], {root})
    outputs.push(r.stdout, r.stderr, table.stdout, table.stderr, daemonOutput)
    const text = [...lines, ...outputs].join('\n')
    for (const form of [key.toString('hex'), key.toString('base64'), key.toString('base64url')])
      expect(text).not.toContain(form)
    expect(text).not.toContain(key.toString('latin1'))
  })
})
