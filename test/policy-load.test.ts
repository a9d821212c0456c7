/**
 * Policy evaluation against the real daemon process (issue 10): a flood of expensive-looking plans
 * never makes the operator wait, and verdicts do not depend on how busy the machine is. And the
 * one-shot CLI (issue 12): a policy file's examples are checked once per content, not per process.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {statSync} from 'node:fs'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {request} from 'undici'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {corpusCases} from '../src/lib/policy/corpus/index.js'
import {CORPUS_CONTEXT} from '../src/lib/policy/corpus/measure.js'
import {type DaemonProcess, hub, removeRoot, startDaemonProcess, tempRoot} from './helpers.js'

/** The brace flood of issue 10: about 2,000 groups, 10,000 characters, `rm -rf /` in front. */
const FLOOD = `rm -rf / ; echo ${'{a,b}'.repeat(1996)}`

let root: string
let daemon: DaemonProcess
let agent: string
let operator: string

async function plan(command: string): Promise<{body: Record<string, unknown>; status: number}> {
  const res = await request(`${daemon.base}/plan`, {
    method: 'POST',
    headers: {'content-type': 'application/json', 'x-agent-token': agent},
    body: JSON.stringify({command}),
  })
  return {status: res.statusCode, body: (await res.body.json()) as Record<string, unknown>}
}

async function health(): Promise<{ms: number; status: number}> {
  const started = performance.now()
  const res = await request(`${daemon.base}/health`, {headers: {authorization: `Bearer ${operator}`}})
  await res.body.dump()
  return {status: res.statusCode, ms: performance.now() - started}
}

/** CPU time (clock ticks) a process has used, from /proc; 0 when it cannot be read. */
async function cpuTicks(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? []
    return Number(fields[11] ?? 0) + Number(fields[12] ?? 0)
  } catch {
    return 0
  }
}

