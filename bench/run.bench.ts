/**
 * Cost of a contained run (issue 9), side by side in one run:
 *  - approve → record of `true` through the real daemon, contained with bwrap;
 *  - the same through a daemon with AGENT_HUB_SANDBOX=none;
 *  - a bare `bwrap … bash -c true` with the daemon's own sandbox arguments, spawned from Node;
 *  - a bare `bash -c true`, spawned from Node.
 * Goal: the contained approve at most 5 ms over the bare bwrap spawn. Rounds alternate between the
 * four, so that a busy moment of the machine weighs on all of them alike.
 * Uses the built CLI (`npm run build` first; `npm run bench` does it).
 */
import {spawn} from 'node:child_process'
import {mkdir, mkdtemp, readFile, realpath, rm} from 'node:fs/promises'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {HubClient} from '../src/lib/client.js'
import {bwrapArgs} from '../src/lib/sandbox/bwrap.js'
import {detectSandbox} from '../src/lib/sandbox/index.js'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const BIN = join(REPO, 'bin', 'run.js')
const ROUNDS = 60
const WARMUP = 10
const GOAL_MS = 5

interface Daemon {
  agent: HubClient
  operator: HubClient
  stop(): Promise<void>
}

async function startDaemon(root: string, env: Record<string, string>): Promise<Daemon> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {
    cwd: root,
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AGENT_HUB_'))),
      AGENT_HUB_ROOT: root,
      AGENT_HUB_RATE_LIMIT_REQUESTS: '1000000',
      AGENT_HUB_MAX_PENDING_PER_AGENT: '1000000',
      AGENT_HUB_LOG_LEVEL: 'WARNING',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const deadline = Date.now() + 30_000
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

  const token = async (file: string): Promise<string> => (await readFile(join(root, 'runtime', file), 'utf8')).trim()
  const agent = new HubClient({base: info.base, token: await token('agent_hub_token.txt')})
  const operator = new HubClient({base: info.base, token: await token('operator_token.txt')})
  return {
    agent,
    operator,
    async stop() {
      await agent.close()
      await operator.close()
      await new Promise<void>((res) => {
        child.once('exit', () => res())
        child.kill('SIGTERM')
      })
    },
  }
}

function spawnOnce(file: string, args: string[]): Promise<void> {
  return new Promise((res, rej) => {
    const c = spawn(file, args, {stdio: ['ignore', 'pipe', 'pipe'], cwd: '/'})
    c.stdout.resume()
    c.stderr.resume()
    c.once('error', rej)
    c.once('close', (code) => (code === 0 ? res() : rej(new Error(`${file} exited ${code}`))))
  })
}

async function approveTrue(d: Daemon): Promise<number> {
  const {pending_id} = await d.agent.plan({command: 'true'})
  const t0 = performance.now()
  const record = await d.operator.approve(pending_id!)
  const ms = performance.now() - t0
  if (record.exit_code !== 0) throw new Error(`true exited ${record.exit_code}: ${record.stderr}`)
  return ms
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

export async function run(): Promise<void> {
  // Outside /tmp, so that the runtime directory is hidden by a mount of its own, as in most set-ups.
  await mkdir('/var/tmp', {recursive: true})
  const rootB = await realpath(await mkdtemp('/var/tmp/hub-bench-run-bwrap-'))
  const rootN = await realpath(await mkdtemp('/var/tmp/hub-bench-run-none-'))
  const status = await detectSandbox({sandbox: 'bwrap'})
  if (status.kind !== 'bwrap') throw new Error(`no sandbox on this machine: ${status.reason}`)
  const contained = await startDaemon(rootB, {})
  const uncontained = await startDaemon(rootN, {AGENT_HUB_SANDBOX: 'none'})
  try {
    const workspace = await realpath(join(rootB, 'workspace'))
    const bare = bwrapArgs(
      {kind: 'bwrap', network: true, hide: [join(rootB, 'runtime')], rw: [], workspace},
      workspace,
      {file: 'bash', args: ['-c', 'true']},
    )
    const times = {contained: [] as number[], uncontained: [] as number[], bwrap: [] as number[], bash: [] as number[]}
    for (let i = 0; i < ROUNDS; i++) {
      times.contained.push(await approveTrue(contained))
      times.uncontained.push(await approveTrue(uncontained))
      let t = performance.now()
      await spawnOnce(status.executable!, bare)
      times.bwrap.push(performance.now() - t)
      t = performance.now()
      await spawnOnce('bash', ['-c', 'true'])
      times.bash.push(performance.now() - t)
    }

    const med = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v.slice(WARMUP))])) as Record<
      keyof typeof times,
      number
    >
    const over = med.contained - med.bwrap
    const rows: Array<[string, string, string, string]> = [
      ['approve → record of `true`, bwrap (median)', `${med.contained.toFixed(2)} ms`, '', ''],
      ['bare `bwrap … bash -c true` (median)', `${med.bwrap.toFixed(2)} ms`, '', ''],
      ['approve (bwrap) − bare bwrap', `${over.toFixed(2)} ms`, `≤ ${GOAL_MS} ms`, over <= GOAL_MS ? 'PASS' : 'FAIL'],
      ['approve → record of `true`, none (median)', `${med.uncontained.toFixed(2)} ms`, '', ''],
      ['bare `bash -c true` (median)', `${med.bash.toFixed(2)} ms`, '', ''],
      ['approve (none) − bare bash', `${(med.uncontained - med.bash).toFixed(2)} ms`, 'reference', ''],
      ['bare bwrap − bare bash (the sandbox itself)', `${(med.bwrap - med.bash).toFixed(2)} ms`, 'reference', ''],
    ]
    console.log(`\n## run (bwrap ${status.version}, ${ROUNDS - WARMUP} rounds after ${WARMUP} warm-up)`)
    for (const [name, value, goal, verdict] of rows)
      console.log(`${name.padEnd(46)} ${value.padEnd(12)} ${goal.padEnd(10)} ${verdict}`)
  } finally {
    await contained.stop()
    await uncontained.stop()
    await rm(rootB, {recursive: true, force: true})
    await rm(rootN, {recursive: true, force: true})
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run()
