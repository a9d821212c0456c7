/**
 * The operator's way in (issues 9 and 10): the local CLI talks to the daemon over a 0600 Unix socket
 * in the runtime directory, never sends a token to an address the daemon did not give it, and stays
 * answered while the agents' TCP port is flooded.
 */
import {execFileSync} from 'node:child_process'
import {readFile, stat, writeFile} from 'node:fs/promises'
import {connect, createServer, type Server, type Socket} from 'node:net'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {HubClient} from '../src/lib/client.js'
import {type DaemonProcess, hub, removeRoot, startDaemonProcess, tempRoot, waitFor} from './helpers.js'

let root: string
let daemon: DaemonProcess | undefined
const cleanups: Array<() => Promise<void> | void> = []

beforeEach(async () => {
  root = await tempRoot()
})
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
  await daemon?.stop('SIGKILL')
  daemon = undefined
  await removeRoot(root)
})

const runtime = (): string => join(root, 'runtime')

async function operatorToken(): Promise<string> {
  return (await readFile(join(runtime(), 'operator_token.txt'), 'utf8')).trim()
}

/** A TCP server on `port` that records every byte a client sends and never answers. */
async function impostor(port: number): Promise<{received: () => string}> {
  let got = ''
  const sockets = new Set<Socket>()
  const server: Server = createServer((s) => {
    sockets.add(s)
    s.on('data', (c: Buffer) => {
      got += c.toString('latin1')
    })
    s.on('error', () => {})
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  )
  return {received: () => got}
}

/** Every CLI command that talks to the daemon, each given a few seconds (tail would wait forever). */
const DAEMON_COMMANDS: string[][] = [
  ['pending'],
  ['health'],
  ['approve', '20261201_000000_deadbeef'],
  ['deny', '20261201_000000_deadbeef'],
  ['tail'],
  ['token', 'rotate', '--agent'],
  ['open', '--print-url'],
  ['sessions'],
  ['plan', 'echo hi'],
]

async function runAll(): Promise<Array<{args: string[]; code: number; stderr: string}>> {
  const results = []
  for (const args of DAEMON_COMMANDS) {
    const r = await hub(args, {root, timeoutMs: 8000})
    results.push({args, code: r.code, stderr: r.stderr})
  }

  return results
}

describe('the operator socket', () => {
  it('is 0600 in the 0700 runtime directory, named in daemon.json, and is what the CLI uses', async () => {
    daemon = await startDaemonProcess(root)
    const info = JSON.parse(await readFile(join(runtime(), 'daemon.json'), 'utf8')) as {port: number; socket: string}
    expect(info.socket).toBe(join(runtime(), 'hub.sock'))
    const s = await stat(info.socket)
    expect(s.isSocket()).toBe(true)
    expect(s.mode & 0o777).toBe(0o600)
    expect((await stat(runtime())).mode & 0o777).toBe(0o700)

    // Point daemon.json's TCP address at an impostor: the CLI still reaches the daemon (the socket),
    // and the impostor hears nothing.
    const other = createServer()
    await new Promise<void>((resolve) => {
      other.listen(0, '127.0.0.1', () => resolve())
    })
    const {port} = other.address() as {port: number}
    await new Promise<void>((resolve) => {
      other.close(() => resolve())
    })
    const trap = await impostor(port)
    await writeFile(join(runtime(), 'daemon.json'), JSON.stringify({...info, port, base: `http://127.0.0.1:${port}`}))
    const planned = await hub(['plan', 'echo through the socket'], {root})
    expect(planned.code, planned.stderr).toBe(0)
    const pending = await hub(['pending', '--json'], {root})
    expect(pending.code, pending.stderr).toBe(0)
    expect(pending.stdout).toContain('echo through the socket')
    expect(trap.received()).toBe('')
  })

  it('refuses a second daemon on the same runtime directory, and replaces a dead one’s socket', async () => {
    daemon = await startDaemonProcess(root)
    await expect(startDaemonProcess(root)).rejects.toThrow(/Another hub daemon is running on this runtime/)
    await daemon.stop('SIGKILL')
    // SIGKILL leaves the socket file behind; the next daemon takes its place.
    expect((await stat(join(runtime(), 'hub.sock'))).isSocket()).toBe(true)
    daemon = await startDaemonProcess(root)
    const r = await hub(['pending'], {root})
    expect(r.code, r.stderr).toBe(0)
  })
})

describe('no token for whoever listens on the port', () => {
  for (const how of ['SIGTERM', 'SIGKILL'] as const) {
    it(`after the daemon stops (${how}), an impostor on its port receives nothing from any command`, async () => {
      daemon = await startDaemonProcess(root)
      const {port} = daemon
      const tokens = [await operatorToken(), (await readFile(join(runtime(), 'agent_hub_token.txt'), 'utf8')).trim()]
      await daemon.stop(how)
      daemon = undefined
      const trap = await impostor(port)
      const results = await runAll()
      expect(trap.received()).toBe('')
      for (const t of tokens) expect(trap.received()).not.toContain(t)
      for (const r of results) {
        // With no daemon, rotation rewrites the token file itself (and sends nothing).
        if (r.args[0] === 'token') {
          expect(r.code, r.stderr).toBe(0)
          continue
        }

        // Each says there is no daemon (exit 3), or ends by our deadline (tail, which retries) — never succeeds.
        expect(r.code, `${r.args.join(' ')}: ${r.stderr}`).not.toBe(0)
        if (r.code !== -1) expect(r.stderr, r.args.join(' ')).toMatch(/No running hub daemon|No hub daemon answered/)
      }
    })
  }
})

/** The soft limit on open files for this process (5,000 half-open clients need that many). */
function openFileLimit(): number {
  const out = execFileSync('/bin/sh', ['-c', 'ulimit -n'], {encoding: 'utf8'}).trim()
  return out === 'unlimited' ? Number.POSITIVE_INFINITY : Number(out)
}

describe('a flood on the TCP port', () => {
  it('leaves the operator answered within 1 s: 5,000 half-open connections and 32 agents hammering', async () => {
    daemon = await startDaemonProcess(root)
    const {port} = daemon
    const agentToken = (await readFile(join(runtime(), 'agent_hub_token.txt'), 'utf8')).trim()
    const wanted = 5000
    const halfOpen = Math.min(wanted, openFileLimit() - 600)
    if (halfOpen < wanted)
      console.warn(`open-file limit: flooding with ${halfOpen} half-open connections, not ${wanted}`)

    // Half-open: headers begun, never finished; the daemon must not let them use up its descriptors.
    const sockets: Socket[] = []
    cleanups.push(() => {
      for (const s of sockets) s.destroy()
    })
    let opened = 0
    for (let i = 0; i < halfOpen; i++) {
      const s = connect(port, '127.0.0.1')
      s.on('error', () => {})
      s.on('connect', () => {
        opened++
        s.write(`POST /plan HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Agent-Token: ${agentToken}\r\n`)
      })
      sockets.push(s)
    }

    // 32 agents sending plans as fast as they are answered (rate limits answer most with 429).
    const flood = {stop: false}
    let agentAnswers = 0
    const agents = Array.from({length: 32}, async () => {
      while (!flood.stop) {
        try {
          await fetch(`http://127.0.0.1:${port}/plan`, {
            method: 'POST',
            headers: {'content-type': 'application/json', 'x-agent-token': agentToken},
            body: JSON.stringify({command: 'echo flood'}),
            signal: AbortSignal.timeout(5000),
          })
          agentAnswers++
        } catch {
          // refused or timed out under the flood: keep hammering
        }
      }
    })
    cleanups.push(async () => {
      flood.stop = true
      await Promise.all(agents)
    })

    await waitFor(() => (opened >= halfOpen * 0.9 ? true : undefined), 'the half-open connections to be made', 60_000)
    const operator = new HubClient({
      base: 'http://localhost',
      socketPath: join(runtime(), 'hub.sock'),
      token: await operatorToken(),
    })
    cleanups.push(() => operator.close())
    const times: number[] = []
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now()

      const page = await operator.call<unknown[]>('GET', '/pending?limit=5')
      times.push(performance.now() - t0)
      expect(page.status).toBe(200)
    }

    // The real CLI too (its own start-up is not the daemon's to answer for, so it gets a wide deadline).
    const t0 = performance.now()
    const cli = await hub(['pending', '--json'], {root, timeoutMs: 60_000})
    const cliMs = performance.now() - t0
    expect(cli.code, cli.stderr).toBe(0)
    console.info(
      `flood: ${opened} half-open + 32 agents (${agentAnswers} answers); operator over the socket ${times
        .map((t) => t.toFixed(0))
        .join('/')} ms; hub pending ${cliMs.toFixed(0)} ms`,
    )
    expect(Math.max(...times)).toBeLessThan(1000)
  })
})
