/**
 * Connecting to the team database, and the audit key kept in it.
 *
 * The key: every daemon on the database extends one chain, so they need one key. It is made by the
 * first daemon that finds none and kept in `hub_meta`, readable by whoever can read the database —
 * so in PostgreSQL the chain proves that lines were not edited, removed or reordered by anyone who
 * cannot read `hub_meta` (grant it to the hub role alone), and by no one else. docs/team.md says so.
 */
import {randomBytes} from 'node:crypto'
import pg from 'pg'

import {AUDIT_KEY_BYTES, AuditKey} from '../../audit/key.js'
import {HubError} from '../../errors.js'

/** Whether a store setting names PostgreSQL. */
export function isPostgresUrl(value: string | undefined): value is string {
  return value !== undefined && /^postgres(?:ql)?:\/\//i.test(value)
}

/** The URL without its password, for messages and logs. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return 'postgres://…'
  }
}

export async function connectPool(url: string, max = 10): Promise<pg.Pool> {
  const pool = new pg.Pool({connectionString: url, max, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000})
  // An idle client that loses its connection must not bring the daemon down; the next query fails instead.
  pool.on('error', () => {})
  try {
    const client = await pool.connect()
    client.release()
  } catch (error) {
    await pool.end().catch(() => {})
    throw new HubError(
      'storage_unavailable',
      `Could not connect to PostgreSQL at ${describeUrl(url)}: ${(error as Error).message}.`,
      {hint: 'Check AGENT_HUB_STORE (or --store): host, port, database, user and password.', cause: error as Error},
    )
  }

  return pool
}

export async function loadAuditKey(pool: pg.Pool): Promise<AuditKey> {
  await pool.query("INSERT INTO hub_meta (name, value) VALUES ('audit_key', $1) ON CONFLICT (name) DO NOTHING", [
    randomBytes(AUDIT_KEY_BYTES).toString('base64'),
  ])
  const {rows} = await pool.query<{value: string}>("SELECT value FROM hub_meta WHERE name = 'audit_key'")
  const bytes = Buffer.from(rows[0]?.value ?? '', 'base64')
  if (bytes.length !== AUDIT_KEY_BYTES)
    throw new HubError('storage_unavailable', 'The audit key in hub_meta is not 32 bytes; the chain cannot be kept.', {
      hint: 'Restore hub_meta from a backup; never replace the key of a chain that has lines.',
    })
  return new AuditKey(bytes)
}
