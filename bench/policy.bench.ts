/**
 * Policy engine speed (issues 3, 10, 12), printed as figures beside their goals:
 *   - one-time parser load (WebAssembly runtime, bash grammar, first parse): goal < 100 ms;
 *     loadPolicy() also warms the engine's own code up, shown beside it
 *   - evaluation of every case of both batteries and the corpus, after load: median < 50 µs, p99 < 1 ms
 *   - `hub policy check` beside `hub --version`, without and with a policy file (fresh processes,
 *     built CLI, taking turns): at most 1.5× each
 *
 * Each measurement runs in a fresh `node` process, so the load is really cold and nothing else in
 * this process (another bench, tsx's transform hooks) is counted. The child imports the built
 * engine (dist/) when it is at least as new as the sources; otherwise it runs the sources through
 * tsx and says so, since tsx adds overhead of its own (HUB_BENCH_POLICY_DIST=<dir> picks another
 * build). Run with `npx tsx bench/policy.bench.ts` (or import and call `run()`); takes about 10 s.
 */
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {availableParallelism, loadavg, tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const PROCESSES = 3
const ROUNDS = 30
const WARM_ROUNDS = 5

const GOALS = {loadMs: 100, medianUs: 50, p99Us: 1000, checkRatio: 1.5}
const CLI_RUNS = 9

/** A small operator's file with examples (SPEC §4.4), for `hub policy check --policy`. */
const POLICY_FILE = {
  packs: {remote: false},
  rules: [
    {
      id: 'npm-test',
      decision: 'allow',
      reason: 'tests are safe',
      program: 'npm',
      args: String.raw`^(test|run lint)\b`,
      examples: {match: ['npm test', 'npm run lint'], not_match: ['npm publish']},
    },
    {
      id: 'no-terraform-destroy',
      decision: 'deny',
      reason: 'destroys infrastructure',
      pattern: String.raw`\bterraform\s+destroy\b`,
      ignore_case: true,
      examples: {match: ['terraform destroy -auto-approve'], not_match: ['terraform plan']},
    },
  ],
}

interface ChildResult {
  cases: number
  firstUs: number
  importMs: number
  loadMs: number
  parts: {grammarMs: number; importMs: number; initMs: number; warmUpMs: number}
  samplesUs: number[]
  slowest: {command: string; us: number}
}

/** Plain ESM run by `node -e` in the child: no TypeScript, no hooks, unless the sources need tsx. */
const CHILD = String.raw`
const [target, parserTarget, roundsArg, warmArg] = process.argv.slice(1)
const rounds = Number(roundsArg), warm = Number(warmArg)
let t = performance.now()
const mod = await import(target)
const importMs = performance.now() - t
t = performance.now()
const engine = await mod.loadPolicy({})
const loadMs = performance.now() - t
const {parserLoadTimings} = await import(parserTarget)
const ctx = {
  cwd: '/srv/hub/workspace',
  workspace: '/srv/hub/workspace',
  runtimeDir: '/srv/hub/runtime',
  policyFile: '/srv/hub/hub.policy.json',
}
const fill = (s) =>
  s
    .replaceAll('{workspace}', ctx.workspace)
    .replaceAll('{runtime}', ctx.runtimeDir)
    .replaceAll('{policy}', ctx.policyFile)
const corpus = await import(new URL('corpus/index.js', target).href).then((m) => m.corpusCases(), () => [])
const cases = [...mod.EVASION_BATTERY, ...mod.HARMLESS_BATTERY, ...corpus].map((c) => ({
  command: fill(c.command),
  ctx: c.cwd ? {...ctx, cwd: c.cwd} : ctx,
}))
t = performance.now()
engine.evaluate(cases[0].command, cases[0].ctx)
const firstUs = (performance.now() - t) * 1000
for (let r = 0; r < warm; r++) for (const c of cases) engine.evaluate(c.command, c.ctx)
const samplesUs = []
let slowest = {command: '', us: 0}
for (let r = 0; r < rounds; r++) {
  for (const c of cases) {
    const s = performance.now()
    engine.evaluate(c.command, c.ctx)
    const us = (performance.now() - s) * 1000
    samplesUs.push(us)
    if (us > slowest.us) slowest = {command: c.command, us}
  }
}
const result = {importMs, loadMs, parts: parserLoadTimings, firstUs, cases: cases.length, samplesUs, slowest}
process.stdout.write(JSON.stringify(result))
`

function newestMtime(dir: string): number {
  let max = 0
  for (const e of readdirSync(dir, {withFileTypes: true})) {
    const p = join(dir, e.name)
    const m = e.isDirectory()
      ? newestMtime(p)
      : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
        ? statSync(p).mtimeMs
        : 0
    max = Math.max(max, m)
  }

  return max
}

/**
 * The built engine when it is current, else the sources through tsx. HUB_BENCH_POLICY_DIST points
 * at another build of src/lib/policy (say, one compiled outside the work tree).
 */
function target(): {args: string[]; index: string; note: string; parser: string} {
  const other = process.env.HUB_BENCH_POLICY_DIST
  if (other) {
    const dir = resolve(other)
    return {
      index: pathToFileURL(join(dir, 'index.js')).href,
      parser: pathToFileURL(join(dir, 'parser.js')).href,
      args: [],
      note: `built engine (${dir}) on plain node`,
    }
  }

  const dist = join(ROOT, 'dist', 'lib', 'policy')
  const built = join(dist, 'index.js')
  if (
    existsSync(built) &&
    existsSync(join(dist, 'parser.js')) &&
    statSync(built).mtimeMs >= newestMtime(join(ROOT, 'src', 'lib', 'policy'))
  ) {
    return {
      index: pathToFileURL(built).href,
      parser: pathToFileURL(join(dist, 'parser.js')).href,
      args: [],
      note: 'built engine (dist/) on plain node',
    }
  }

  const src = join(ROOT, 'src', 'lib', 'policy')
  return {
    index: pathToFileURL(join(src, 'index.ts')).href,
    parser: pathToFileURL(join(src, 'parser.ts')).href,
    args: ['--import', 'tsx'],
    note: 'sources through tsx (dist/ missing or older than src/; `npm run build` for production figures)',
  }
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN
}

function median(values: number[]): number {
  return quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  )
}

