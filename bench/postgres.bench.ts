/**
 * Team store speed (issue 16): durable POST /plan per second with 32 concurrent clients (autocannon,
 * a second process), against a daemon on the runtime files and a daemon on a throwaway PostgreSQL
 * cluster (initdb in a temporary directory, fsync on, as in production), in the same run, side by
 * side. Goal: PostgreSQL at least half the file store's throughput on this machine.
 * Skipped, saying so, when the PostgreSQL server binaries are absent.
 */
import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'

import {findPostgres, startCluster} from '../test/pg-cluster.js'

const REPO = resolve(import.meta.dirname, '..')
const BIN = join(REPO, 'bin', 'run.js')
const AUTOCANNON = join(REPO, 'node_modules', 'autocannon', 'autocannon.js')

interface Daemon {
  agent: string
  base: string
  child: ChildProcess
}

async function startDaemon(root: string, extra: Record<string, string>): Promise<Daemon> {
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AGENT_HUB_'))),
    AGENT_HUB_ROOT: root,
    AGENT_HUB_RATE_LIMIT_REQUESTS: '1000000',
    AGENT_HUB_MAX_PENDING_PER_AGENT: '1000000',
    AGENT_HUB_LOG_LEVEL: 'WARNING',
    ...extra,
  }
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const deadline = Date.now() + 60_000
  let info: undefined | {base: string}
  while (!info) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('daemon did not start')
    await new Promise((r) => {
      setTimeout(r, 50)
    })
    info = await readFile(join(root, 'runtime', 'daemon.json'), 'utf8').then(
      (t) => JSON.parse(t) as {base: string},
      () => undefined,
    )
  }

  const agent = (await readFile(join(root, 'runtime', 'agent_hub_token.txt'), 'utf8')).trim()
  return {base: info.base, agent, child}
}

async function stop(d: Daemon): Promise<void> {
  if (d.child.exitCode !== null) return
  await new Promise<void>((res) => {
    d.child.once('exit', () => res())
    d.child.kill('SIGTERM')
  })
}

interface CannonResult {
  latency: {p50: number; p99: number}
  non2xx: number
  requests: {average: number}
}

function plan(d: Daemon, clients: number, seconds: number): CannonResult {
  const args = [
    '--json',
    '-c',
    String(clients),
    '-d',
    String(seconds),
    '-m',
    'POST',
    '-H',
    `x-agent-token=${d.agent}`,
    '-H',
    'content-type=application/json',
    '-b',
    JSON.stringify({command: 'echo bench', note: 'throughput'}),
    `${d.base}/plan`,
  ]
  const r = spawnSync(process.execPath, [AUTOCANNON, ...args], {encoding: 'utf8', maxBuffer: 64 << 20})
  if (r.status !== 0) throw new Error(`autocannon failed: ${r.stderr}`)
  return JSON.parse(r.stdout) as CannonResult
}

function measure(d: Daemon): CannonResult {
  // Warm-up, so JIT, first files and the pool's connections are not in the figures.
  plan(d, 8, 1)
  return plan(d, 32, 5)
}

export async function run(): Promise<void> {
  console.log('\n## postgres')
  const bin = findPostgres()
  if (!bin) {
    console.log(
      'SKIPPED: no PostgreSQL server binaries (initdb, pg_ctl); ' +
        'install the `postgresql` package or set HUB_TEST_PG_BIN.',
    )
    return
  }

  const cluster = await startCluster(bin)
  const roots = [await mkdtemp(join(tmpdir(), 'hub-bench-files-')), await mkdtemp(join(tmpdir(), 'hub-bench-pg-'))]
  try {
    const url = await cluster.url('hub_bench')
    const onFiles = await startDaemon(roots[0]!, {})
    let files: CannonResult
    try {
      files = measure(onFiles)
    } finally {
      await stop(onFiles)
    }

    const onPg = await startDaemon(roots[1]!, {AGENT_HUB_STORE: url})
    let pg: CannonResult
    try {
      pg = measure(onPg)
    } finally {
      await stop(onPg)
    }

    const ratio = pg.requests.average / files.requests.average
    const show = (r: CannonResult): string =>
      `${r.requests.average.toFixed(0)} req/s (p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, non-2xx ${r.non2xx})`
    const rows: Array<[string, string, string, string]> = [
      ['POST /plan, 32 clients, files', show(files), 'reference', ''],
      ['POST /plan, 32 clients, PostgreSQL', show(pg), '', pg.non2xx === 0 ? '' : 'FAIL'],
      ['PostgreSQL / files', `${ratio.toFixed(2)}×`, '≥ 0.5×', ratio >= 0.5 && pg.non2xx === 0 ? 'PASS' : 'FAIL'],
    ]
    for (const [name, value, goal, verdict] of rows)
      console.log(`${name.padEnd(38)} ${value.padEnd(58)} ${goal.padEnd(14)} ${verdict}`)
  } finally {
    await cluster.stop()
    for (const root of roots) await rm(root, {recursive: true, force: true})
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run()
