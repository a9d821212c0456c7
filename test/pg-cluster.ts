/**
 * A throwaway PostgreSQL cluster for tests: `initdb` in a temporary directory, `pg_ctl start` on
 * 127.0.0.1 and a free port, stopped and removed after. PostgreSQL refuses to run as root, so when the
 * tests run as root the cluster runs as the `postgres` system user (the directory is chowned to it).
 * When the server binaries are absent, `findPostgres()` says so and the caller skips loudly.
 */
import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import {chmod, chown, mkdtemp, rm} from 'node:fs/promises'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

const run = promisify(execFile)

const CANDIDATES = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin']

export interface PgCluster {
  dir: string
  port: number
  stop(): Promise<void>
  /** A connection URL for a fresh database of that name (created on first call). */
  url(database: string): Promise<string>
}

/** The directory holding initdb and pg_ctl, or undefined when PostgreSQL is not installed. */
export function findPostgres(): string | undefined {
  const fromEnv = process.env.HUB_TEST_PG_BIN
  if (fromEnv && existsSync(join(fromEnv, 'initdb'))) return fromEnv
  return CANDIDATES.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')))
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const {port} = srv.address() as {port: number}
      srv.close(() => resolve(port))
    })
  })
}

interface Ids {
  gid: number
  uid: number
}

async function postgresIds(): Promise<Ids | undefined> {
  if (process.getuid?.() !== 0) return undefined
  const {stdout} = await run('id', ['-u', 'postgres'])
  const {stdout: gid} = await run('id', ['-g', 'postgres'])
  return {uid: Number(stdout.trim()), gid: Number(gid.trim())}
}

export async function startCluster(bin: string): Promise<PgCluster> {
  const base = await mkdtemp(join(tmpdir(), 'hub-pg-'))
  const dir = join(base, 'data')
  const ids = await postgresIds()
  const as = ids ? {uid: ids.uid, gid: ids.gid} : {}
  if (ids) {
    await chown(base, ids.uid, ids.gid)
    await chmod(base, 0o700)
  }

  await run(join(bin, 'initdb'), ['-D', dir, '-U', 'hub', '--auth=trust', '-E', 'utf8', '--no-sync'], {
    ...as,
    cwd: base,
  })
  const port = await freePort()
  const opts = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    `-c unix_socket_directories=${base}`,
    '-c max_connections=200',
    '-c fsync=on',
  ].join(' ')
  await run(join(bin, 'pg_ctl'), ['-D', dir, '-o', opts, '-l', join(base, 'log'), '-w', '-t', '60', 'start'], {
    ...as,
    cwd: base,
  })
  const created = new Set<string>()
  return {
    dir,
    port,
    async url(database: string): Promise<string> {
      if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`bad database name ${database}`)
      if (!created.has(database)) {
        const {default: pg} = await import('pg')
        const admin = new pg.Client({host: '127.0.0.1', port, user: 'hub', database: 'postgres'})
        await admin.connect()
        await admin.query(`CREATE DATABASE ${database}`)
        await admin.end()
        created.add(database)
      }

      return `postgres://hub@127.0.0.1:${port}/${database}`
    },
    async stop(): Promise<void> {
      await run(join(bin, 'pg_ctl'), ['-D', dir, '-m', 'immediate', '-w', 'stop'], {...as, cwd: base}).catch(() => {})
      await rm(base, {recursive: true, force: true})
    },
  }
}