function line(label: string, value: string, goal: string, pass: boolean | undefined): string {
  const verdict = pass === undefined ? '' : pass ? 'PASS' : 'FAIL'
  return `  ${label.padEnd(34)} ${value.padStart(10)}   ${goal.padEnd(12)} ${verdict}`
}

/**
 * Median wall time of built CLI invocations, each in a fresh process, in a root with no policy file.
 * The variants take turns, round after round, so a change in the machine's load hits them alike; one
 * unmeasured round first (it also fills the examples' cache, kept in the temporary directory).
 */
function cliMedians(variants: Record<string, string[]>): Record<string, number> {
  const bin = join(ROOT, 'bin', 'run.js')
  const cwd = mkdtempSync(join(tmpdir(), 'hub-bench-cli-'))
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]))
  const env = {...process.env, AGENT_HUB_ROOT: cwd, NO_COLOR: '1', XDG_CACHE_HOME: join(cwd, 'cache')}
  const policy = join(mkdtempSync(join(tmpdir(), 'hub-bench-policy-')), 'hub.policy.json')
  writeFileSync(policy, JSON.stringify(POLICY_FILE))
  try {
    for (let round = 0; round <= CLI_RUNS; round++) {
      for (const [name, args] of Object.entries(variants)) {
        const argv = args.map((a) => (a === '{policy}' ? policy : a))
        const started = performance.now()
        const child = spawnSync(process.execPath, [bin, ...argv], {cwd, encoding: 'utf8', env})
        if (child.status !== 0) throw new Error(`hub ${argv.join(' ')} failed (${child.status}): ${child.stderr}`)
        if (round > 0) times[name]?.push(performance.now() - started)
      }
    }
  } finally {
    rmSync(cwd, {recursive: true, force: true})
    rmSync(dirname(policy), {recursive: true, force: true})
  }

  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]))
}

