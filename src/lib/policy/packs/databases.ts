/**
 * Databases (SPEC §4.3), whatever carries the command: SQL given to a client on its command line,
 * in a here-document or here-string, or piped in; MongoDB and Redis commands; the tools that drop
 * databases; framework tasks that wipe them; a DELETE sent to a search index. The same inside
 * `docker exec` and `kubectl exec`, which the engine unwraps.
 */

import type {Cmd} from '../command.js'

import {producedText} from '../normalise.js'
import {parseOptions} from '../options.js'
import {type CommandRule, commandRule, type RuleEnv} from '../rules.js'

/** SQL that destroys data or schema, in words, or null. Comments and string literals are ignored. */
export function destructiveSql(text: string): null | string {
  const sql = text
    .replaceAll(/--[^\n]*/g, ' ')
    .replaceAll(/\/\*[\s\S]*?\*\//g, ' ')
    .replaceAll(/'(?:[^']|'')*'/g, "''")
  for (const statement of sql.split(';')) {
    const s = statement.trim().replaceAll(/\s+/g, ' ')
    let m = /^drop (database|schema|table|user|role|owned|tablespace|collection|keyspace)\b/i.exec(s)
    if (m) return `DROP ${(m[1] as string).toUpperCase()}: deletes it with all its data`
    if (/^truncate\b/i.test(s)) return 'TRUNCATE: deletes every row'
    m = /^delete from ([^\s]+)(.*)$/i.exec(s)
    if (m && !/\bwhere\b/i.test(m[2] ?? '')) return `DELETE FROM ${m[1]} without WHERE: deletes every row`
    if (m && /\bwhere\s+(?:1\s*=\s*1|true|'1'\s*=\s*'1')\s*$/i.test(m[2] ?? ''))
      return `DELETE FROM ${m[1]} WHERE always true: deletes every row`
    m = /^update ([^\s]+) set (.*)$/i.exec(s)
    if (m && !/\bwhere\b/i.test(m[2] ?? '')) return `UPDATE ${m[1]} without WHERE: overwrites every row`
    if (/^alter table \S+ drop\b/i.test(s)) return 'ALTER TABLE … DROP: deletes a column or constraint with its data'
    if (/^(?:drop|delete)\b/i.test(s) && /\b(?:database|schema|table)\b/i.test(s))
      return `${s.slice(0, 40)}: deletes data`
  }

  return null
}

