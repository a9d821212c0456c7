/**
 * The whole corpus, with one variant of each base command (chained, wrapped, in a subshell …) so
 * that a rule is measured on its family, not on the exact string it was written from.
 */
import {cloudFamilies} from './cloud-families.js'
import {destructiveFamilies} from './destructive.js'
import {evasionFamilies} from './evasion.js'
import {forensicsFamilies} from './forensics.js'
import {harmlessFamilies} from './harmless/index.js'
import {listedAndHostFamilies} from './listed-and-hosts.js'
import {plantedAndExhaustingFamilies} from './planted-and-exhausting.js'
import {runtimeAndHostFamilies} from './runtime-and-host.js'
import {storesAndWindowsFamilies} from './stores-and-windows.js'
import {systemFamilies} from './system.js'
import {tokensFloodsAndLeaksFamilies} from './tokens-floods-and-leaks.js'
import {type CorpusCase, type Family, fnv1a, isHeldOut} from './types.js'
import {unseenFamilies} from './unseen.js'
import {windowsFamilies} from './windows-families.js'

export type {CorpusCase, Expectation, Family} from './types.js'

export const FAMILIES: readonly Family[] = [
  ...destructiveFamilies,
  ...forensicsFamilies,
  ...systemFamilies,
  ...evasionFamilies,
  ...unseenFamilies,
  ...runtimeAndHostFamilies,
  ...tokensFloodsAndLeaksFamilies,
  ...listedAndHostFamilies,
  ...storesAndWindowsFamilies,
  ...plantedAndExhaustingFamilies,
  ...cloudFamilies,
  ...windowsFamilies,
  ...harmlessFamilies,
]

const SHELL_OPERATORS = /[;&|<>()`\n]|\$\(/
type Wrap = {readonly applies: (c: string) => boolean; readonly name: string; readonly wrap: (c: string) => string}

const singleLine = (c: string): boolean => !c.includes('\n') && !/\s#/.test(c) && !/&\s*$/.test(c)
const WRAPS: readonly Wrap[] = [
  {name: 'chained', applies: singleLine, wrap: (c) => `${c} && echo ok`},
  {name: 'bash -c', applies: (c) => singleLine(c) && !/['$\\]/.test(c), wrap: (c) => `bash -c '${c}'`},
  // `timeout 120 X=1 cmd` would run a program named `X=1`: only plain commands are wrapped.
  {
    name: 'timeout',
    applies: (c) => singleLine(c) && !SHELL_OPERATORS.test(c) && !/^\w+=/.test(c),
    wrap: (c) => `timeout 120 ${c}`,
  },
  {name: 'subshell', applies: singleLine, wrap: (c) => `(${c})`},
  {name: 'set -e', applies: singleLine, wrap: (c) => `set -e; ${c}`},
]

function variantOf(family: Family, command: string): null | {command: string; variant: string} {
  // PowerShell and cmd text is not bash: wrapping it in bash syntax would make a different request.
  if (family.family.startsWith('powershell.') || family.family === 'dev.powershell') return null
  const start = fnv1a(command) % WRAPS.length
  for (let i = 0; i < WRAPS.length; i++) {
    const w = WRAPS[(start + i) % WRAPS.length] as Wrap
    if (w.applies(command)) return {command: w.wrap(command), variant: w.name}
  }

  return null
}

let cached: readonly CorpusCase[] | undefined

/** Every case, base commands and their variants; `heldOut` marks the slice kept out of tuning. */
export function corpusCases(): readonly CorpusCase[] {
  if (cached) return cached
  const out: CorpusCase[] = []
  for (const f of FAMILIES) {
    for (const command of f.cases) {
      const heldOut = isHeldOut(f.family, command)
      out.push({command, expect: f.expect, family: f.family, heldOut, variant: 'base'})
      const v = variantOf(f, command)
      if (v) out.push({command: v.command, expect: f.expect, family: f.family, heldOut, variant: v.variant})
    }
  }

  cached = out
  return out
}
