/**
 * One-shot CLI speed (issue 13): every command that talks to the daemon at most 1.3× `hub --version`,
 * measured side by side in one run against a real daemon: `hub pending` and `hub health` in the
 * daemon's directory and from another directory (found through this user's registry), `hub plan`,
 * `hub approve <id> --yes --no-wait` and `hub deny <id>` on a fresh request each round, `hub runs` and
 * `hub denied` (the listings that read files), and `hub tail` until it says it is connected.
 *
 * Rounds run every command once each, so a change in the machine's load weighs on all alike; the
 * figure is each command's best of ROUNDS wall times. Uses the built CLI (`npm run build` first;
 * `npm run bench` does it). HUB_BENCH_ROUNDS overrides the number of rounds.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdir, mkdtemp, readFile, rm} from 'node:fs/promises'
import {availableParallelism, loadavg, tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'

import {HubClient} from '../src/lib/client.js'

const REPO = resolve(import.meta.dirname, '..')
const BIN = join(REPO, 'bin', 'run.js')
const ROUNDS = Number(process.env.HUB_BENCH_ROUNDS ?? 7)
const GOAL = 1.3

interface Row {
  figures: string
  goal: string
  pass: boolean
  ratio: number
  what: string
}

function fmt(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`
}

async function waitForFile(path: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000
  for (;;) {
    if (await readFile(path, 'utf8').catch(() => undefined)) return
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the daemon did not start (${path})`)
    await new Promise((r) => {
      setTimeout(r, 50)
    })
  }
}

/**
 * Wall time of one command to its exit; with `until`, to the moment its stderr shows that text (then
 * it is stopped: `hub tail` runs until Ctrl-C).
 */
async function timeOne(args: string[], cwd: string, env: NodeJS.ProcessEnv, until?: RegExp): Promise<number> {
  const t0 = performance.now()
  const child = spawn(process.execPath, [BIN, ...args], {cwd, env, stdio: ['ignore', 'ignore', 'pipe']})
  let stderr = ''
  return new Promise((resolvePromise, reject) => {
    let seenAt: number | undefined
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      if (until && seenAt === undefined && until.test(stderr)) {
        seenAt = performance.now() - t0
        child.kill('SIGINT')
      }
    })
    child.on('error', reject)
    child.on('close', (code) => {
      if (seenAt !== undefined) resolvePromise(seenAt)
      else if (code === 0 && !until) resolvePromise(performance.now() - t0)
      else reject(new Error(`hub ${args.join(' ')} exited ${code}: ${stderr}`))
    })
  })
}

export async function run(): Promise<void> {
  const base = await mkdtemp(join(tmpdir(), 'hub-bench-cli-'))
  const root = join(base, 'project')
  const elsewhere = join(base, 'elsewhere')
  await mkdir(root)
  await mkdir(elsewhere)
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AGENT_HUB_'))),
    // Its own registry, so that the developer's daemons are not among the candidates.
    XDG_RUNTIME_DIR: join(base, 'xdg'),
    AGENT_HUB_LOG_LEVEL: 'WARNING',
    AGENT_HUB_RATE_LIMIT_REQUESTS: '1000000',
    NO_COLOR: '1',
  }
  const daemon = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {cwd: root, env, stdio: 'ignore'})
  try {
    await waitForFile(join(root, 'runtime', 'daemon.json'), daemon)
    const info = JSON.parse(await readFile(join(root, 'runtime', 'daemon.json'), 'utf8')) as {base: string}
    const agent = new HubClient({
      base: info.base,
      token: (await readFile(join(root, 'runtime', 'agent_hub_token.txt'), 'utf8')).trim(),
    })

    const fresh = async (): Promise<string> => (await agent.plan({command: 'true', note: 'bench'})).pending_id
    const commands: Array<{args: () => Promise<string[]> | string[]; cwd: string; until?: RegExp; what: string}> = [
      {what: 'hub --version', cwd: root, args: () => ['--version']},
      {what: 'hub pending', cwd: root, args: () => ['pending']},
      {what: 'hub pending (another directory, via the registry)', cwd: elsewhere, args: () => ['pending']},
      {what: 'hub health', cwd: root, args: () => ['health']},
      {what: 'hub plan <command>', cwd: root, args: () => ['plan', 'true', '--note', 'bench']},
      {
        what: 'hub approve <id> --yes --no-wait',
        cwd: root,
        args: async () => ['approve', await fresh(), '--yes', '--no-wait'],
      },
      {what: 'hub deny <id>', cwd: root, args: async () => ['deny', await fresh(), '--reason', 'bench']},
      {what: 'hub runs', cwd: root, args: () => ['runs']},
      {what: 'hub denied', cwd: root, args: () => ['denied']},
      {what: 'hub tail (until connected)', cwd: root, args: () => ['tail'], until: /connected to /},
    ]
    const best = commands.map(() => Number.POSITIVE_INFINITY)
    // One warm-up round: the first run of each pays for a cold page cache.
    for (let round = 0; round <= ROUNDS; round++) {
      for (const [k, c] of commands.entries()) {
        const args = await c.args()
        const ms = await timeOne(args, c.cwd, env, c.until)
        if (round > 0) best[k] = Math.min(best[k]!, ms)
      }
    }

    await agent.close()
    console.log(
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} on ${availableParallelism()} CPUs; best of ${ROUNDS} rounds`,
    )
    const version = best[0]!
    const rows: Row[] = commands.slice(1).map((c, i) => {
      const ratio = best[i + 1]! / version
      return {
        what: `${c.what} vs hub --version`,
        figures: `${fmt(best[i + 1]!)} vs ${fmt(version)}`,
        ratio,
        goal: `≤ ${GOAL}×`,
        pass: ratio <= GOAL,
      }
    })
    const head = ['measure', `figures (best of ${ROUNDS})`, 'ratio', 'goal', '']
    const table = rows.map((r) => [r.what, r.figures, `${r.ratio.toFixed(2)}×`, r.goal, r.pass ? 'PASS' : 'FAIL'])
    const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)))
    const line = (cells: string[]): string =>
      cells
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd()
    console.log('')
    console.log(line(head))
    console.log(line(widths.map((w) => '-'.repeat(w))))
    for (const row of table) console.log(line(row))
    console.log('')
    if (rows.some((r) => !r.pass)) process.exitCode = 1
  } finally {
    const exited = new Promise((r) => {
      daemon.once('exit', r)
    })
    if (daemon.exitCode === null) {
      daemon.kill('SIGTERM')
      await exited
    }

    await rm(base, {recursive: true, force: true})
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await run()
}
