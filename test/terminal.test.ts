/**
 * The operator's terminal (issue 13), with the real CLI (bin/run.js) against real daemons: the CLI
 * finds the daemon from any directory through this user's registry (and trusts only entries that are
 * the user's own and backed by the daemon's daemon.json), `hub tail` says where it connects, `hub plan
 * --wait` counts the wait on a terminal, and the "Done when" list: tables at 80 and 200
 * columns, the seed's curl health check, 60 pending, a 300-character blocked command, TZ=Asia/Tokyo,
 * SIGHUP, the newline pair, unusable paths.
 */
import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {rmSync, writeFileSync} from 'node:fs'
import {chmod, mkdir, readdir, readFile, realpath, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BIN, type DaemonProcess, readLines, removeRoot, startDaemonProcess, tempRoot, waitFor} from './helpers.js'

interface Result {
  code: number
  stderr: string
  stdout: string
}

/** Environment of a user at a shell: no AGENT_HUB_* (so nothing names the runtime), own HOME and registry. */
function userEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AGENT_HUB_') && k !== 'TZ') env[k] = v
  return {...env, NO_COLOR: '1', ...extra}
}

/** Runs the built CLI in `cwd` as a user would type it there. */
function cli(args: string[], cwd: string, env: Record<string, string>, timeoutMs = 90_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {cwd, env: userEnv(env), stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString()
    })
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString()
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code: code ?? -1, stdout, stderr})
    })
  })
}

async function token(runtime: string, role: 'agent' | 'operator'): Promise<string> {
  return (await readFile(join(runtime, role === 'agent' ? 'agent_hub_token.txt' : 'operator_token.txt'), 'utf8')).trim()
}

async function post(base: string, path: string, body: unknown, tok: string): Promise<Record<string, unknown>> {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: {'x-agent-token': tok, 'content-type': 'application/json'},
    body: JSON.stringify(body),
  })
  return (await res.json()) as Record<string, unknown>
}

async function entries(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json'))
}

/** A pid that is certainly not running any more. */
function deadPid(): number {
  return Number(execFileSync('/bin/sh', ['-c', 'echo $$'], {encoding: 'utf8'}).trim())
}

/** Whether this machine can make a file immutable here (root, and a filesystem with chattr +i). */
const IMMUTABLE_FILES = ((): boolean => {
  const probe = join(tmpdir(), `hub-chattr-probe-${process.pid}`)
  try {
    writeFileSync(probe, '')
    execFileSync('chattr', ['+i', probe], {stdio: 'ignore'})
    execFileSync('chattr', ['-i', probe], {stdio: 'ignore'})
    return true
  } catch {
    return false
  } finally {
    rmSync(probe, {force: true})
  }
})()

let base: string
let root: string
let runtime: string
let elsewhere: string
let env: Record<string, string>
let registry: string
let daemon: DaemonProcess | undefined
const extra: DaemonProcess[] = []

beforeAll(async () => {
  base = await realpath(await tempRoot('hub-terminal-'))
  root = join(base, 'project')
  runtime = join(root, 'runtime')
  elsewhere = join(base, 'elsewhere')
  await mkdir(root)
  await mkdir(elsewhere)
  await mkdir(join(base, 'home'))
  await mkdir(join(base, 'xdg'), {mode: 0o700})
  env = {HOME: join(base, 'home'), XDG_RUNTIME_DIR: join(base, 'xdg')}
  registry = join(base, 'xdg', 'hub')
  // Not contained: its /health is degraded with a reason, which `hub health` must list.
  daemon = await startDaemonProcess(root, {...env, AGENT_HUB_SANDBOX: 'none', AGENT_HUB_RATE_LIMIT_REQUESTS: '100000'})
})

afterAll(async () => {
  for (const d of [daemon, ...extra]) await d?.stop('SIGKILL')
  await removeRoot(base)
})

