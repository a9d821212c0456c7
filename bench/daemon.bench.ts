import {execa} from 'execa'
/**
 * Daemon speed (issue 6), side by side in one run:
 *  - durable POST /plan throughput with 32 concurrent clients (autocannon, a second process),
 *    beside the daemon's own GET /status;
 *  - time from approve to the record of `true`, beside a bare `bash -c true` spawn.
 * Uses the built CLI (`npm run build` first; `npm run bench` does it).
 */
import {spawn, spawnSync} from 'node:child_process'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'

import {HubClient} from '../src/lib/client.js'

const REPO = resolve(import.meta.dirname, '..')
const BIN = join(REPO, 'bin', 'run.js')
const AUTOCANNON = join(REPO, 'node_modules', 'autocannon', 'autocannon.js')

interface Daemon {
  agent: string
  base: string
  operator: string
  stop(): Promise<void>
}

async function startDaemon(root: string): Promise<Daemon> {
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AGENT_HUB_'))),
    AGENT_HUB_ROOT: root,
    AGENT_HUB_RATE_LIMIT_REQUESTS: '1000000',
    AGENT_HUB_MAX_PENDING_PER_AGENT: '1000000',
    AGENT_HUB_LOG_LEVEL: 'WARNING',
  }
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const deadline = Date.now() + 20_000
  let info: undefined | {base: string}
  while (!info) {
    if (Date.now() > deadline) throw new Error('daemon did not start')
    await new Promise((r) => {
      setTimeout(r, 50)
    })
    info = await readFile(join(root, 'runtime', 'daemon.json'), 'utf8').then(
      (t) => JSON.parse(t) as {base: string},
      () => undefined,
    )
  }

  const agent = (await readFile(join(root, 'runtime', 'agent_hub_token.txt'), 'utf8')).trim()
  const operator = (await readFile(join(root, 'runtime', 'operator_token.txt'), 'utf8')).trim()
  return {
    base: info.base,
    agent,
    operator,
    stop: () =>
      new Promise((res) => {
        child.once('exit', () => res())
        child.kill('SIGTERM')
      }),
  }
}

interface CannonResult {
  errors: number
  latency: {p50: number; p99: number}
  non2xx: number
  requests: {average: number}
}

function cannon(args: string[]): CannonResult {
  const r = spawnSync(process.execPath, [AUTOCANNON, '--json', ...args], {encoding: 'utf8', maxBuffer: 64 << 20})
  if (r.status !== 0) throw new Error(`autocannon failed: ${r.stderr}`)
  return JSON.parse(r.stdout) as CannonResult
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

export async function run(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'hub-bench-daemon-'))
  const d = await startDaemon(root)
  try {
    const seconds = '5'
    // Warm-up, so JIT and first-file costs are not in the figures.
    cannon([
      '-c',
      '8',
      '-d',
      '1',
      '-m',
      'POST',
      '-H',
      `x-agent-token=${d.agent}`,
      '-H',
      'content-type=application/json',
      '-b',
      JSON.stringify({command: 'echo warm'}),
      `${d.base}/plan`,
    ])
    const plan = cannon([
      '-c',
      '32',
      '-d',
      seconds,
      '-m',
      'POST',
      '-H',
      `x-agent-token=${d.agent}`,
      '-H',
      'content-type=application/json',
      '-b',
      JSON.stringify({command: 'echo bench', note: 'throughput'}),
      `${d.base}/plan`,
    ])
    const status = cannon(['-c', '32', '-d', seconds, `${d.base}/status`])

    // Approve → record of `true`, against a bare spawn measured in the same run.
    const client = new HubClient({base: d.base, token: d.operator})
    const agent = new HubClient({base: d.base, token: d.agent})
    const approveMs: number[] = []
    const spawnMs: number[] = []
    for (let i = 0; i < 40; i++) {
      const {pending_id} = await agent.plan({command: 'true'})
      const t0 = performance.now()
      await client.approve(pending_id)
      approveMs.push(performance.now() - t0)
      const t1 = performance.now()
      await execa('bash', ['-c', 'true'])
      spawnMs.push(performance.now() - t1)
    }

    await client.close()
    await agent.close()
    const approveMed = median(approveMs.slice(5))
    const spawnMed = median(spawnMs.slice(5))

    const rows: Array<[string, string, string, string]> = [
      [
        'POST /plan, 32 clients, durable',
        `${plan.requests.average.toFixed(0)} req/s ` +
          `(p50 ${plan.latency.p50} ms, p99 ${plan.latency.p99} ms, non-2xx ${plan.non2xx})`,
        '≥ 1000 req/s',
        plan.requests.average >= 1000 && plan.non2xx === 0 ? 'PASS' : 'FAIL',
      ],
      ['GET /status, 32 clients', `${status.requests.average.toFixed(0)} req/s`, 'reference', ''],
      ['plan / status ratio', `${(plan.requests.average / status.requests.average).toFixed(2)}`, '', ''],
      ['approve → record of `true` (median)', `${approveMed.toFixed(2)} ms`, '', ''],
      ['bare `bash -c true` spawn (median)', `${spawnMed.toFixed(2)} ms`, '', ''],
      [
        'approve − spawn',
        `${(approveMed - spawnMed).toFixed(2)} ms`,
        '≤ 15 ms',
        approveMed - spawnMed <= 15 ? 'PASS' : 'FAIL',
      ],
    ]
    console.log('\n## daemon')
    for (const [name, value, goal, verdict] of rows)
      console.log(`${name.padEnd(38)} ${value.padEnd(58)} ${goal.padEnd(14)} ${verdict}`)
  } finally {
    await d.stop()
    await rm(root, {recursive: true, force: true})
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run()
