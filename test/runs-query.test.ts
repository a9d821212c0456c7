/**
 * `hub runs` and `hub runs show` on a generated runtime directory (query-fixture.ts), with no daemon, and
 * the query commands' exit codes through the built CLI.
 */
import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {readFile, rm} from 'node:fs/promises'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {RunRecord} from '../src/lib/records.js'

import Runs from '../src/commands/runs/index.js'
import RunsShow from '../src/commands/runs/show.js'
import {type CommandClass, makeQueryRuntime, REPO, type Result, runQuery} from './query-fixture.js'

const BIN = join(REPO, 'bin', 'run.js')
const BUILT = existsSync(join(REPO, 'dist', 'commands', 'audit', 'index.js'))

let root: string
let runtime: string
let runIds: string[]

beforeAll(async () => {
  ;({root, runIds, runtime} = await makeQueryRuntime())
})

afterAll(async () => {
  await rm(root, {recursive: true, force: true})
})

const run = (cmd: CommandClass, args: string[], dir = runtime): Promise<Result> => runQuery(cmd, args, dir)

describe('hub runs', () => {
  it('lists the newest 10 by default with the seed’s columns', async () => {
    const r = await run(Runs, [])
    expect(r.code).toBe(0)
    const rows = r.stdout.trimEnd().split('\n')
    expect(rows[0]).toMatch(/^RunId\s+Command\s+ExitCode\s+DurationMs\s+Started \((UTC|local.*|[A-Za-z_/]+)\)\s+Age$/)
    expect(rows).toHaveLength(11)
    expect(rows.slice(1).map((row) => row.split(/\s+/)[0])).toEqual(runIds.slice(0, 10))
    expect(rows[1]).toContain('printf "⟨U+001B ESC⟩[31mred"')
    expect(rows[2]).toMatch(/job 13\s+124 \(timed out\)\s+142\.5\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\d+d ago/)
    expect(r.stdout).not.toContain('\u001B')
  })

  it('--last and --failed (non-zero exit, timeout or interruption), opening records newest first', async () => {
    const r = await run(Runs, ['--last', '3', '--json'])
    expect((JSON.parse(r.stdout) as RunRecord[]).map((x) => x.run_id)).toEqual(runIds.slice(0, 3))
    const failed = JSON.parse((await run(Runs, ['--failed', '--last', '3', '--json'])).stdout) as RunRecord[]
    expect(failed.map((x) => x.command)).toEqual(['job 13', 'job 12', 'job 8'])
    expect(failed[0]).toMatchObject({stdout: 'hi\n', timed_out: true})
  })

  it('says so when there are no runs, and refuses --last 0', async () => {
    const empty = join(root, 'no-runs')
    expect((await run(Runs, [], empty)).stdout).toContain(`No runs yet in ${empty}.`)
    expect(JSON.parse((await run(Runs, ['--json'], empty)).stdout)).toEqual([])
    expect((await run(Runs, ['--last', '0'])).code).toBe(2)
  })
})

describe('hub runs show', () => {
  it('prints the record’s fields, then stdout and stderr with control characters escaped', async () => {
    const r = await run(RunsShow, [runIds[0]!])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`Run ${runIds[0]}`)
    expect(r.stdout).toMatch(/command\s+printf "⟨U\+001B ESC⟩\[31mred"/)
    expect(r.stdout).toMatch(/stdout\s+truncated: kept 18 B of 4\.8 MiB/)
    expect(r.stdout).toMatch(/approved by\s+operator \(token 9f8e7d6c\)/)
    expect(r.stdout).toMatch(/policy\s+ask: no rule matched/)
    expect(r.stdout).toMatch(/peak RSS\s+12\.5 MB/)
    expect(r.stdout).toContain('--- stdout ---\nline 1\n⟨U+001B ESC⟩[2Jline 2\n')
    expect(r.stdout).toContain('--- stderr ---\nwarn⟨U+0007 BEL⟩\n')
    expect(r.stdout).not.toContain('\u001B')
  })

  it('--json prints the record as stored', async () => {
    const r = await run(RunsShow, [runIds[1]!, '--json'])
    expect(JSON.parse(r.stdout)).toEqual(
      JSON.parse(await readFile(join(runtime, 'runs', runIds[1]!, 'record.json'), 'utf8')),
    )
  })

  it('a malformed or unknown id is not found (exit 4)', async () => {
    const bad = await run(RunsShow, ['../../etc/passwd'])
    expect(bad.code).toBe(4)
    expect(bad.stderr).toContain('ids look like')
    const unknown = await run(RunsShow, ['20250101_000000_deadbeef', '--json'])
    expect(unknown.code).toBe(4)
    expect(JSON.parse(unknown.stdout)).toMatchObject({
      error: {code: 'not_found', message: `No run 20250101_000000_deadbeef in ${runtime}.`},
    })
  })
})

const cli = (args: string[]): Result => {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AGENT_HUB_')) env[k] = v
  const r = spawnSync(process.execPath, [BIN, ...args, '--runtime-dir', runtime], {
    env: {...env, NO_COLOR: '1'},
    encoding: 'utf8',
  })
  return {code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr}
}

describe.skipIf(!BUILT)('through the built CLI', () => {
  it('exit codes: 0 for a query, 2 for a bad flag value, 0/1 for verify', async () => {
    const q = cli(['audit', '--blocked', '--json'])
    expect(q.code).toBe(0)
    expect(JSON.parse(q.stdout)).toHaveLength(2)
    expect(cli(['audit', '--since', 'soon']).code).toBe(2)
    expect(cli(['audit', 'verify']).code).toBe(0)
    expect(cli(['runs', '--last', '2']).stdout.trimEnd().split('\n')).toHaveLength(3)
  })
})
