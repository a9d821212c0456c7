/**
 * The PostgreSQL schema, as numbered migrations applied in order at start (SPEC §7.8). Each daemon
 * that starts takes an advisory lock, applies what `hub_schema` does not list yet, and records it, so
 * many daemons starting at once migrate once. A database newer than this hub is refused, never
 * written with an older idea of its tables.
 *
 * Documents (requests, decisions, claims, runs) are kept as JSON text, not jsonb: jsonb reorders keys,
 * and the API's `--json` output must be byte-for-byte what the file store gives. The columns beside
 * them are what queries filter and sort on. Audit lines are kept as the exact text that was hashed.
 */
import type {PoolClient} from 'pg'

import {HubError} from '../../errors.js'

/** Keys of advisory locks; one namespace so that nothing else in the database collides by chance. */
export const LOCKS = {audit: 0x68_75_62_01, migrate: 0x68_75_62_02} as const

export const NOTIFY_CHANNEL = 'hub_audit'

/** hub_meta rows: the audit key's id (never the key) and the chain's signed head. */
export const META = {head: 'audit_head', keyId: 'audit_key_id', legacyKey: 'audit_key'} as const

const MIGRATIONS: ReadonlyArray<{sql: string; version: number}> = [
  {
    version: 1,
    sql: `
CREATE TABLE hub_meta (name text PRIMARY KEY, value text NOT NULL);
CREATE TABLE hub_hosts (
  host text PRIMARY KEY,
  pid integer NOT NULL,
  base text NOT NULL DEFAULT '',
  started_at timestamptz NOT NULL,
  seen_at timestamptz NOT NULL
);
CREATE TABLE hub_requests (
  pending_id text PRIMARY KEY,
  host text NOT NULL,
  agent text,
  waiting boolean NOT NULL,
  expires_ms bigint NOT NULL,
  doc text NOT NULL
);
CREATE INDEX hub_requests_waiting ON hub_requests (pending_id DESC) WHERE waiting;
CREATE INDEX hub_requests_waiting_agent ON hub_requests (agent) WHERE waiting;
CREATE INDEX hub_requests_expiry ON hub_requests (host, expires_ms) WHERE waiting;
CREATE TABLE hub_decisions (
  pending_id text PRIMARY KEY,
  agent text,
  refused boolean NOT NULL,
  decided_ms bigint NOT NULL,
  doc text NOT NULL
);
CREATE INDEX hub_decisions_agent ON hub_decisions (agent, decided_ms) WHERE refused;
CREATE INDEX hub_decisions_decided ON hub_decisions (decided_ms);
CREATE TABLE hub_claims (
  pending_id text PRIMARY KEY,
  run_id text NOT NULL UNIQUE,
  host text NOT NULL,
  state text NOT NULL,
  started boolean NOT NULL,
  doc text NOT NULL
);
CREATE INDEX hub_claims_to_start ON hub_claims (host) WHERE NOT started;
CREATE INDEX hub_claims_state ON hub_claims (host, state);
CREATE TABLE hub_runs (
  run_id text PRIMARY KEY,
  pending_id text,
  agent text,
  host text,
  finished_at timestamptz NOT NULL,
  summary text NOT NULL,
  doc text NOT NULL
);
CREATE INDEX hub_runs_finished ON hub_runs (finished_at DESC, run_id DESC);
CREATE INDEX hub_runs_agent ON hub_runs (agent, finished_at DESC);
CREATE TABLE hub_audit (
  seq bigint PRIMARY KEY,
  ts timestamptz NOT NULL,
  event text NOT NULL,
  pending_id text,
  run_id text,
  line text NOT NULL
);
CREATE INDEX hub_audit_ts ON hub_audit (ts);
CREATE INDEX hub_audit_event ON hub_audit (event, seq);
CREATE INDEX hub_audit_pending ON hub_audit (pending_id) WHERE pending_id IS NOT NULL;
CREATE INDEX hub_audit_run ON hub_audit (run_id) WHERE run_id IS NOT NULL;
`,
  },
  {
    // Queries (`hub audit --client/--agent`, `hub runs --failed`) filter in SQL with an index, and the
    // audit key leaves the database: only its id is kept (audit-key.ts moves a key found there).
    version: 2,
    sql: `
ALTER TABLE hub_audit ADD COLUMN client text, ADD COLUMN actor text;
UPDATE hub_audit SET client = line::json->>'client', actor = line::json->'actor'->>'token';
CREATE INDEX hub_audit_client ON hub_audit (client, seq) WHERE client IS NOT NULL;
CREATE INDEX hub_audit_actor ON hub_audit (actor, seq) WHERE actor IS NOT NULL;
ALTER TABLE hub_runs ADD COLUMN failed boolean NOT NULL DEFAULT FALSE;
UPDATE hub_runs SET failed = coalesce(summary::json->>'exit_code', '') <> '0'
  OR summary::json->>'timed_out' = 'true' OR summary::json->>'interrupted' = 'true';
CREATE INDEX hub_runs_failed ON hub_runs (run_id DESC) WHERE failed;
`,
  },
]

export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version

/** Applies the migrations this database lacks; returns the versions applied. */
export async function migrate(client: PoolClient): Promise<number[]> {
  await client.query('BEGIN')
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [LOCKS.migrate])
    await client.query(
      'CREATE TABLE IF NOT EXISTS hub_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL)',
    )
    const {rows} = await client.query<{version: number}>('SELECT version FROM hub_schema')
    const have = new Set(rows.map((r) => r.version))
    const newest = Math.max(0, ...have)
    if (newest > SCHEMA_VERSION) {
      throw new HubError(
        'storage_unavailable',
        `The database has schema version ${newest}; this hub knows versions up to ${SCHEMA_VERSION}.`,
        {hint: 'Upgrade this hub to the version the other daemons run.'},
      )
    }

    const applied: number[] = []
    for (const m of MIGRATIONS) {
      if (have.has(m.version)) continue
      await client.query(m.sql)
      await client.query('INSERT INTO hub_schema (version, applied_at) VALUES ($1, now())', [m.version])
      applied.push(m.version)
    }

    await client.query('COMMIT')
    return applied
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  }
}