/** Latencies as whole milliseconds, for a failure message. */
function shown(xs: number[]): string {
  return xs.map((t) => t.toFixed(0)).join(', ')
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

beforeAll(async () => {
  root = await tempRoot('hub-policy-load-')
  daemon = await startDaemonProcess(root, {
    // 2 × 200 plans for the determinism test, and the floods: no limit of the agent's should refuse them.
    AGENT_HUB_RATE_LIMIT_REQUESTS: '100000',
    AGENT_HUB_MAX_PENDING_PER_AGENT: '100000',
  })
  agent = (await readFile(join(root, 'runtime', 'agent_hub_token.txt'), 'utf8')).trim()
  operator = (await readFile(join(root, 'runtime', 'operator_token.txt'), 'utf8')).trim()
})

afterAll(async () => {
  await daemon?.stop()
  await removeRoot(root)
})

describe('policy under load, against the daemon process', () => {
  it('answers the operator within 100 ms while ten brace-flood plans are in flight', async () => {
    // Warm the connection and both routes first: the first request of a process is not the point.
    for (let i = 0; i < 3; i++) await health()
    expect((await plan('rm -rf /')).status).toBe(403)

    /** Health latencies while ten plans of `command` are in flight (at least ten samples). */
    const during = async (command: string): Promise<{results: Awaited<ReturnType<typeof plan>>[]; times: number[]}> => {
      // In an object: a callback sets it, which eslint's loop-condition check cannot see in a plain let.
      const plans = {done: false}
      const settled = Promise.all(Array.from({length: 10}, () => plan(command))).finally(() => {
        plans.done = true
      })
      const times: number[] = []
      while (!plans.done || times.length < 10) {
        const h = await health()
        expect(h.status).toBe(200)
        times.push(h.ms)
      }

      return {results: await settled, times}
    }

    // Ten ordinary refusals of the same length first: what any such request costs the daemon outside
    // the policy (reading 10 KB bodies, durable writes), which a loaded test machine can push past
    // 100 ms by itself. The flood may add at most 100 ms to that: the policy's own work must stay off
    // the event loop (it took 2.5 s of it per flood before).
    const ordinary = await during(`rm -rf / ; echo ${'ab,ab'.repeat(1996)}`)
    const flood = await during(FLOOD)
    for (const r of flood.results) {
      expect(r.status).toBe(403)
      expect(String((r.body.error as {message: string}).message)).toMatch(/too complex to analyse/)
    }

    const floodMax = Math.max(...flood.times)
    const ordinaryMax = Math.max(...ordinary.times)
    expect(
      floodMax,
      `health under flood: ${shown(flood.times)} ms; under ordinary refusals: ${shown(ordinary.times)} ms`,
    ).toBeLessThan(100 + ordinaryMax)
  })

  it('gives identical verdicts to 200 commands on an idle machine and with both cores saturated', async () => {
    // A fixed set: every 13th corpus case (both kinds), and the commands issue 10 found load-dependent.
    const commands = corpusCases()
      .filter((_c, i) => i % 13 === 0)
      .map((c) =>
        c.command.replaceAll('{runtime}', join(root, 'runtime')).replaceAll('{workspace}', join(root, 'workspace')),
      )
      .filter((c) => !c.includes('{policy}'))
      .slice(0, 197)
    commands.push('echo cm0gLXJmIC8= | base64 -d | sh', FLOOD, `echo ${'$(echo '.repeat(60)}x${')'.repeat(60)}`)
    expect(commands).toHaveLength(200)
    expect(CORPUS_CONTEXT.workspace).not.toBe(join(root, 'workspace'))

    const verdicts = async (): Promise<string[]> => {
      const out: string[] = []
      for (const command of commands) {
        const r = await plan(command)
        const body = r.body as {
          error?: {message?: string; rule?: string}
          policy?: {reason: string; rule: null | string}
        }
        out.push(
          r.status === 403
            ? `deny ${body.error?.rule} ${body.error?.message}`
            : `${r.status} ${body.policy?.rule} ${body.policy?.reason}`,
        )
      }

      return out
    }

    const idle = await verdicts()
    const burners: ChildProcess[] = [0, 1].map(() => spawn(process.execPath, ['-e', 'for(;;){}'], {stdio: 'ignore'}))
    try {
      // Judge again only once both burners have really been burning CPU.
      await waitFor(async () => {
        const used = await Promise.all(burners.map((b) => cpuTicks(b.pid)))
        return used.every((t) => t > 20)
      }, 'both burners to run')
      const busy = await verdicts()
      expect(busy).toEqual(idle)
    } finally {
      for (const b of burners) b.kill('SIGKILL')
    }

    expect(idle.filter((v) => v.startsWith('deny')).length).toBeGreaterThan(50)
    expect(idle.some((v) => v.startsWith('200'))).toBe(true)
    expect(idle.at(-3)).toMatch(/^deny bypass\.decode-and-run/)
    expect(idle.at(-2)).toMatch(/too complex to analyse/)
  })
})

describe('hub policy check with a policy file', () => {
  it("checks the file's examples once per content, across processes", async () => {
    const policy = join(root, 'checked.policy.json')
    const cacheHome = join(root, 'cache')
    const env = {XDG_CACHE_HOME: cacheHome}
    const write = (match: string[]): Promise<void> =>
      writeFile(
        policy,
        JSON.stringify({
          rules: [
            {
              id: 'no-deploy',
              decision: 'deny',
              reason: 'deploys go through CI',
              program: 'make',
              args: '^deploy',
              examples: {match, not_match: ['make test']},
            },
          ],
        }),
      )
    const check = (command: string): ReturnType<typeof hub> =>
      hub(['policy', 'check', command, '--policy', policy], {root, env})

    await write(['make deploy'])
    const first = await check('make deploy')
    expect(first.code, first.stderr).toBe(8)
    expect(first.stdout).toMatch(/file:no-deploy/)
    const cache = join(cacheHome, 'hub', 'policy-examples.json')
    const remembered = statSync(cache)
    // A second process with the same content finds it in the cache and writes nothing.
    expect((await check('ls -la')).code).toBe(0)
    expect([statSync(cache).ino, statSync(cache).mtimeMs]).toEqual([remembered.ino, remembered.mtimeMs])

    // Changed content is checked again: a wrong example is reported, whatever the cache holds.
    await write(['make deploy', 'make test'])
    const wrong = await check('ls -la')
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toMatch(/example "make test" in examples.match does not match the rule/)
  })
})
