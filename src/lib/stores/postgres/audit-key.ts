/**
 * The team chain's key and signed head (SPEC §7.8, §6.4).
 *
 * The key stays on the hosts, never in the database: each daemon reads it from its runtime directory
 * (`runtime/audit.key`, as with files), and the database keeps only its id (`hub_meta.audit_key_id`).
 * So whoever can write the tables — even a database superuser — cannot rewrite a line and hash it
 * again, nor sign a head. The first daemon (or `hub store migrate`) names the key; every other host
 * must hold the same file, copied there like a credential, and a daemon with another key or none is
 * refused at start rather than writing lines that nobody could verify.
 *
 * The head (`hub_meta.audit_head`) is `{seq, hash, keyed_from}` signed under the key, rewritten in
 * the same transaction as each group of lines: a table cut back to its first N rows (still a valid
 * chain) ends before the head, and a head put back by hand does not verify.
 */
import type pg from 'pg'

import {chmod, open, rm} from 'node:fs/promises'

import {GENESIS_HASH} from '../../audit/chain.js'
import {AUDIT_KEY_BYTES, auditFiles, AuditKey, createAuditKey, type KeyState, readAuditKey} from '../../audit/key.js'
import {HubError} from '../../errors.js'
import {runtimePaths} from '../../store.js'
import {META} from './schema.js'

const HEAD_VERSION = 1

export interface SignedHead {
  at: string
  hash: string
  key_id: string
  keyed_from: number
  seq: number
}

/** The key file of a runtime directory. */
export function hostKeyPath(runtimeDir: string): string {
  return auditFiles(runtimePaths(runtimeDir).audit).key
}

function headMac(key: AuditKey, h: Omit<SignedHead, 'key_id'>): string {
  // Not the file head's text: a file checkpoint can never pass for a database one, nor back.
  return key.mac(`hub audit head postgres v${HEAD_VERSION}\n${h.seq}\n${h.hash}\n${h.keyed_from}\n${key.id}\n${h.at}`)
}

/** The hub_meta value for a head at `seq`. */
export function signHead(key: AuditKey, h: {hash: string; keyed_from: number; seq: number}): string {
  const at = new Date().toISOString()
  const body = {seq: h.seq, hash: h.hash, keyed_from: h.keyed_from, at}
  return JSON.stringify({v: HEAD_VERSION, ...body, key_id: key.id, mac: headMac(key, body)})
}

/** The head in hub_meta, or why it is not one. */
export function readSignedHead(key: AuditKey, text: string): SignedHead | string {
  let v: Record<string, unknown>
  try {
    v = JSON.parse(text) as Record<string, unknown>
  } catch {
    return 'not valid JSON'
  }

  const {seq, hash, keyed_from: keyedFrom, key_id: keyId, at, mac} = v
  if (
    v.v !== HEAD_VERSION ||
    typeof seq !== 'number' ||
    typeof hash !== 'string' ||
    typeof keyedFrom !== 'number' ||
    typeof keyId !== 'string' ||
    typeof at !== 'string' ||
    typeof mac !== 'string'
  )
    return 'fields missing'
  if (keyId !== key.id) return `signed with another key (key_id ${keyId})`
  if (headMac(key, {seq, hash, keyed_from: keyedFrom, at}) !== mac) return 'its signature does not match'
  return {seq, hash, keyed_from: keyedFrom, key_id: keyId, at}
}

async function meta(db: pg.Pool | pg.PoolClient, name: string): Promise<string | undefined> {
  const {rows} = await db.query<{value: string}>('SELECT value FROM hub_meta WHERE name = $1', [name])
  return rows[0]?.value
}

export async function readMeta(db: pg.Pool | pg.PoolClient, name: string): Promise<string | undefined> {
  return meta(db, name)
}

/** Writes a key found in the database (schema 1 kept it there) to this host, whole and 0600. */
async function exportLegacyKey(path: string, bytes: Buffer): Promise<void> {
  const handle = await open(path, 'wx', 0o600)
  try {
    await handle.writeFile(bytes)
    await handle.sync()
  } catch (error) {
    await handle.close()
    await rm(path, {force: true})
    throw error
  }

  await handle.close()
  await chmod(path, 0o600)
}

function mismatch(dbId: string, path: string, local: KeyState): HubError {
  const have = local.state === 'ok' ? `holds key_id ${local.key.id}` : `is ${local.state}`
  return new HubError(
    'storage_unavailable',
    `The team database's audit chain is keyed with key_id ${dbId}, but this host's ${path} ${have}.`,
    {
      hint:
        `Copy runtime/audit.key (mode 0600) from a host that already runs on this database (its key_id is ${dbId}) ` +
        'to this host before starting; the key never goes into the database.',
    },
  )
}

/**
 * The key this daemon extends the chain with: the host's, which must be the database's. Creates the
 * host's key (and names it in the database) only when the database has none yet.
 */
export async function hostAuditKey(pool: pg.Pool, runtimeDir: string): Promise<AuditKey> {
  const path = hostKeyPath(runtimeDir)
  let local = await readAuditKey(path)
  const legacy = await meta(pool, META.legacyKey)
  if (legacy !== undefined) {
    const bytes = Buffer.from(legacy, 'base64')
    if (bytes.length === AUDIT_KEY_BYTES && local.state === 'missing') {
      await exportLegacyKey(path, bytes)
      local = await readAuditKey(path)
    }

    const {id} = new AuditKey(bytes)
    if (local.state !== 'ok' || local.key.id !== id) throw mismatch(id, path, local)
    // The key is on this host now: the database keeps its id only.
    await pool.query(
      `WITH gone AS (DELETE FROM hub_meta WHERE name = $1)
       INSERT INTO hub_meta (name, value) VALUES ($2, $3) ON CONFLICT (name) DO NOTHING`,
      [META.legacyKey, META.keyId, id],
    )
  }

  let dbId = await meta(pool, META.keyId)
  if (dbId === undefined && local.state === 'missing') {
    await createAuditKey(path)
    local = await readAuditKey(path)
  }

  if (dbId === undefined && local.state === 'ok') {
    // With a head at seq 0, so that a database emptied later does not pass for a new one.
    await pool.query(`INSERT INTO hub_meta (name, value) VALUES ($1, $2), ($3, $4) ON CONFLICT (name) DO NOTHING`, [
      META.keyId,
      local.key.id,
      META.head,
      signHead(local.key, {seq: 0, hash: GENESIS_HASH, keyed_from: 1}),
    ])
    dbId = await meta(pool, META.keyId)
  }

  if (local.state !== 'ok' || local.key.id !== dbId) throw mismatch(dbId ?? '(none)', path, local)
  return local.key
}
