/**
 * `npm run bench`: every speed goal of the project, printed as figures beside their goals.
 * Each bench module exports `run()`; pass names to run only some (`npm run bench -- daemon`).
 */
const only = process.argv.slice(2)
const benches: Array<[string, () => Promise<{run: () => Promise<void>}>]> = [
  ['policy', () => import('./policy.bench.js')],
  ['audit', () => import('./audit.bench.js')],
  ['daemon', () => import('./daemon.bench.js')],
  ['run', () => import('./run.bench.js')],
  ['console', () => import('./console.bench.js')],
  ['postgres', () => import('./postgres.bench.js')],
  ['cli', () => import('./cli.bench.js')],
]
let failed = false
for (const [name, load] of benches) {
  if (only.length > 0 && !only.includes(name)) continue
  try {
    await (await load()).run()
  } catch (error) {
    failed = true
    console.error(`bench ${name} failed: ${(error as Error).stack ?? String(error)}`)
  }
}

process.exitCode = failed ? 1 : 0
