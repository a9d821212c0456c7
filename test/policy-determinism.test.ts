/**
 * Verdicts do not depend on how busy the machine is (issue 12): the whole built-in battery (every
 * rule's examples, the evasion and harmless batteries) and the corpus, judged once on an idle
 * machine and again while two CPU-bound processes saturate both cores, in this thread and through
 * the daemon's worker pool. Any budget measured in time instead of work would flip some of them:
 * the cases near the limits (floods, deep nesting, long chains) are in the battery on purpose.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {corpusCases} from '../src/lib/policy/corpus/index.js'
import {CORPUS_CONTEXT} from '../src/lib/policy/corpus/measure.js'
import {
  builtinPacks,
  EVASION_BATTERY,
  HARMLESS_BATTERY,
  loadPolicy,
  type PolicyContext,
  type Verdict,
} from '../src/lib/policy/index.js'
import {createPolicyPool} from '../src/lib/policy/pool.js'
import {fillExample} from '../src/lib/policy/rules.js'
import {waitFor} from './helpers.js'

interface Case {
  readonly command: string
  readonly ctx: PolicyContext
}

function cases(): Case[] {
  const ctx = CORPUS_CONTEXT
  const out: Case[] = []
  for (const pack of builtinPacks())
    for (const rule of pack.rules)
      for (const example of [...rule.examples.match, ...rule.examples.not_match])
        out.push({command: fillExample(example, ctx), ctx})
  for (const c of [...EVASION_BATTERY, ...HARMLESS_BATTERY]) {
    const cwd = c.cwd === undefined ? ctx.cwd : path.posix.resolve(fillExample(c.cwd, ctx))
    out.push({command: fillExample(c.command, ctx), ctx: {...ctx, cwd}})
  }

  for (const c of corpusCases()) out.push({command: fillExample(c.command, ctx), ctx})
  return out
}

/** What must not change: the decision, the deciding rule, and every rule that matched. */
function summary(v: Verdict): string {
  return `${v.decision} ${v.rule ?? '-'} [${v.matches.map((m) => m.rule).join(' ')}]`
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

const burners: ChildProcess[] = []

afterAll(() => {
  for (const b of burners) b.kill('SIGKILL')
})

describe('policy verdicts under load', () => {
  it('are identical on an idle machine and with every core saturated, in process and in the pool', async () => {
    const all = cases()
    expect(all.length).toBeGreaterThan(1500)
    const idleEngine = await loadPolicy({})
    const idle = all.map((c) => summary(idleEngine.evaluate(c.command, c.ctx)))
    // The battery reaches the limits the engine enforces, so a time-based one would show here.
    expect(idle.some((v) => v.startsWith('deny engine.over-budget'))).toBe(true)
    // Built-in packs never allow (only an operator's rule does): both other decisions are well represented.
    expect(idle.filter((v) => v.startsWith('deny ')).length).toBeGreaterThan(500)
    expect(idle.filter((v) => v.startsWith('ask ')).length).toBeGreaterThan(200)

    for (let i = 0; i < 2; i++) burners.push(spawn(process.execPath, ['-e', 'for(;;){}'], {stdio: 'ignore'}))
    // Judge again only once both burners have really been burning CPU for a while.
    await waitFor(async () => {
      const used = await Promise.all(burners.map((b) => cpuTicks(b.pid)))
      return used.every((t) => t > 20)
    }, 'both burners to run')

    const busyEngine = await loadPolicy({})
    const busy = all.map((c) => summary(busyEngine.evaluate(c.command, c.ctx)))
    const pool = await createPolicyPool({size: 2})
    let pooled: string[]
    try {
      pooled = (await Promise.all(all.map((c) => pool.evaluate(c.command, c.ctx)))).map((v) => summary(v))
    } finally {
      await pool.close()
      // Stop burning as soon as the busy judging is over (afterAll kills them too, if anything threw).
      for (const b of burners.splice(0)) b.kill('SIGKILL')
    }

    const differences = (other: string[]): string[] =>
      all.flatMap((c, i) => (other[i] === idle[i] ? [] : [`${c.command.slice(0, 80)}: ${idle[i]} → ${other[i]}`]))
    expect(differences(busy)).toEqual([])
    expect(differences(pooled)).toEqual([])
  })
})
