import {appendFile, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {AuditLog, chainBreak, cutCommand, GENESIS_HASH} from './audit-log.js'

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

function verify(entries: Array<Record<string, unknown>>): null | string {
  let prev = GENESIS_HASH
  for (const [i, entry] of entries.entries()) {
    const why = chainBreak(entry!, i + 1, prev)
    if (why) return `line ${i + 1}: ${why}`
    prev = entry!.hash as string
  }

  return null
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
    expect(verify(await lines())).toBeNull()
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
    expect(verify(written)).toBeNull()
  })

  it('continues the chain after reopening', async () => {
    let log = await AuditLog.open(path)
    await log.append({event: 'command_queued'})
    await log.close()
    log = await AuditLog.open(path)
    expect(log.lastSeq).toBe(1)
    await log.append({event: 'command_denied'})
    await log.close()
    expect(verify(await lines())).toBeNull()
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
    expect(verify(written)).toBeNull()
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
    expect(verify(await lines())).toBeNull()
  })

  it('detects an edited line', async () => {
    const log = await AuditLog.open(path)
    await log.append({event: 'command_blocked', reason: 'deny:x', command: 'rm -rf /'})
    await log.append({event: 'command_queued'})
    await log.close()
    const text = await readFile(path, 'utf8')
    await writeFile(path, text.replace('rm -rf /', 'ls'))
    expect(verify(await lines())).toMatch(/line 1: .*hash mismatch/)
  })

  it('cuts commands to 200 characters as the seed does', () => {
    expect(cutCommand('x'.repeat(500))).toHaveLength(200)
    expect(cutCommand('short')).toBe('short')
  })

  it('rejects appends with storage_unavailable when the file cannot be written, and keeps the chain clean', async () => {
    const log = await AuditLog.open(path)
    await log.append({event: 'command_queued'})
    // Close the underlying handle behind the log's back to make the next write fail.
    await (log as unknown as {handle: {close(): Promise<void>}}).handle.close()
    await expect(log.append({event: 'command_queued'})).rejects.toMatchObject({code: 'storage_unavailable'})
    expect(log.lastSeq).toBe(1)
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
    expect(verify(written)).toBeNull()
  })
})
