import {createHash} from 'node:crypto'
import {appendFile, copyFile, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {SEED_EXECUTED} from '../../../test/audit-fixtures.js'
import {GENESIS_HASH, sealLine} from './chain.js'
import {type AuditFields} from './entry.js'
import {auditFiles, AuditKey} from './key.js'
import {AuditLog} from './log.js'
import {verifyAuditFile} from './verify.js'

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hub-audit-verify-'))
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

/** A log of n lines written by the real writer, in a runtime directory of its own. */
async function chained(n: number, name = 'audit.log'): Promise<string> {
  const path = join(await mkdtemp(join(dir, 'rt-')), name)
  const log = await AuditLog.open(path)
  for (let i = 1; i <= n; i++) await log.append({event: 'command_queued', command: `cmd ${i}`})
  await log.close()
  return path
}

async function readLines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8')).trimEnd().split('\n')
}

async function writeLines(path: string, lines: string[]): Promise<void> {
  await writeFile(path, lines.join('\n') + '\n')
}

/**
 * Rewrites lines `from` (0-based) to the end: `edit` changes each line's fields, then every line is
 * hashed again and chained, the way an attacker without the key would: with `key` (a guessed one),
 * or plain SHA-256, keeping or dropping `key_id`.
 */
function rehash(
  lines: string[],
  from: number,
  opts: {dropKeyId?: boolean; edit?: (f: Record<string, unknown>) => void; key?: AuditKey},
): string[] {
  const out = lines.slice(0, from)
  let prev = from === 0 ? GENESIS_HASH : (JSON.parse(lines[from - 1]!) as {hash: string}).hash
  for (let i = from; i < lines.length; i++) {
    const fields = JSON.parse(lines[i]!) as Record<string, unknown>
    const {seq, key_id: keyId} = fields
    for (const own of ['hash', 'seq', 'prev', 'key_id']) delete fields[own]
    opts.edit?.(fields)
    if (opts.key || opts.dropKeyId) {
      const sealed = sealLine(fields as AuditFields, seq as number, prev, opts.key)
      out.push(sealed.line)
      prev = sealed.entry.hash
    } else {
      // Plain SHA-256 over a text that still says key_id, as the writer lays a line out.
      const text = JSON.stringify({...fields, seq, prev, key_id: keyId})
      const hash = createHash('sha256').update(text).digest('hex')
      out.push(`${text.slice(0, -1)},"hash":"${hash}"}`)
      prev = hash
    }
  }

  return out
}

function forge(fields: Record<string, unknown>): void {
  fields.command = 'forged'
}