export async function run(): Promise<void> {
  const t = target()
  const results: ChildResult[] = []
  for (let i = 0; i < PROCESSES; i++) {
    const child = spawnSync(
      process.execPath,
      [...t.args, '--input-type=module', '-e', CHILD, t.index, t.parser, String(ROUNDS), String(WARM_ROUNDS)],
      {cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024},
    )
    if (child.status !== 0) throw new Error(`policy bench child failed (${child.status}): ${child.stderr}`)
    results.push(JSON.parse(child.stdout) as ChildResult)
  }

  const samples = results.flatMap((r) => r.samplesUs).sort((a, b) => a - b)
  const loadMs = median(results.map((r) => r.loadMs))
  const medUs = quantile(samples, 0.5)
  const p99Us = quantile(samples, 0.99)
  const parts = results.map((r) => r.parts)
  const part = (k: keyof ChildResult['parts']): string => `${median(parts.map((p) => p[k])).toFixed(1)}`
  const first = results[0] as ChildResult
  const slowest = results.map((r) => r.slowest).sort((a, b) => b.us - a.us)[0]
  const [load1] = loadavg()
  console.log(`policy engine — ${t.note}`)
  console.log(
    `  ${PROCESSES} fresh processes; ${first.cases} battery cases × ${ROUNDS} rounds each ` +
      `(after ${WARM_ROUNDS} warm-up rounds); ${samples.length} evaluations; ` +
      `${availableParallelism()} CPUs, load ${load1?.toFixed(2)}`,
  )
  const parserMs = median(parts.map((p) => p.importMs + p.initMs + p.grammarMs + p.warmUpMs))
  console.log(
    line('parser load (median)', `${parserMs.toFixed(1)} ms`, `< ${GOALS.loadMs} ms`, parserMs < GOALS.loadMs),
  )
  console.log(
    `    of which: import web-tree-sitter ${part('importMs')} ms, runtime ${part('initMs')} ms, ` +
      `grammar ${part('grammarMs')} ms, first parse ${part('warmUpMs')} ms`,
  )
  console.log(line('loadPolicy() incl. engine warm-up', `${loadMs.toFixed(1)} ms`, '', undefined))
  console.log(
    line('import of the engine modules', `${median(results.map((r) => r.importMs)).toFixed(1)} ms`, '', undefined),
  )
  console.log(
    line('first evaluation after load', `${median(results.map((r) => r.firstUs)).toFixed(0)} µs`, '', undefined),
  )
  console.log(line('evaluation median', `${medUs.toFixed(1)} µs`, `< ${GOALS.medianUs} µs`, medUs < GOALS.medianUs))
  console.log(line('evaluation p99', `${p99Us.toFixed(1)} µs`, `< ${GOALS.p99Us} µs`, p99Us < GOALS.p99Us))
  const tail = [quantile(samples, 0.9), quantile(samples, 0.999), samples.at(-1) ?? 0].map((us) => us.toFixed(0))
  console.log(line('evaluation p90 / p99.9 / max', `${tail.join(' / ')} µs`, '', undefined))
  if (existsSync(join(ROOT, 'dist', 'commands', 'policy', 'check.js'))) {
    const command = 'rm -rf ./build && ls -la'
    const ms = cliMedians({
      version: ['--version'],
      check: ['policy', 'check', command],
      file: ['policy', 'check', command, '--policy', '{policy}'],
    })
    const of = `(median of ${CLI_RUNS})`
    const version = ms.version ?? Number.NaN
    console.log(line(`hub --version ${of}`, `${version.toFixed(0)} ms`, '', undefined))
    for (const [key, label] of [
      ['check', 'hub policy check'],
      ['file', '  … --policy <file>'],
    ] as const) {
      const ratio = (ms[key] ?? Number.NaN) / version
      const shown = `${(ms[key] ?? Number.NaN).toFixed(0)} ms  ${ratio.toFixed(2)}×`
      console.log(line(`${label} ${of}`, shown, `≤ ${GOALS.checkRatio}×`, ratio <= GOALS.checkRatio))
    }
  } else console.log('  hub policy check vs --version: skipped (no dist/; `npm run build` first)')
  if (slowest) {
    const command = slowest.command.length > 60 ? `${slowest.command.slice(0, 57)}...` : slowest.command
    console.log(`    slowest single evaluation: ${slowest.us.toFixed(0)} µs for ${JSON.stringify(command)}`)
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await run()
}
