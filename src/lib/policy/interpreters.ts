/**
 * Interpreters of languages other than shell: how each takes its program inline or on standard
 * input, and where that program text comes from.
 */

import type {Word} from './words.js'

import {type Cmd, programFamily} from './command.js'
import {parseOptions} from './options.js'
import {literalWord, wordAfterEquals} from './words.js'

export interface InterpreterSpec {
  /** Short options whose value can only be attached (`perl -i.bak`, `-Mstrict`): never the next word. */
  readonly attachedOnly?: string
  /** Long options (without dashes) that do (`node --eval`). */
  readonly inlineLong?: readonly string[]
  /** Short options that take the program text itself (`python -c`, `perl -e`). */
  readonly inlineShort: string
  /** Single-dash word options that do (`pwsh -Command`, `deno eval`); matched case-insensitively. */
  readonly inlineWords?: readonly string[]
  readonly longValue?: readonly string[]
  /** Short options that take a value, attached or not: letters after them are that value. */
  readonly shortValue: string
}

/** Interpreters of languages other than shell; inline code for them is a bypass (SPEC §4.3). */
export const INTERPRETERS: Readonly<Record<string, InterpreterSpec>> = {
  python: {inlineShort: 'c', shortValue: 'mWXQ'},
  pypy: {inlineShort: 'c', shortValue: 'mWX'},
  perl: {inlineShort: 'eE', shortValue: '', attachedOnly: 'xIMmdDCil0'},
  ruby: {inlineShort: 'e', shortValue: 'rICEFx0TKW'},
  node: {
    inlineShort: 'ep',
    inlineLong: ['eval', 'print'],
    shortValue: 'rC',
    longValue: ['require', 'import', 'loader', 'experimental-loader', 'conditions', 'input-type'],
  },
  nodejs: {
    inlineShort: 'ep',
    inlineLong: ['eval', 'print'],
    shortValue: 'rC',
    longValue: ['require', 'import', 'loader'],
  },
  bun: {inlineShort: 'ep', inlineLong: ['eval', 'print'], shortValue: ''},
  deno: {inlineShort: '', inlineWords: ['eval'], shortValue: ''},
  php: {inlineShort: 'rRBE', shortValue: 'cdfz'},
  lua: {inlineShort: 'e', shortValue: 'l'},
  luajit: {inlineShort: 'e', shortValue: 'lj'},
  rscript: {inlineShort: 'e', shortValue: ''},
  r: {inlineShort: 'e', shortValue: ''},
  julia: {inlineShort: 'eE', inlineLong: ['eval', 'print'], shortValue: 'JLp'},
  osascript: {inlineShort: 'e', shortValue: 'ls'},
  pwsh: {
    inlineShort: '',
    inlineWords: [
      '-c',
      '-command',
      '-e',
      '-ec',
      '-en',
      '-enc',
      '-encodedcommand',
      '-commandwithargs',
      '-cwa',
      '/c',
      '/command',
    ],
    shortValue: '',
  },
  powershell: {
    inlineShort: '',
    inlineWords: ['-c', '-command', '-e', '-ec', '-en', '-enc', '-encodedcommand', '/c', '/command'],
    shortValue: '',
  },
  groovy: {inlineShort: 'e', shortValue: ''},
  expect: {inlineShort: 'c', shortValue: 'f'},
  tclsh: {inlineShort: '', shortValue: ''},
  wish: {inlineShort: '', shortValue: ''},
  jshell: {inlineShort: '', shortValue: ''},
  irb: {inlineShort: '', shortValue: ''},
}

/** The option word that hands the interpreter its program inline, if any (before the script operand). */
export function inlineCodeOption(cmd: Cmd, spec: InterpreterSpec): null | string {
  for (const w of cmd.args) {
    const v = w.value
    if (spec.inlineWords?.includes(v.toLowerCase())) return v
    if (!v.startsWith('-') || v === '-' || v === '--') return null
    if (v.startsWith('--')) {
      const name = v.slice(2).split('=')[0] ?? ''
      if (spec.inlineLong?.includes(name)) return v
      continue
    }

    for (const letter of v.slice(1)) {
      if (spec.inlineShort.includes(letter)) return v
      if (spec.shortValue.includes(letter) || spec.attachedOnly?.includes(letter)) break
    }
  }

  return null
}

/** The inline program itself (the word after `-c`, `-e`, `--eval=` …), with the option that gave it. */
export function inlineCode(cmd: Cmd, spec: InterpreterSpec): null | {flag: string; word: null | Word} {
  const a = cmd.args
  for (let i = 0; i < a.length; i++) {
    const w = a[i] as Word
    const v = w.value
    if (spec.inlineWords?.includes(v.toLowerCase())) return {flag: v, word: a[i + 1] ?? null}
    if (!v.startsWith('-') || v === '-' || v === '--') return null
    if (v.startsWith('--')) {
      const eq = v.indexOf('=')
      const name = v.slice(2, eq === -1 ? undefined : eq)
      if (spec.inlineLong?.includes(name))
        return {flag: `--${name}`, word: eq === -1 ? (a[i + 1] ?? null) : wordAfterEquals(w)}
      continue
    }

    for (let j = 1; j < v.length; j++) {
      const letter = v[j] as string
      if (spec.inlineShort.includes(letter)) {
        const attached = v.slice(j + 1)
        return {flag: `-${letter}`, word: attached ? literalWord(attached, {derived: true}) : (a[i + 1] ?? null)}
      }

      if (spec.attachedOnly?.includes(letter)) break
      if (spec.shortValue.includes(letter)) {
        if (j === v.length - 1) i++
        break
      }
    }
  }

  return null
}

/** The interpreter entry for a program (`python3.11` → python), if it is one. */
export function interpreterOf(cmd: Cmd): null | {family: string; spec: InterpreterSpec} {
  const family = programFamily(cmd.name)
  const spec = INTERPRETERS[family]
  return spec ? {family, spec} : null
}

/** The interpreter reads its program from standard input (no script operand, or `-`). */
export function interpreterReadsStdin(cmd: Cmd, spec: InterpreterSpec): boolean {
  const parsed = parseOptions(cmd.args, {
    stopAtOperand: true,
    shortValue: spec.shortValue,
    longValue: spec.longValue ?? [],
  })
  if (parsed.flags.has('-m')) return false
  const first = cmd.args[parsed.rest]
  return first === undefined || first.value === '-' || first.value === '/dev/stdin'
}

/** Where the program text of a stdin-reading command comes from. */
export function stdinKind(cmd: Cmd): 'file' | 'heredoc' | 'herestring' | 'pipe' | null {
  for (const r of cmd.raw.redirects) {
    if (r.heredoc) return 'heredoc'
    if (r.op === '<<<') return 'herestring'
    if (r.op === '<' && r.target) return 'file'
  }

  return cmd.raw.slots.some((s) => s.index > 0) ? 'pipe' : null
}
