/** Brace expansion and `$IFS` splitting of a word's units, capped so that neither can blow up. */

import {ENGINE_LIMITS} from './packs/engine.js'
import {type Unit} from './word-types.js'

const MAX_BRACE_WORDS: number = ENGINE_LIMITS.maxBraceWords
/** More unquoted `{` than this in one word is refused before any expansion is tried (cheap to check). */
const MAX_BRACE_OPENS = 40

/** Splits at unquoted `$IFS` / `${IFS}`, which with the default IFS separate words. */
export function splitOnIfs(units: readonly Unit[]): Unit[][] {
  if (!units.some((u) => isIfs(u))) return [units as Unit[]]
  const parts: Unit[][] = []
  let current: Unit[] = []
  for (const u of units) {
    if (isIfs(u)) {
      if (current.length > 0) parts.push(current)
      current = []
    } else current.push(u)
  }

  if (current.length > 0) parts.push(current)
  return parts
}

function isIfs(u: Unit): boolean {
  return !u.quoted && u.dyn?.kind === 'var' && u.dyn.name === 'IFS'
}

function isOpen(u: undefined | Unit): boolean {
  return u !== undefined && !u.quoted && !u.dyn && u.ch === '{'
}

function isClose(u: undefined | Unit): boolean {
  return u !== undefined && !u.quoted && !u.dyn && u.ch === '}'
}

/** Bash brace expansion (`{a,b}`, `{1..3}`, `{a..e..2}`), capped so it cannot blow up. */
export function expandBraces(units: readonly Unit[]): Unit[][] {
  return expandBracesChecked(units).words
}

/**
 * Brace expansion with its limit made visible: a word whose alternatives multiply past the cap is
 * not cut short (what lies past the cut would go unjudged) but reported, so the request is refused.
 * Sequences (`{1..1000}`) only make numbers or letters and are cut short silently.
 */
export function expandBracesChecked(units: readonly Unit[]): {overflow?: string; words: Unit[][]} {
  let opens = 0
  for (const u of units) if (isOpen(u)) opens++
  if (opens === 0) return {words: [units as Unit[]]}
  const shown = units
    .slice(0, 24)
    .map((u) => u.ch)
    .join('')
  if (opens > MAX_BRACE_OPENS)
    return {overflow: `a word with ${opens} brace expansions (${shown}…)`, words: [units as Unit[]]}
  const out: Unit[][] = []
  const state = {overflow: false}
  expandInto(units, out, state)
  if (state.overflow)
    return {overflow: `a word whose brace expansion makes more than ${MAX_BRACE_WORDS} words (${shown}…)`, words: out}
  return {words: out.length > 0 ? out : [units as Unit[]]}
}

function expandInto(units: readonly Unit[], out: Unit[][], state: {overflow: boolean}): void {
  if (out.length >= MAX_BRACE_WORDS) {
    state.overflow = true
    return
  }

  for (let i = 0; i < units.length; i++) {
    if (!isOpen(units[i])) continue
    const found = braceBody(units, i)
    if (found === null) continue
    const {end, alternatives} = found
    const head = units.slice(0, i)
    const tail = units.slice(end + 1)
    for (const alt of alternatives) {
      if (out.length >= MAX_BRACE_WORDS) {
        state.overflow = true
        return
      }

      expandInto([...head, ...alt, ...tail], out, state)
    }

    return
  }

  out.push(units as Unit[])
}

function braceBody(units: readonly Unit[], open: number): null | {alternatives: Unit[][]; end: number} {
  let depth = 0
  const commas: number[] = []
  for (let j = open + 1; j < units.length; j++) {
    const u = units[j] as Unit
    if (isOpen(u)) depth++
    else if (isClose(u)) {
      if (depth === 0) {
        const body = units.slice(open + 1, j)
        if (commas.length > 0) {
          const alternatives: Unit[][] = []
          let from = open + 1
          for (const c of [...commas, j]) {
            alternatives.push(units.slice(from, c) as Unit[])
            from = c + 1
          }

          return {end: j, alternatives}
        }

        const seq = sequence(body)
        return seq === null ? null : {end: j, alternatives: seq}
      }

      depth--
    } else if (depth === 0 && !u.quoted && !u.dyn && u.ch === ',') commas.push(j)
  }

  return null
}

function sequence(body: readonly Unit[]): null | Unit[][] {
  if (body.some((u) => u.quoted || u.dyn)) return null
  const text = body.map((u) => u.ch).join('')
  const m = /^(-?\d+|[A-Za-z])\.\.(-?\d+|[A-Za-z])(?:\.\.(-?\d+))?$/.exec(text)
  if (!m) return null
  const [, a = '', b = '', stepText] = m
  const step = Math.max(1, Math.abs(Number(stepText ?? 1)) || 1)
  const numeric = /\d/.test(a) && /\d/.test(b)
  if (!numeric && (/\d/.test(a) || /\d/.test(b))) return null
  const from = numeric ? Number(a) : (a.codePointAt(0) ?? 0)
  const to = numeric ? Number(b) : (b.codePointAt(0) ?? 0)
  const dir = from <= to ? 1 : -1
  const out: Unit[][] = []
  for (let v = from; dir > 0 ? v <= to : v >= to; v += dir * step) {
    const s = numeric ? String(v) : String.fromCodePoint(v)
    out.push([...s].map((ch) => ({ch, quoted: false})))
    if (out.length >= MAX_BRACE_WORDS) break
  }

  return out
}
