/**
 * `hub tail` as an operator uses it: it follows the daemon, survives a restart (even on another
 * port) by reconnecting with Last-Event-ID, and misses no event and repeats none.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {request} from 'undici'
import {afterEach, describe, expect, it} from 'vitest'

import {
  BIN,
  childEnv,
  type DaemonProcess,
  readLines,
  removeRoot,
  startDaemonProcess,
  tempRoot,
  waitFor,
} from './helpers.js'

let root: string | undefined
let daemon: DaemonProcess | undefined
let tail: ChildProcess | undefined

afterEach(async () => {
  tail?.kill('SIGKILL')
  await daemon?.stop('SIGKILL')
  if (root) await removeRoot(root)
  root = undefined
  daemon = undefined
  tail = undefined
})

async function plan(base: string, r: string, command: string): Promise<void> {
  const token = (await readFile(join(r, 'runtime', 'agent_hub_token.txt'), 'utf8')).trim()
  const res = await request(`${base}/plan`, {
    method: 'POST',
    headers: {'x-agent-token': token, 'content-type': 'application/json'},
    body: JSON.stringify({command}),
  })
  await res.body.text()
}

async function until(check: () => boolean, ms = 90_000): Promise<void> {
  await waitFor(check, 'hub tail', ms)
}

describe('hub tail', () => {
  it('reconnects across a daemon restart and prints every event exactly once, in order', async () => {
    root = await tempRoot('hub-tail-')
    daemon = await startDaemonProcess(root)
    let out = ''
    tail = spawn(process.execPath, [BIN, 'tail', '--json', '--since', '0'], {
      cwd: root,
      env: childEnv(root),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    tail.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
    })
    // Only whole lines: the last piece may still be arriving.
    const lines = (): string[] => out.split('\n').slice(0, -1).filter(Boolean)
    const seqs = (): number[] => lines().map((l) => (JSON.parse(l) as {seq: number}).seq)

    await plan(daemon.base, root, 'echo one')
    await plan(daemon.base, root, 'echo two')
    await until(() => seqs().length >= 2)
    await daemon.stop('SIGTERM')
    // While the daemon is down, tail keeps trying; the restarted daemon gets a new port.
    daemon = await startDaemonProcess(root)
    await plan(daemon.base, root, 'echo three')
    await plan(daemon.base, root, 'rm -rf /')
    await until(() => seqs().length >= 4)
    const audit = await readLines(join(root, 'runtime', 'audit.log'))
    expect(seqs()).toEqual(audit.map((l) => l.seq))
    const types = lines().map((l) => (JSON.parse(l) as {type: string}).type)
    expect(types).toEqual(['command_queued', 'command_queued', 'command_queued', 'command_blocked'])

    const done = new Promise<null | number>((r) => {
      tail!.once('exit', (code) => r(code))
    })
    tail.kill('SIGINT')
    expect(await done).toBe(0)
  })

  it('--file follows audit.log with no daemon', async () => {
    root = await tempRoot('hub-tail-file-')
    daemon = await startDaemonProcess(root)
    await plan(daemon.base, root, 'echo a')
    let out = ''
    tail = spawn(process.execPath, [BIN, 'tail', '--file', '--since', '0'], {
      cwd: root,
      env: childEnv(root),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    tail.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
    })
    await until(() => out.includes('command_queued'))
    await plan(daemon.base, root, 'rm -rf /')
    await until(() => out.includes('command_blocked'))
    expect(out).toMatch(/#1\s+command_queued/)
    expect(out).toMatch(/#2\s+command_blocked/)
  })
})