describe('the CLI finds the daemon from any directory (per-user registry)', () => {
  it('serve registers in $XDG_RUNTIME_DIR/hub, private to the user; pending, runs, audit work elsewhere', async () => {
    const names = await entries(registry)
    expect(names).toHaveLength(1)
    expect((await stat(registry)).mode & 0o777).toBe(0o700)
    expect((await stat(join(registry, names[0]!))).mode & 0o777).toBe(0o600)
    const entry = JSON.parse(await readFile(join(registry, names[0]!), 'utf8')) as Record<string, unknown>
    const info = JSON.parse(await readFile(join(runtime, 'daemon.json'), 'utf8')) as Record<string, unknown>
    expect(entry).toMatchObject({root, runtime_dir: runtime, pid: info.pid, base: info.base, socket: info.socket})
    expect(entry.started_at).toBe(info.started_at)
    expect(entry.version).toBe(info.version)

    const empty = await cli(['pending'], elsewhere, env)
    expect(empty.code).toBe(0)
    expect(empty.stdout).toContain(`No requests waiting (daemon at ${join(runtime, 'hub.sock')})`)
    await post(daemon!.base, '/plan', {command: 'echo from-elsewhere'}, await token(runtime, 'agent'))
    const listed = await cli(['pending', '--json'], elsewhere, env)
    expect((JSON.parse(listed.stdout) as Array<{command: string}>).map((r) => r.command)).toContain(
      'echo from-elsewhere',
    )
    const runs = await cli(['runs'], elsewhere, env)
    expect(runs.code).toBe(0)
    expect(runs.stdout).toContain(`No runs yet in ${runtime}.`)
    const audit = await cli(['audit', '--json'], elsewhere, env)
    expect((JSON.parse(audit.stdout) as Array<{event: string}>).map((l) => l.event)).toContain('command_queued')
  })

  it('ignores and removes stale entries, and never trusts one that others may write', async () => {
    const write = async (name: string, fields: Record<string, unknown>, mode = 0o600): Promise<string> => {
      const path = join(registry, name)
      await writeFile(path, JSON.stringify(fields), {mode})
      await chmod(path, mode)
      return path
    }

    const decoyRuntime = join(base, 'decoy', 'runtime')
    await mkdir(decoyRuntime, {recursive: true, mode: 0o700})
    // An address someone else chose, with a live pid: it would be a second daemon if it were trusted.
    const decoy = {pid: process.pid, base: 'http://127.0.0.1:9', started_at: new Date().toISOString(), version: 'x'}
    await writeFile(join(decoyRuntime, 'daemon.json'), JSON.stringify(decoy), {mode: 0o600})
    const fields = {...decoy, root: join(base, 'decoy'), runtime_dir: decoyRuntime}
    const dead = await write('0'.repeat(32) + '.json', {...fields, pid: deadPid()})
    const disagreeing = await write('1'.repeat(31) + '2.json', {...fields, base: 'http://127.0.0.1:10'})
    const writable = await write('a'.repeat(32) + '.json', fields, 0o666)

    const r = await cli(['pending', '--json'], elsewhere, env)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    // The dead daemon's and the disagreeing entry are gone; the untrusted file is left alone, unused.
    await expect(stat(dead)).rejects.toThrow()
    await expect(stat(disagreeing)).rejects.toThrow()
    expect((await stat(writable)).isFile()).toBe(true)
    await rm(writable)
  })

  it('with several daemons running, says which exist and how to pick one; --root picks', async () => {
    const root2 = join(base, 'second')
    await mkdir(root2)
    const second = await startDaemonProcess(root2, {...env, AGENT_HUB_SANDBOX: 'none'})
    extra.push(second)
    await waitFor(async () => (await entries(registry)).length === 2, 'the second entry')
    const r = await cli(['pending'], elsewhere, env)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('2 hub daemons are running for this user')
    expect(r.stderr).toContain(`--root ${root}`)
    expect(r.stderr).toContain(`--root ${root2}`)
    const json = await cli(['pending', '--json'], elsewhere, env)
    expect(JSON.parse(json.stdout)).toMatchObject({error: {code: 'usage', choices: expect.any(Array)}})
    const picked = await cli(['pending', '--root', root2], elsewhere, env)
    expect(picked.code).toBe(0)
    expect(picked.stdout).toContain(join(root2, 'runtime', 'hub.sock'))
    // In a daemon's own directory, that daemon is used without asking.
    expect((await cli(['pending'], root2, env)).code).toBe(0)

    expect(await second.stop('SIGTERM')).toBe(0)
    expect(await entries(registry)).toHaveLength(1)
    expect((await cli(['pending'], elsewhere, env)).code).toBe(0)
  })

  it('without XDG_RUNTIME_DIR uses ~/.local/state/hub; SIGHUP stops the daemon and removes its entry', async () => {
    const home = join(base, 'home-hup')
    const root3 = join(base, 'hup')
    await mkdir(home)
    await mkdir(root3)
    const hupEnv = {HOME: home, XDG_RUNTIME_DIR: ''}
    const d = await startDaemonProcess(root3, {...hupEnv, AGENT_HUB_SANDBOX: 'none'})
    extra.push(d)
    const dir = join(home, '.local', 'state', 'hub')
    expect(await entries(dir)).toHaveLength(1)
    expect((await cli(['health'], elsewhere, hupEnv)).code).toBe(0)

    expect(await d.stop('SIGHUP')).toBe(0)
    expect(d.output()).toContain('Stopped.')
    expect(await entries(dir)).toEqual([])
    await expect(stat(join(root3, 'runtime', 'daemon.json'))).rejects.toThrow()
    const after = await cli(['pending'], elsewhere, hupEnv)
    expect(after.code).toBe(3)
    expect(after.stderr).toContain(`none is registered in ${dir}`)
  })
})