/** MongoDB shell code that destroys data, in words, or null. */
export function destructiveMongo(text: string): null | string {
  if (/\.dropDatabase\s*\(/.test(text)) return 'dropDatabase(): deletes the whole database'
  if (/\.drop\s*\(\s*\)/.test(text)) return 'drop(): deletes a whole collection'
  if (/\.dropAllUsers\s*\(/.test(text)) return 'dropAllUsers(): deletes every user'
  if (/\.(?:deleteMany|remove)\s*\(\s*(?:\{\s*\})?\s*[,)]/.test(text))
    return 'deleteMany({}) / remove({}): deletes every document'
  return null
}

const SQL_CLIENTS = new Set([
  'psql',
  'mysql',
  'mariadb',
  'sqlite3',
  'sqlite',
  'sqlcmd',
  'clickhouse-client',
  'clickhouse',
  'duckdb',
  'cockroach',
  'cqlsh',
  'snowsql',
  'bq',
  'trino',
  'presto',
  'isql',
  'usql',
  'pgcli',
  'mycli',
  'litecli',
])

/** Text a client reads on standard input: here-document, here-string, or what visible commands pipe in. */
function stdinText(cmd: Cmd, env: RuleEnv): string[] {
  const out: string[] = []
  for (const r of cmd.raw.redirects) {
    if (r.heredoc) out.push(r.heredoc.body)
    else if (r.op === '<<<' && r.target) out.push(r.target.value)
  }

  for (const p of env.producers(cmd)) {
    const text = producedText(p)
    if (text !== null) out.push(text)
  }

  return out
}

/** The SQL (or shell language) a client is given on its command line. */
function inlineQueries(cmd: Cmd): string[] {
  const a = cmd.args
  const out: string[] = []
  const valueOf = (i: number): string | undefined => a[i + 1]?.value
  for (let i = 0; i < a.length; i++) {
    const v = (a[i] as (typeof a)[number]).value
    const m = /^(?:--command|--execute|--query|--eval|-e|-c|-Q|-q)(?:=(.*))?$/.exec(v)
    if (m) {
      const q = m[1] ?? valueOf(i)
      if (q !== undefined) out.push(q)
      continue
    }

    const attached = /^-[ecQq](.+)$/.exec(v)
    if (attached && cmd.name !== 'psql') out.push(attached[1] as string)
  }

  // sqlite3 DB "SQL", duckdb DB "SQL", cockroach sql -e: operands after the database are SQL.
  if (cmd.name === 'sqlite3' || cmd.name === 'sqlite' || cmd.name === 'duckdb' || cmd.name === 'litecli') {
    const {operands} = parseOptions(a, {shortValue: 'cmdsn', longValue: ['cmd', 'separator', 'nullvalue']})
    for (const w of operands.slice(1)) out.push(w.value)
  }

  return out
}

const sqlRule = commandRule({
  id: 'destructive.database-command',
  pack: 'destructive',
  decision: 'deny',
  reason: 'deletes databases, tables or every row (DROP, TRUNCATE, DELETE without WHERE, FLUSHALL, dropDatabase)',
  programs: [...SQL_CLIENTS, 'mongosh', 'mongo', 'redis-cli', 'valkey-cli', 'keydb-cli'],
  examples: {
    match: [
      'psql -c "DROP DATABASE app"',
      'mysql -e "TRUNCATE TABLE orders" shop',
      'sqlite3 app.db "DELETE FROM users"',
      'echo "drop table x" | psql',
      'psql app <<< "DROP TABLE users"',
      'sqlcmd -Q "DROP DATABASE Sales"',
      'mongosh --eval "db.dropDatabase()"',
      'redis-cli FLUSHALL',
      'echo flushdb | redis-cli',
    ],
    not_match: [
      'psql -c "SELECT 1"',
      'psql -c "DELETE FROM s WHERE id = 1"',
      'sqlite3 app.db ".tables"',
      'mongosh --eval "db.users.find()"',
      'redis-cli ping',
      'mysql -e "SHOW TABLES"',
    ],
  },
  check(cmd, env) {
    const texts = [...inlineQueries(cmd), ...stdinText(cmd, env)]
    if (cmd.name.endsWith('-cli') && cmd.name !== 'clickhouse-client') {
      const words = [...cmd.argv, ...texts.flatMap((t) => t.split(/\s+/))]
      const flush = words.find((w) => /^flush(?:all|db)$/i.test(w))
      return flush ? `${cmd.name} ${flush.toUpperCase()}: deletes every key` : null
    }

    for (const t of texts) {
      const why = cmd.name.startsWith('mongo') ? destructiveMongo(t) : (destructiveSql(t) ?? destructiveMongo(t))
      if (why) return `${cmd.name}: ${why}`
    }

    return null
  },
})

const DROP_TOOLS = commandRule({
  id: 'destructive.database-tools',
  pack: 'destructive',
  decision: 'deny',
  reason: 'drops a database, user or cluster, or wipes one through a framework task (db:drop, migrate reset, flush)',
  examples: {
    match: [
      'dropdb app',
      'mysqladmin drop shop',
      'rails db:drop',
      'bundle exec rake db:reset',
      'npx prisma migrate reset --force',
      'python manage.py flush --noinput',
      'php artisan migrate:fresh',
      'mix ecto.drop',
      'dotnet ef database drop -f',
      'flyway clean',
      'supabase db reset',
      'etcdctl del "" --prefix',
      'alembic downgrade base',
      'flask db downgrade base',
      'rails db:rollback STEP=10',
      'bin/rails db:migrate VERSION=0',
      'npx sequelize db:migrate:undo:all',
      'python manage.py migrate app zero',
      'migrate -path db/migrations -database "$DB" down -all',
    ],
    not_match: [
      'rails db:migrate',
      'npx prisma migrate dev',
      'python manage.py migrate',
      'php artisan migrate',
      'createdb app',
      'mix ecto.migrate',
      'alembic upgrade head',
      'alembic downgrade -1',
      'flask db downgrade',
      'rails db:rollback',
      'npx sequelize db:migrate:undo',
      'python manage.py migrate app 0003',
      'migrate -path db/migrations -database "$DB" down 1',
      'migrate -path db/migrations -database "$DB" up',
    ],
  },
  check(cmd) {
    if (/^(?:dropdb|dropuser|pg_dropcluster|dropuser)$/.test(cmd.name)) return `${cmd.name}: deletes it for good`
    const words = [cmd.name, ...cmd.argv.map((a) => a.toLowerCase())]
    const line = words.join(' ')
    // Every command passes here (framework tasks hide behind bundle/npx/poetry/docker exec …): one test
    // of all the patterns at once, and the list is searched only for the reason of a match.
    if (!ANY_DESTRUCTIVE_TASK.test(line)) return null
    const hit = DESTRUCTIVE_TASKS.find(([re]) => re.test(line))
    return hit ? hit[1] : null
  },
})

const DESTRUCTIVE_TASKS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^mysqladmin\b.*\bdrop\b/, 'mysqladmin drop: deletes a database'],
  [
    /\b(?:rails|rake)\b.*\bdb:(?:drop|reset|purge|schema:load|structure:load|setup:replant)\b/,
    'deletes or reloads the database',
  ],
  [/\bprisma\b.*\bmigrate reset\b/, 'prisma migrate reset: deletes the database and re-creates it'],
  [/\bprisma\b.*\bdb push\b.*--(?:force-reset|accept-data-loss)/, 'prisma db push --force-reset: deletes the data'],
  [/\b(?:manage\.py|django-admin)\b.*\b(?:flush|reset_db|sqlflush)\b/, 'Django flush: deletes every row'],
  [
    /\bartisan\b.*\b(?:migrate:fresh|migrate:reset|migrate:refresh|db:wipe)\b/,
    'Laravel migrate:fresh/db:wipe: deletes every table',
  ],
  [/\bsequelize(?:-cli)?\b.*\bdb:drop\b/, 'sequelize db:drop: deletes the database'],
  [/\bknex\b.*\bmigrate:rollback\b.*--all\b/, 'knex migrate:rollback --all: undoes every migration'],
  [/\btypeorm\b.*\bschema:drop\b/, 'typeorm schema:drop: deletes every table'],
  [/\bmix\b.*\becto\.(?:drop|reset)\b/, 'ecto.drop/ecto.reset: deletes the database'],
  [/\bef\b.*\bdatabase drop\b/, 'dotnet ef database drop: deletes the database'],
  [/^flyway\b.*\bclean\b/, 'flyway clean: deletes every object in the schemas'],
  [/^liquibase\b.*\b(?:drop-all|dropall)\b/, 'liquibase drop-all: deletes every object'],
  [/\bdrizzle-kit\b.*\bdrop\b/, 'drizzle-kit drop: deletes migrations'],
  [/^supabase\b.*\bdb reset\b/, 'supabase db reset: deletes the local database'],
  [/^etcdctl\b.*\bdel\b.*--prefix|^etcdctl\b.*\bdel\b.*--from-key/, 'etcdctl del --prefix: deletes every key'],
  [/^influx\b.*\b(?:delete|bucket delete)\b/, 'influx delete: deletes stored points'],
  [/^heroku\b.*\bpg:reset\b/, 'heroku pg:reset: deletes the database'],
  // Migrations run back to zero: every table they created is dropped with its rows (one step back stays ask).
  [/\b(?:alembic|flask db)\b.*\bdowngrade\b.*\bbase\b/, 'downgrade base: undoes every migration, dropping the tables'],
  [/\b(?:rails|rake)\b.*\bdb:rollback\b.*\bstep=/, 'rails db:rollback STEP=: undoes several migrations, dropping data'],
  [
    /\b(?:rails|rake)\b.*\bdb:migrate(?::reset|:redo)?\b.*\bversion=0+\b/,
    'db:migrate VERSION=0: undoes every migration',
  ],
  [/\b(?:rails|rake)\b.*\bdb:migrate:reset\b/, 'db:migrate:reset: drops and re-creates the database'],
  [/\bsequelize(?:-cli)?\b.*\bdb:(?:migrate|seed):undo:all\b/, 'sequelize undo:all: undoes every migration or seed'],
  [/\b(?:manage\.py|django-admin)\b.*\bmigrate\s+\S+\s+zero\b/, 'migrate <app> zero: drops every table of the app'],
  [/\bmix\b.*\becto\.rollback\b.*--all\b/, 'ecto.rollback --all: undoes every migration'],
  [/\bgoose\b.*\b(?:reset|down-to 0)\b/, 'goose reset: undoes every migration'],
  [/^migrate\b.*\bdown\b(?!\s+\d)|^migrate\b.*\bdrop\b/, 'migrate down/drop: undoes every migration'],
  [/\b(?:sqlx|diesel)\b.*\bdatabase (?:drop|reset)\b/, 'database drop/reset: deletes the database'],
  [/^dbmate\b.*\bdrop\b/, 'dbmate drop: deletes the database'],
]

