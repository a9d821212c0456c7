/**
 * Connecting to the team database. (The audit key is not kept in it: audit-key.ts.)
 */
import pg from 'pg'

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