describe('hub tail says where it connects', () => {
  it('connecting / connected / reconnected after N, socket path on stderr; stdout stays the events', async () => {
    const root4 = join(base, 'tail')
    const xdg = join(base, 'xdg-tail')
    await mkdir(root4)
    await mkdir(xdg, {mode: 0o700})
    const tailEnv = {HOME: join(base, 'home'), XDG_RUNTIME_DIR: xdg}
    let d = await startDaemonProcess(root4, {...tailEnv, AGENT_HUB_SANDBOX: 'none'})
    extra.push(d)
    const socket = join(root4, 'runtime', 'hub.sock')
    let out = ''
    let err = ''
    const tail: ChildProcess = spawn(process.execPath, [BIN, 'tail', '--json', '--since', '0'], {
      cwd: elsewhere,
      env: userEnv(tailEnv),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    tail.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
    })
    tail.stderr!.on('data', (c: Buffer) => {
      err += c.toString()
    })
    try {
      await waitFor(() => err.includes(`connected to ${socket}`), 'connected')
      expect(err).toContain(`connecting to ${socket}…`)
      await post(d.base, '/plan', {command: 'echo one'}, await token(join(root4, 'runtime'), 'agent'))
      await waitFor(() => out.includes('command_queued'), 'the first event')
      await d.stop('SIGTERM')
      d = await startDaemonProcess(root4, {...tailEnv, AGENT_HUB_SANDBOX: 'none'})
      extra.push(d)
      await waitFor(() => /reconnected to \S+ after \d/.test(err), 'reconnected', 120_000)
      expect(err).toContain(`reconnected to ${socket} after `)
      await post(d.base, '/plan', {command: 'echo two'}, await token(join(root4, 'runtime'), 'agent'))
      await waitFor(() => out.split('\n').filter(Boolean).length >= 2, 'the second event')
      for (const line of out.split('\n').filter(Boolean)) expect(() => JSON.parse(line) as unknown).not.toThrow()
    } finally {
      tail.kill('SIGKILL')
    }
  })
})

