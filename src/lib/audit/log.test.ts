import {appendFile, mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {GENESIS_HASH, sealLine} from './chain.js'
import {type AuditFields, cutCommand} from './entry.js'
import {readHead} from './head.js'
import {auditFiles, readAuditKey} from './key.js'
import {AuditLog} from './log.js'
import {verifyAuditFile} from './verify.js'

let dir: string
let path: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hub-audit-'))
  path = join(dir, 'audit.log')
})
afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

async function lines(): Promise<Array<Record<string, unknown>>> {
  return (await readFile(path, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

/** verify's verdict on the log: null when intact, else where and why it breaks. */
async function verify(): Promise<null | string> {
  const r = await verifyAuditFile(path)
  return r.ok ? null : `line ${r.first_break!.line}: ${r.first_break!.reason}`
}

describe('AuditLog', () => {
  it('writes the seed fields, seq without gaps and a verifiable hash chain', async () => {
    const log = await AuditLog.open(path)
    await log.append({
      event: 'command_executed',
      run_id: '20250115_143122_e5f6a7b8',
      command: 'echo hi',
      exit_code: 0,
      duration_ms: 12.5,
    })
    await log.append({
      event: 'command_blocked',
      run_id: '20250115_143200_a1b2c3d4',
      reason: 'deny:destructive.rm-root',
      command: 'rm -rf /',
    })
    await log.close()
    const [a, b] = await lines()
    expect(a).toMatchObject({
      event: 'command_executed',
      run_id: '20250115_143122_e5f6a7b8',
      command: 'echo hi',
      exit_code: 0,
      duration_ms: 12.5,
      seq: 1,
      prev: GENESIS_HASH,
    })
    expect(a!.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(b).toMatchObject({
      event: 'command_blocked',
      reason: 'deny:destructive.rm-root',
      command: 'rm -rf /',
      seq: 2,
      prev: a!.hash,
    })
    expect(await verify()).toBeNull()
  })

  it('shares one flush among concurrent appends and keeps order and seq', async () => {
    const log = await AuditLog.open(path)
    const entries = await Promise.all(
      Array.from({length: 200}, (_, i) => log.append({event: 'command_queued', pending_id: String(i)})),
    )
    await log.close()
    expect(entries.map((e) => e.seq)).toEqual(Array.from({length: 200}, (_, i) => i + 1))
    const written = await lines()
    expect(written.map((e) => e.pending_id)).toEqual(Array.from({length: 200}, (_, i) => String(i)))
    expect(await verify()).toBeNull()
  })

  it('continues the chain after reopening', async () => {
    let log = await AuditLog.open(path)
    await log.append({event: 'command_queued'})
    await log.close()
    log = await AuditLog.open(path)
    expect(log.lastSeq).toBe(1)
    await log.append({event: 'command_denied'})
    await log.close()
    expect(await verify()).toBeNull()
  })

  it('cuts a torn last line and keeps every line before it', async () => {
    let log = await AuditLog.open(path)
    await log.append({event: 'command_queued', pending_id: 'a'})
    await log.append({event: 'command_queued', pending_id: 'b'})
    await log.close()
    await appendFile(path, '{"event":"command_queued","pending_id":"c","ts":"20')
    log = await AuditLog.open(path)
    expect(log.lastSeq).toBe(2)
    await log.append({event: 'command_queued', pending_id: 'd'})
    await log.close()
    const written = await lines()
    expect(written.map((e) => e.pending_id)).toEqual(['a', 'b', 'd'])
    expect(await verify()).toBeNull()
  })

  it('keeps a whole last line that only lost its newline', async () => {
    let log = await AuditLog.open(path)
    await log.append({event: 'command_queued', pending_id: 'a'})
    await log.close()
    const text = await readFile(path, 'utf8')
    await writeFile(path, text.slice(0, -1))
    log = await AuditLog.open(path)
    expect(log.lastSeq).toBe(1)
    await log.append({event: 'command_queued', pending_id: 'b'})
    await log.close()
    expect(await verify()).toBeNull()
  })

  it('detects an edited line', async () => {
    const log = await AuditLog.open(path)
    await log.append({event: 'command_blocked', reason: 'deny:x', command: 'rm -rf /'})
    await log.append({event: 'command_queued'})
    await log.close()
    const text = await readFile(path, 'utf8')
    await writeFile(path, text.replace('rm -rf /', 'ls'))
    expect(await verify()).toMatch(/line 1: .*hash mismatch/)
  })

  it('cuts commands to 200 characters as the seed does', () => {
    expect(cutCommand('x'.repeat(500))).toHaveLength(200)
    expect(cutCommand('short')).toBe('short')
  })

  it('rejects appends with storage_unavailable when the file cannot be written; the chain stays clean', async () => {
    const log = await AuditLog.open(path)
    await log.append({event: 'command_queued'})
    // Close the underlying handle behind the log's back to make the next write fail.
    await (log as unknown as {handle: {close(): Promise<void>}}).handle.close()
    await expect(log.append({event: 'command_queued'})).rejects.toMatchObject({code: 'storage_unavailable'})
    expect(log.lastSeq).toBe(1)
    await log.close().catch(() => {})
  })
})

describe('AuditLog on a log from the original tool', () => {
  it('opens a large log without a chain and starts a chain of its own', async () => {
    const line =
      JSON.stringify({
        event: 'command_executed',
        run_id: '20250115_143122_e5f6g7h8',
        command: 'Get-Process python',
        exit_code: 0,
        duration_ms: 142.5,
        ts: '2025-01-15T14:31:22',
      }) + '\n'
    await writeFile(path, line.repeat(300_000)) // about 40 MB
    const log = await AuditLog.open(path)
    const e = await log.append({event: 'command_queued'})
    await log.close()
    expect(e).toMatchObject({seq: 1, prev: GENESIS_HASH})
  })
})

describe('AuditLog torn inside a multi-byte character', () => {
  it('cuts exactly the torn bytes and keeps the acknowledged line before it whole', async () => {
    let log = await AuditLog.open(path)
    await log.append({event: 'command_queued', command: 'echo é'})
    await log.close()
    // A crash in the middle of "é" (0xC3 0xA9): only its first byte reached the disk.
    await appendFile(
      path,
      Buffer.concat([Buffer.from('{"event":"command_queued","command":"echo '), Buffer.from([0xc3])]),
    )
    log = await AuditLog.open(path)
    await log.append({event: 'command_denied'})
    await log.close()
    const written = await lines()
    expect(written.map((e) => e.event)).toEqual(['command_queued', 'command_denied'])
    expect(written[0]!.command).toBe('echo é')
    expect(await verify()).toBeNull()
  })
})

describe('AuditLog keyed chain', () => {
  it('keys every line with an HMAC under a 0600 key that appears nowhere in the log', async () => {
    const log = await AuditLog.open(path)
    await log.append({event: 'command_queued', command: 'echo hi'})
    await log.append({event: 'command_denied'})
    await log.close()
    const files = auditFiles(path)
    const key = await readAuditKey(files.key)
    expect(key.state).toBe('ok')
    if (key.state !== 'ok') return
    expect((await stat(files.key)).mode & 0o777).toBe(0o600)
    const raw = await readFile(files.key)
    expect(raw).toHaveLength(32)
    const text = await readFile(path, 'utf8')
    for (const form of [raw.toString('hex'), raw.toString('base64'), raw.toString('base64url'), raw.toString('latin1')])
      expect(text).not.toContain(form)
    expect(JSON.stringify(key)).not.toContain(raw.toString('hex'))
    const written = await lines()
    expect(written.map((l) => l.key_id)).toEqual([key.key.id, key.key.id])
    expect(log.keyId).toBe(key.key.id)
    // The hash is the HMAC of the line's own text without it, and is the last field.
    const first = text.split('\n')[0]!
    expect(first.endsWith(`,"hash":"${written[0]!.hash as string}"}`)).toBe(true)
    expect(key.key.mac(first.slice(0, first.lastIndexOf(',"hash":')) + '}')).toBe(written[0]!.hash)
    expect(await verify()).toBeNull()
  })

  it('signs a head after each flush: the last seq and hash, keyed from the first keyed seq', async () => {
    const log = await AuditLog.open(path)
    for (let i = 0; i < 5; i++) await log.append({event: 'command_queued', command: `c${i}`})
    const files = auditFiles(path)
    const key = await readAuditKey(files.key)
    if (key.state !== 'ok') throw new Error('no key')
    const head = await readHead(files.head, key.key)
    expect(head).toMatchObject({state: 'ok', checkpoint: {seq: 5, keyed_from: 1, key_id: key.key.id}})
    const written = await lines()
    expect(head.state === 'ok' && head.checkpoint.hash).toBe(written[4]!.hash)
    await log.close()
    expect((await stat(files.head)).mode & 0o777).toBe(0o600)
  })

  it('refuses to continue a log cut back before its signed head, or whose key is gone', async () => {
    let log = await AuditLog.open(path)
    for (let i = 0; i < 4; i++) await log.append({event: 'command_queued', command: `c${i}`})
    await log.close()
    const full = await readFile(path, 'utf8')
    const kept = full.split('\n').slice(0, 2).join('\n') + '\n'
    await writeFile(path, kept)
    await expect(AuditLog.open(path)).rejects.toThrow(/ends at seq 2.*says seq 4 was written/)
    // Nothing was written over the evidence.
    expect(await readFile(path, 'utf8')).toBe(kept)
    await writeFile(path, full)
    log = await AuditLog.open(path)
    await log.close()
    await rm(auditFiles(path).key)
    await expect(AuditLog.open(path)).rejects.toThrow(/last line is keyed .* is missing/)
  })

  it('continues an older unkeyed log with keyed lines; verify accepts both, the first ones as unkeyed', async () => {
    let prev = GENESIS_HASH
    const legacy: string[] = []
    for (let seq = 1; seq <= 3; seq++) {
      const sealed = sealLine({event: 'command_queued', command: `old ${seq}`} as AuditFields, seq, prev, undefined)
      prev = sealed.entry.hash
      legacy.push(sealed.line)
    }

    await writeFile(path, legacy.join('\n') + '\n')
    const log = await AuditLog.open(path)
    expect(log.lastSeq).toBe(3)
    await log.append({event: 'command_queued', command: 'new'})
    await log.close()
    const written = await lines()
    expect(written.map((l) => l.key_id === undefined)).toEqual([true, true, true, false])
    expect(written[3]).toMatchObject({seq: 4, prev})
    const r = await verifyAuditFile(path)
    expect(r).toMatchObject({ok: true, keyed_lines: 1, unkeyed_lines: 3, keyed_from: 4})
    expect(r.checkpoint).toMatchObject({seq: 4, keyed_from: 4})
  })

  it('opens a log whose head lags its last lines (a crash after the flush, before the head)', async () => {
    const log = await AuditLog.open(path)
    await log.append({event: 'command_queued', command: 'a'})
    await log.close()
    const headBefore = await readFile(auditFiles(path).head)
    const again = await AuditLog.open(path)
    await again.append({event: 'command_queued', command: 'b'})
    await again.append({event: 'command_queued', command: 'c'})
    await again.close()
    await writeFile(auditFiles(path).head, headBefore)
    expect(await verify()).toBeNull()
    const third = await AuditLog.open(path)
    expect(third.lastSeq).toBe(3)
    await third.close()
  })
})

describe('AuditLog torn tail of blanks', () => {
  it('cuts a tail of whitespace without a newline, so the next line starts clean', async () => {
    let log = await AuditLog.open(path)
    await log.append({event: 'command_queued', command: 'a'})
    await log.close()
    await appendFile(path, '\r  ')
    log = await AuditLog.open(path)
    await log.append({event: 'command_queued', command: 'b'})
    await log.close()
    expect((await readFile(path, 'utf8')).split('\n')[1]!.startsWith('{')).toBe(true)
    expect(await verify()).toBeNull()
  })
})
