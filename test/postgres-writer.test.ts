/**
 * The PostgreSQL store's group-commit writer on a real database: a transition queued by the code that
 * an earlier commit woke up (a run's start line, written by the approval's continuation) is committed
 * on its own, without waiting for some later write to come along. CI once caught the opposite: a
 * run's `run_started` line reached the table only when the run ended.
 */
import pg from 'pg'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {AuditKey} from '../src/lib/audit/key.js'
import {createLogger} from '../src/lib/logger.js'
import {migrate} from '../src/lib/stores/postgres/schema.js'
import {AuditWriter} from '../src/lib/stores/postgres/writer.js'
import {waitFor} from './helpers.js'
import {findPostgres, type PgCluster, startCluster} from './pg-cluster.js'

const PG_BIN = findPostgres()

describe.skipIf(!PG_BIN)('the PostgreSQL audit writer', () => {
  let cluster: PgCluster
  let pool: pg.Pool
  let writer: AuditWriter

  beforeAll(async () => {
    cluster = await startCluster(PG_BIN!)
    pool = new pg.Pool({connectionString: await cluster.url('hub_writer'), max: 4})
    const client = await pool.connect()
    await migrate(client)
    client.release()
    writer = new AuditWriter({
      pool,
      key: new AuditKey(Buffer.alloc(32, 7)),
      keyedFrom: 1,
      committed() {},
      log: createLogger({level: 'ERROR'}),
    })
  }, 120_000)

  afterAll(async () => {
    await writer?.close()
    await pool?.end()
    await cluster?.stop()
  })

  const events = async (): Promise<string[]> =>
    (await pool.query<{event: string}>('SELECT event FROM hub_audit ORDER BY seq')).rows.map((r) => r.event)

  // However many awaits the woken code takes before it writes, its line must not be left queued.
  for (const hops of [0, 1, 2, 3, 5, 8, 13]) {
    it(`commits a line queued ${hops} await(s) after an earlier commit resolved`, async () => {
      const before = (await events()).length
      await writer.run(async () => [{event: 'command_approved', pending_id: `p${hops}`}])
      for (let i = 0; i < hops; i++) await Promise.resolve()
      const started = writer.run(async () => [{event: 'run_started', pending_id: `p${hops}`}])
      // No further write follows: the line has to get there on its own.
      const lines = await waitFor(async () => {
        const all = await events()
        return all.length === before + 2 ? all : undefined
      }, `the run_started line queued after ${hops} await(s)`)
      expect(lines.slice(-2)).toEqual(['command_approved', 'run_started'])
      await started
    })
  }
})