const ANY_DESTRUCTIVE_TASK = new RegExp(DESTRUCTIVE_TASKS.map(([re]) => `(?:${re.source})`).join('|'))

/** `curl -X DELETE` to a search cluster (Elasticsearch / OpenSearch on 9200, or `_all`). */
const searchDelete = commandRule({
  id: 'destructive.search-index-delete',
  pack: 'destructive',
  decision: 'deny',
  reason: 'sends DELETE to a search cluster (Elasticsearch / OpenSearch): deletes indices with their documents',
  programs: ['curl', 'http', 'https', 'xh'],
  examples: {
    match: ['curl -X DELETE http://localhost:9200/logs', 'curl -XDELETE "localhost:9200/_all"', 'http DELETE :9200/x'],
    not_match: ['curl -X DELETE http://localhost:3000/api/todos/1', 'curl localhost:9200/_cat/indices'],
  },
  check(cmd) {
    const a = cmd.argv
    const del =
      a.some(
        (v, i) => /^-X ?DELETE$/i.test(v) || ((v === '-X' || v === '--request') && /^delete$/i.test(a[i + 1] ?? '')),
      ) ||
      a.some((v) => /^-XDELETE$/i.test(v) || /^--request=delete$/i.test(v)) ||
      (cmd.name !== 'curl' && a.includes('DELETE'))
    if (!del) return null
    const url = a.find((v) => /:920[0-9]\b|\/_all\b|\/\*/.test(v))
    return url ? `DELETE ${url}: deletes search indices` : null
  },
})

export const databaseRules: readonly CommandRule[] = [sqlRule, DROP_TOOLS, searchDelete]