describe('hub tail --file', () => {
  it('says which audit.log it follows, and when there is none yet', async () => {
    const empty = join(base, 'no-audit-yet')
    await mkdir(empty)
    let err = ''
    const tail = spawn(process.execPath, [BIN, 'tail', '--file', '--root', empty], {
      cwd: elsewhere,
      env: userEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    tail.stderr.on('data', (c: Buffer) => {
      err += c.toString()
    })
    try {
      await waitFor(() => err.includes('yet; waiting for a daemon to write it'), 'the note')
      expect(err).toContain(`no ${join(empty, 'runtime', 'audit.log')} yet`)
    } finally {
      tail.kill('SIGKILL')
    }

    const shown = await new Promise<string>((resolve) => {
      let text = ''
      const t = spawn(process.execPath, [BIN, 'tail', '--file'], {
        cwd: root,
        env: userEnv(env),
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      t.stderr.on('data', (c: Buffer) => {
        text += c.toString()
        if (text.includes('\n')) {
          t.kill('SIGKILL')
          resolve(text)
        }
      })
    })
    expect(shown).toContain(`following ${join(runtime, 'audit.log')} (times in UTC)`)
  })
})

describe('hub plan --wait', () => {
  it('counts the time spent waiting on one line of a terminal, and prints no such line to a pipe', async () => {
    const operator = await token(runtime, 'operator')
    // `script` gives the command a terminal; its output is what that terminal shows.
    const cmd = `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} plan 'echo waited-for' --wait`
    let shown = ''
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], {
      cwd: elsewhere,
      env: userEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout.on('data', (c: Buffer) => {
      shown += c.toString()
    })
    const exited = new Promise<null | number>((r) => {
      child.once('exit', (code) => r(code))
    })
    const id = await waitFor(() => /queued (\d{8}_\d{6}_[0-9a-f]{8})/.exec(shown)?.[1], 'queued')
    await waitFor(() => shown.includes('waiting for an operator… 1 s'), 'the counter at 1 s')
    expect(shown).toContain('\r\u001B[2K')
    await post(daemon!.base, `/approve/${id}`, {}, operator)
    expect(await exited).toBe(0)
    expect(shown).toContain('waited-for')

    const piped = cli(['plan', 'echo piped', '--wait'], elsewhere, env)
    const pid = await waitFor(async () => {
      const list = JSON.parse((await cli(['pending', '--json'], elsewhere, env)).stdout) as Array<{
        command: string
        pending_id: string
      }>
      return list.find((r) => r.command === 'echo piped')?.pending_id
    }, 'the piped request')
    await post(daemon!.base, `/approve/${pid}`, {}, operator)
    const r = await piped
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('piped\n')
    expect(r.stderr).not.toContain('\r')
  })
})

describe('the issue’s "Done when" list, with the real CLI and daemon', () => {
  it('the seed’s curl health check answers 200 without a token; hub health lists its reasons', () => {
    const {port} = new URL(daemon!.base)
    const out = execFileSync('curl', ['-s', '-w', '%{http_code}', `http://127.0.0.1:${port}/health`], {
      encoding: 'utf8',
    })
    expect(out.slice(-3)).toBe('200')
    const body = JSON.parse(out.slice(0, -3)) as Record<string, unknown>
    expect(body).toMatchObject({status: 'degraded', pending_count: expect.any(Number)})
    expect(JSON.stringify(body)).not.toContain(root)
  })

  it('hub health: human uptime, reasons one a line, exit codes in --help', async () => {
    const r = await cli(['health'], elsewhere, env)
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^degraded {2}up (\d+ ms|\d+(\.\d+)? s|\d+ min( \d+ s)?) {2}memory/)
    expect(r.stdout).toContain('  - Runs are not contained: AGENT_HUB_SANDBOX=none.')
    const help = await cli(['health', '--help'], elsewhere, env)
    for (const code of ['3 no daemon reachable', '6 the token was missing or refused', '7 unhealthy'])
      expect(help.stdout).toContain(code)
    for (const command of ['pending', 'tail', 'plan'])
      expect((await cli([command, '--help'], elsewhere, env)).stdout).toContain('6 the token was missing or refused')
  })

  it.skipIf(!IMMUTABLE_FILES)(
    'unhealthy: /health answers 503 with its reasons; hub health prints them and exits 7',
    async () => {
      const root5 = join(base, 'unhealthy')
      await mkdir(root5)
      const d = await startDaemonProcess(root5, {...env, XDG_RUNTIME_DIR: join(base, 'xdg-unhealthy')})
      extra.push(d)
      const log = join(root5, 'runtime', 'audit.log')
      // An immutable audit log refuses the write and the repair after it: the log cannot take writes.
      execFileSync('chattr', ['+i', log])
      try {
        const res = await fetch(d.base + '/plan', {
          method: 'POST',
          headers: {'x-agent-token': await token(join(root5, 'runtime'), 'agent'), 'content-type': 'application/json'},
          body: JSON.stringify({command: 'echo lost'}),
        })
        expect(res.status).toBe(503)
        const {port} = new URL(d.base)
        const out = execFileSync('curl', ['-s', '-w', '%{http_code}', `http://127.0.0.1:${port}/health`], {
          encoding: 'utf8',
        })
        expect(out.slice(-3)).toBe('503')
        const r = await cli(['health', '--root', root5], elsewhere, env)
        expect(r.code).toBe(7)
        expect(r.stdout).toMatch(/^unhealthy {2}up /)
        expect(r.stdout).toContain('  - The audit log cannot take writes until the daemon restarts.')
        expect(r.stderr).toContain('reports unhealthy: The audit log cannot take writes')
        const json = await cli(['health', '--root', root5, '--json'], elsewhere, env)
        expect(json.code).toBe(7)
        expect(JSON.parse(json.stdout)).toMatchObject({status: 'unhealthy', reasons: expect.any(Array)})
      } finally {
        execFileSync('chattr', ['-i', log])
      }
    },
  )

  it('60 waiting: every count says 60; the table fits 80 and 200 columns and says what it shortened', async () => {
    const agent = await token(runtime, 'agent')
    const already = (JSON.parse((await cli(['pending', '--json'], elsewhere, env)).stdout) as unknown[]).length
    const redirect = ' > /tmp/hub-terminal-redirect-target.txt'
    const long = 'cat some/long/' + 'segment/'.repeat(5) + 'file.txt' + redirect
    const longId = (await post(daemon!.base, '/plan', {command: long}, agent)).pending_id as string
    for (let i = already + 1; i < 60; i++) await post(daemon!.base, '/plan', {command: `echo flood ${i}`}, agent)
    const all = JSON.parse((await cli(['pending', '--json', '--limit', '1000'], elsewhere, env)).stdout) as unknown[]
    expect(all).toHaveLength(60)
    const table = await cli(['pending'], elsewhere, {...env, COLUMNS: '80'})
    expect(table.stdout).toContain('50 of 60 waiting (newest first; --limit 60 shows all)')
    expect((await cli(['pending', '--limit', '60'], elsewhere, env)).stdout).toContain('60 waiting.')

    const longRow = (cols: string): Promise<string[]> =>
      cli(['pending', '--limit', '60'], elsewhere, {...env, COLUMNS: cols}).then((x) => x.stdout.split('\n'))
    const narrow = await longRow('80')
    for (const line of narrow) expect([...line].length).toBeLessThanOrEqual(80)
    // The cut cell says how much it hid (on the cell's second line), in the row of that request.
    const at = narrow.findIndex((l) => l.includes(longId))
    expect(narrow[at]).toContain('cat some/long')
    expect(narrow[at + 1]).toMatch(/… \+\d+ chars/)
    const wide = await longRow('200')
    for (const line of wide) expect([...line].length).toBeLessThanOrEqual(200)
    expect(wide.find((l) => l.includes('cat some/long'))).toContain(redirect.trim())
  })

  it(String.raw`the newline pair: a typed \n and a real newline never look alike`, async () => {
    const agent = await token(runtime, 'agent')
    const typed = (await post(daemon!.base, '/plan', {command: String.raw`echo hi\nls pair-dir`}, agent))
      .pending_id as string
    const real = (await post(daemon!.base, '/plan', {command: 'echo hi\nls pair-dir'}, agent)).pending_id as string
    const rows = (await cli(['pending', '--limit', '100'], elsewhere, {...env, COLUMNS: '200'})).stdout.split('\n')
    const row = (id: string): string => rows.find((l) => l.includes(id.slice(-8)) || l.includes(id))!
    expect(row(typed)).toContain(String.raw`echo hi\nls pair-dir`)
    expect(row(real)).toContain('echo hi⏎')
    expect(row(real)).not.toContain(String.raw`\n`)
  })

  it('a 300-character blocked command: reason in full, command_full kept, --grep finds its tail', async () => {
    const command = 'rm -rf / ' + 'x'.repeat(281) + ' tail-mark'
    expect(command).toHaveLength(300)
    const plan = await cli(['plan', command], elsewhere, env)
    expect(plan.code).toBe(8)
    const lines = (await readLines(join(runtime, 'audit.log'))).filter((l) => l.event === 'command_blocked')
    const line = lines.at(-1)!
    expect((line.command as string).length).toBe(200)
    expect(line.command_full).toBe(command)
    const found = await cli(['audit', '--blocked', '--grep', 'tail-mark$', '--json'], elsewhere, env)
    expect((JSON.parse(found.stdout) as unknown[]).length).toBe(1)
    const shown = await cli(['audit', '--blocked'], elsewhere, {...env, COLUMNS: '80'})
    // The reason is printed whole (wrapped), not cut.
    const words = String(line.reason).split(/\s+/)
    for (const w of words) expect(shown.stdout).toContain(w)
  })

  it('TZ=Asia/Tokyo: --since/--until read the local time; runs and tail name the zone', async () => {
    // Tokyo has no daylight saving time: UTC+9 all year.
    const tokyo = (ms: number): string => new Date(ms + 9 * 3_600_000).toISOString().slice(0, 19)
    const lines = await readLines(join(runtime, 'audit.log'))
    const first = Date.parse(String(lines[0]!.ts))
    const since = tokyo(first - 60_000)
    const tz = {...env, TZ: 'Asia/Tokyo'}
    const found = JSON.parse((await cli(['audit', '--since', since, '--json'], elsewhere, tz)).stdout) as unknown[]
    expect(found.length).toBe(lines.length)
    const none = JSON.parse((await cli(['audit', '--until', since, '--json'], elsewhere, tz)).stdout) as unknown[]
    expect(none).toEqual([])
    // The same wall-clock text read as UTC is nine hours later: nothing is that new.
    const utc = JSON.parse(
      (await cli(['audit', '--since', since, '--json'], elsewhere, {...env, TZ: 'UTC'})).stdout,
    ) as unknown[]
    expect(utc).toEqual([])

    const table = await cli(['audit', '--limit', '1'], elsewhere, tz)
    expect(table.stdout).toMatch(/^Time \(Asia\/Tokyo\)/)
    const runs = await cli(['runs'], elsewhere, tz)
    expect(runs.stdout).toMatch(/Started \(Asia\/Tokyo\)/)
    const local = await cli(['runs', '--local'], elsewhere, {...env, TZ: 'Asia/Tokyo'})
    expect(local.stdout).toMatch(/Started \(Asia\/Tokyo\)/)
  })

  it('unusable paths are named: a --root that is a file, a runtime under a file, one that cannot be made', async () => {
    const file = join(base, 'a-file')
    await writeFile(file, 'x')
    const runs = await cli(['runs', '--root', file], elsewhere, env)
    expect(runs.code).toBe(2)
    expect(runs.stderr).toContain(`The root ${file} is a file, not a directory.`)
    const serve = await cli(['serve', '--port', '0', '--runtime-dir', join(file, 'rt')], elsewhere, env)
    expect(serve.code).toBe(2)
    expect(serve.stderr).toContain(`Cannot use ${join(file, 'rt')} as the runtime directory: ${file} is a file`)
    const proc = await cli(['serve', '--port', '0', '--runtime-dir', '/proc/hub-nope/rt'], elsewhere, env, 60_000)
    expect(proc.code).toBe(2)
    expect(proc.stderr).toContain('/proc/hub-nope cannot be created')
  })
})