describe('verifyAuditFile', () => {
  it('passes an intact keyed chain and reports its key and checkpoint', async () => {
    const path = await chained(5)
    const r = await verifyAuditFile(path, {chunkSize: 50})
    expect(r).toMatchObject({
      ok: true,
      lines: 5,
      last_seq: 5,
      missing: false,
      keyed_lines: 5,
      unkeyed_lines: 0,
      keyed_from: 1,
      key: 'ok',
      checkpoint_status: 'ok',
      checkpoint: {seq: 5, keyed_from: 1},
    })
    expect(r.first_break).toBeUndefined()
    const lines = await readLines(path)
    expect(r.last_hash).toBe((JSON.parse(lines[4]!) as {hash: string}).hash)
    expect(r.key_id).toBe((JSON.parse(lines[0]!) as {key_id: string}).key_id)
  })

  it('passes an empty file and reports a missing one', async () => {
    const empty = join(await mkdtemp(join(dir, 'rt-')), 'audit.log')
    await writeFile(empty, '')
    expect(await verifyAuditFile(empty)).toMatchObject({ok: true, lines: 0, missing: false})
    expect(await verifyAuditFile(join(dir, 'missing.log'))).toMatchObject({ok: true, missing: true})
  })

  it('names an edited line', async () => {
    const path = await chained(5)
    await writeFile(path, (await readFile(path, 'utf8')).replace('"cmd 3"', '"cmd 3; rm -rf /"'))
    const r = await verifyAuditFile(path)
    expect(r.ok).toBe(false)
    expect(r.lines).toBe(5)
    expect(r.first_break).toEqual({
      kind: 'hash_mismatch',
      line: 3,
      seq: 3,
      reason: 'the line was changed after it was written (hash mismatch)',
    })
    expect(r.last_seq).toBe(2)
  })

  it('names the first line rewritten and hashed again with plain SHA-256, key_id kept', async () => {
    const path = await chained(6)
    await writeLines(path, rehash(await readLines(path), 2, {edit: forge}))
    expect((await verifyAuditFile(path)).first_break).toMatchObject({kind: 'hash_mismatch', line: 3, seq: 3})
  })

  it('names the first line rehashed without its key_id, from the start or from the middle', async () => {
    const whole = await chained(4)
    await writeLines(whole, rehash(await readLines(whole), 0, {dropKeyId: true}))
    const r = await verifyAuditFile(whole)
    expect(r.first_break).toMatchObject({kind: 'unkeyed_in_keyed_range', line: 1, seq: 1, expected_seq: 1})
    expect(r.first_break?.reason).toMatch(/keyed from seq 1: the log was hashed again without the key/)

    const middle = await chained(4)
    await writeLines(middle, rehash(await readLines(middle), 2, {dropKeyId: true}))
    expect((await verifyAuditFile(middle)).first_break).toMatchObject({kind: 'unkeyed_after_keyed', line: 3, seq: 3})
  })

  it('names the first line rehashed under a guessed key, whichever key_id it claims', async () => {
    const guessed = new AuditKey(Buffer.alloc(32, 7))
    const own = await chained(4)
    await writeLines(own, rehash(await readLines(own), 1, {key: guessed}))
    const r = await verifyAuditFile(own)
    expect(r.first_break).toMatchObject({kind: 'unknown_key', line: 2, seq: 2, key_id: guessed.id})

    const claimed = await chained(4)
    const lines = await readLines(claimed)
    const realId = (JSON.parse(lines[0]!) as {key_id: string}).key_id
    // The guessed key's hashes, with the real key's id written in (so the text no longer matches either).
    const forged = rehash(lines, 1, {key: guessed}).map((l) =>
      l.replace(`"key_id":"${guessed.id}"`, `"key_id":"${realId}"`),
    )
    await writeLines(claimed, forged)
    expect((await verifyAuditFile(claimed)).first_break).toMatchObject({kind: 'hash_mismatch', line: 2, seq: 2})
  })

  it('names the first missing seq of a log cut back to its first lines', async () => {
    const path = await chained(6)
    await writeLines(path, (await readLines(path)).slice(0, 4))
    const r = await verifyAuditFile(path)
    expect(r.first_break).toMatchObject({kind: 'truncated', line: null, seq: 5, checkpoint: {seq: 6}})
    expect(r.first_break?.reason).toMatch(
      /the log ends at seq 4, but the signed checkpoint in .*audit\.head says seq 6 was written: seq 5–6 cut off/,
    )
    expect(r.lines).toBe(4)

    await writeFile(path, '')
    expect((await verifyAuditFile(path)).first_break).toMatchObject({kind: 'truncated', seq: 1})
    await rm(path)
    expect(await verifyAuditFile(path)).toMatchObject({ok: false, missing: true, first_break: {kind: 'truncated'}})
  })

  it('names a deleted line', async () => {
    const path = await chained(5)
    const lines = await readLines(path)
    lines.splice(2, 1)
    await writeLines(path, lines)
    const r = await verifyAuditFile(path)
    expect(r.first_break).toEqual({
      kind: 'seq_gap',
      line: 3,
      seq: 4,
      expected_seq: 3,
      reason: 'seq is 4, expected 3: a line before it was removed',
    })
    expect(r.lines).toBe(4)
  })

  it('names an unkeyed line that follows keyed ones, even with a good SHA-256 chain', async () => {
    const path = await chained(3)
    const lines = await readLines(path)
    const last = JSON.parse(lines[2]!) as {hash: string}
    const sealed = sealLine({event: 'command_queued', command: 'slipped in'}, 4, last.hash, undefined)
    await appendFile(path, sealed.line + '\n')
    expect((await verifyAuditFile(path)).first_break).toMatchObject({kind: 'unkeyed_after_keyed', line: 4, seq: 4})
  })

  it('verifies an unkeyed log of an older hub (no key), reporting it as unkeyed', async () => {
    const rt = await mkdtemp(join(dir, 'legacy-'))
    const path = join(rt, 'audit.log')
    let prev = GENESIS_HASH
    const lines: string[] = []
    for (let seq = 1; seq <= 3; seq++) {
      const s = sealLine({event: 'command_queued', command: `old ${seq}`}, seq, prev, undefined)
      prev = s.entry.hash
      lines.push(s.line)
    }

    await writeLines(path, lines)
    expect(await verifyAuditFile(path)).toMatchObject({
      ok: true,
      unkeyed_lines: 3,
      keyed_lines: 0,
      key: 'missing',
      checkpoint_status: 'not_checked',
    })
    // The same log, edited: plain SHA-256 still catches an edit that is not hashed again.
    await writeLines(
      path,
      lines.map((l) => l.replace('old 2', 'new 2')),
    )
    expect((await verifyAuditFile(path)).first_break).toMatchObject({kind: 'hash_mismatch', seq: 2})
  })

  it('says when keyed lines cannot be checked: key missing, unreadable or not a key', async () => {
    const path = await chained(2)
    const {key} = auditFiles(path)
    await rm(key)
    expect((await verifyAuditFile(path)).first_break).toMatchObject({kind: 'key_missing', line: 1, seq: 1})
    await mkdir(key)
    const r = await verifyAuditFile(path)
    expect(r).toMatchObject({key: 'unreadable', first_break: {kind: 'key_unreadable', line: 1}})
    expect(r.first_break?.reason).toMatch(/cannot be read: it cannot be authenticated/)
    await rm(key, {recursive: true})
    await writeFile(key, 'short')
    expect((await verifyAuditFile(path)).first_break).toMatchObject({kind: 'key_invalid'})
  })

  it('checks the signed head: missing, damaged, lagging (fine) or from another log', async () => {
    const path = await chained(3)
    const {head} = auditFiles(path)
    const good = await readFile(head)
    await rm(head)
    expect((await verifyAuditFile(path)).first_break).toMatchObject({kind: 'checkpoint_missing', line: null})
    // One slot damaged (a torn write): the other, older one still counts, and a head may lag.
    await writeFile(head, good.toString('utf8').replace('"seq":3', '"seq":9'))
    expect(await verifyAuditFile(path)).toMatchObject({ok: true, checkpoint: {seq: 2}})
    await writeFile(head, Buffer.alloc(good.length, 0x78))
    expect((await verifyAuditFile(path)).first_break).toMatchObject({kind: 'checkpoint_invalid'})
    await writeFile(head, good)
    expect((await verifyAuditFile(path)).ok).toBe(true)

    // Another log beside it shares the key: its head verifies but names other lines.
    const otherPath = join(path, '..', 'other.log')
    const other = await AuditLog.open(otherPath)
    await other.append({event: 'command_denied'})
    await other.append({event: 'command_denied'})
    await other.close()
    await copyFile(auditFiles(otherPath).head, head)
    expect((await verifyAuditFile(path)).first_break).toMatchObject({kind: 'checkpoint_mismatch', line: 2, seq: 2})
  })

  it('reports a log without a chain (the original tool’s) from its first line', async () => {
    const path = join(await mkdtemp(join(dir, 'seed-')), 'audit.log')
    await writeFile(path, SEED_EXECUTED + '\n')
    const r = await verifyAuditFile(path)
    expect(r.ok).toBe(false)
    expect(r.first_break).toMatchObject({kind: 'no_chain', line: 1, seq: null})
    expect(r.first_break?.reason).toMatch(/no hash chain from here/)
  })

  it('reports old-format lines appended later, a torn line and a corrupt one', async () => {
    const path = await chained(2)
    await appendFile(path, '{"event": "command_blocked", "command": "x", "ts": "2025-01-15T14:32:00"}\n')
    expect((await verifyAuditFile(path)).first_break).toMatchObject({kind: 'no_chain', line: 3, seq: null})

    const torn = await chained(3)
    await appendFile(torn, '{"event":"command_queued","comm')
    const r = await verifyAuditFile(torn)
    expect(r.first_break).toMatchObject({kind: 'torn_line', line: 4, seq: null})
    expect(r.first_break?.reason).toMatch(/last line is incomplete/)

    const corrupt = await chained(3)
    await writeFile(corrupt, (await readFile(corrupt, 'utf8')).replace('"seq":2', '"seq":2,,'))
    expect((await verifyAuditFile(corrupt)).first_break).toEqual({
      kind: 'not_json',
      line: 2,
      seq: null,
      reason: 'the line is not valid JSON',
    })
  })
})
