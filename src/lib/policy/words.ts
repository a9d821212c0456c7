/**
 * Shell words as the program will receive them: quotes removed, escapes decoded, brace expansion
 * done, and everything that only the running shell can know (parameters, command substitution …)
 * kept visible as such, so rules can tell "the literal path /etc" from "whatever $DIR holds".
 */

import type {SyntaxNode} from './parser.js'

import {ENGINE_LIMITS} from './packs/engine.js'

export type DynamicKind = 'arith' | 'cmd' | 'proc' | 'var'

/** A part of a word that only the running shell can produce. */
export interface Dynamic {
  /** For `${X:-default}` / `${X-default}`: the default, when it is literal. */
  readonly fallback?: string | undefined
  /** Walk group of the commands inside `$(…)`, backticks or `<(…)`. */
  readonly group?: number | undefined
  readonly kind: DynamicKind
  /** Parameter name for `var` (`HOME`, `1`, `@` …). */
  readonly name?: string | undefined
  /** For `$(…)`: what it prints when that is knowable without running anything (`$(echo rm)`). */
  readonly output?: string | undefined
}

/** One character (or one atomic expansion) of a word, with its quoting. */
export interface Unit {
  readonly ch: string
  readonly dyn?: Dynamic | undefined
  readonly quoted: boolean
}

export interface Word {
  /** Produced by brace expansion or by splitting on `$IFS`: the source shows it differently. */
  readonly derived: boolean
  /** Unquoted `*`, `?` or `[…]`: the shell may replace it with matching file names. */
  readonly glob: boolean
  /** Set when brace expansion would make more words than the engine reads: why (the word is refused). */
  readonly overflow?: string | undefined
  /** Literal text before the first expansion or unquoted glob character. */
  readonly prefix: string
  /** The whole word is one process substitution: the walk group of the commands producing it. */
  readonly procGroup?: number | undefined
  /** Source text as written. */
  readonly raw: string
  /** No run-time expansion: `value` is exactly what the program receives (pathname expansion aside). */
  readonly static: boolean
  /** Contains `$(…)`, backticks or process substitution. */
  readonly substitution: boolean
  /** Starts with an unquoted `~` (the home directory, which lies outside the workspace). */
  readonly tilde: boolean
  readonly units: readonly Unit[]
  /** Text after quote removal; run-time expansions keep their source text (`$HOME`). */
  readonly value: string
  /** Parameters expanded in it. */
  readonly vars: readonly string[]
}

/** Called for each `$(…)`, backtick and `<(…)`/`>(…)` met while reading a word; returns the walk group. */
export type NestedWalker = (node: SyntaxNode, kind: 'cmd' | 'proc') => number

const MAX_BRACE_WORDS: number = ENGINE_LIMITS.maxBraceWords
/** More unquoted `{` than this in one word is refused before any expansion is tried (cheap to check). */
const MAX_BRACE_OPENS = 40

export function literalWord(text: string, opts: {derived?: boolean; quoted?: boolean} = {}): Word {
  const quoted = opts.quoted ?? true
  const units: Unit[] = []
  for (const ch of text) units.push({ch, quoted})
  return makeWord(text, units, opts.derived ?? false)
}

/** A path as a program receives it from elsewhere (input, an option's value): `~` at its start means home. */
export function pathWord(text: string, derived = true): Word {
  if (text !== '~' && !text.startsWith('~/')) return literalWord(text, {derived})
  const units: Unit[] = [{ch: '~', quoted: false}]
  for (const ch of text.slice(1)) units.push({ch, quoted: true})
  return makeWord(text, units, derived)
}

/** Plain unquoted text read as the shell would read one word of it (escapes, braces, globs). */
export function unquotedWords(text: string): Word[] {
  const units: Unit[] = []
  pushUnquoted(units, text)
  return wordsFromUnits(text, units)
}

/** A word made of the given units (part of another word, a joined word …). */
export function wordFromUnits(raw: string, units: readonly Unit[], derived = true): Word {
  return makeWord(raw, units, derived)
}

/** The part of a word after its first literal `=` (`--file=~/x` → `~/x`, `of=/dev/sda` → `/dev/sda`). */
export function wordAfterEquals(word: Word): null | Word {
  const at = word.units.findIndex((u) => u.dyn === undefined && u.ch === '=')
  if (at === -1) return null
  const tail = word.units.slice(at + 1)
  // Programs differ on whether `~` after `=` means home; reading it as home is the cautious choice.
  const first = tail[0]
  const units = first && first.ch === '~' ? [{ch: '~', quoted: false}, ...tail.slice(1)] : tail
  return makeWord(word.raw, units, true)
}

/** `name=value` as one word (an assignment given to `export`, `env`, `declare` …). */
export function assignmentWord(raw: string, name: string, value: null | Word): Word {
  const units: Unit[] = []
  for (const ch of `${name}=`) units.push({ch, quoted: true})
  if (value) units.push(...value.units)
  return makeWord(raw, units, false)
}

/**
 * Reads one argument node into words. Usually one; brace expansion and unquoted `$IFS` can make
 * several (`{rm,-rf,/}` is three words, `rm${IFS}-rf` two).
 */
export function readWords(node: SyntaxNode, src: string, walk: NestedWalker): Word[] {
  const quick = plainWord(node, src)
  if (quick !== null) return [quick]
  const units: Unit[] = []
  collectUnits(node, src, walk, units, false)
  const raw = src.slice(node.start, node.end)
  return wordsFromUnits(raw, units)
}

/** Brace expansion and `$IFS` splitting of one word's units (see `readWords`). */
export function wordsFromUnits(raw: string, units: readonly Unit[]): Word[] {
  const {words: braced, overflow} = expandBracesChecked(units)
  if (overflow !== undefined) return [{...makeWord(raw, units, true), overflow}]
  const out: Word[] = []
  for (const variant of braced) {
    const parts = splitOnIfs(variant)
    const derived = braced.length > 1 || parts.length > 1
    for (const part of parts) out.push(makeWord(raw, part, derived))
  }

  return out
}

/** Reads a node as a single word, without brace expansion or splitting (assignment values, redirect targets). */
export function readWord(node: SyntaxNode, src: string, walk: NestedWalker): Word {
  const quick = plainWord(node, src)
  if (quick !== null) return quick
  const units: Unit[] = []
  collectUnits(node, src, walk, units, false)
  return makeWord(src.slice(node.start, node.end), units, false)
}

/**
 * Reads plain shell text as one word the way bash does: quotes, backslashes, `$NAME` and `${NAME}`.
 * Used where the grammar splits one word in two (`rm$IFS-rf$IFS/etc` comes out as `rm$IFS-rf$` and
 * `IFS/etc`). Null for text with substitutions or anything else this small reader does not know.
 */
export function lexWord(text: string): null | Unit[] {
  if (/[`]|\$[({]\(|\$\(/.test(text)) return null
  const out: Unit[] = []
  let quote: "'" | '"' | null = null
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string
    if (quote === "'") {
      if (ch === "'") quote = null
      else out.push({ch, quoted: true})
      continue
    }

    if (ch === '\\' && i + 1 < text.length) {
      const next = text[i + 1] as string
      if (quote === null || '$`"\\'.includes(next)) {
        out.push({ch: next, quoted: true})
        i++
        continue
      }
    }

    if (ch === '"') {
      quote = quote === '"' ? null : '"'
      continue
    }

    if (ch === "'" && quote === null) {
      quote = "'"
      continue
    }

    if (ch === '$') {
      const m = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-]))/.exec(text.slice(i))
      if (m) {
        out.push({ch: m[0], quoted: quote !== null, dyn: {kind: 'var', name: m[1] ?? m[2]}})
        i += m[0].length - 1
        continue
      }

      if (/^\$[{(]/.test(text.slice(i))) return null
    }

    out.push({ch, quoted: quote !== null})
  }

  return quote === null ? out : null
}

/** Characters that never mean anything special to the shell inside an unquoted word. */
const PLAIN = /^[A-Za-z0-9_.\/:=,+@%^-]+$/
/** Text of a single-quoted string, or of a double-quoted one with no escapes or expansions. */
const PLAIN_QUOTED = /^[^\\$`]*$/

/**
 * Most words are plain (`ls`, `-la`, `src/main.ts`, `'a b'`): for those the value is the text itself
 * and the per-character units are only built if a rule asks for them. This keeps the common case
 * from allocating an object per character on the hot path.
 */
function plainWord(node: SyntaxNode, src: string): null | Word {
  const raw = src.slice(node.start, node.end)
  let value: string
  let quoted: boolean
  if (node.type === 'word' || node.type === 'number') {
    if (!PLAIN.test(raw)) return null
    value = raw
    quoted = false
  } else if (node.type === 'raw_string' && raw.length >= 2 && raw.endsWith("'")) {
    value = raw.slice(1, -1)
    quoted = true
  } else if (
    node.type === 'string' &&
    raw.length >= 2 &&
    node.children.every((c) => !c.named || c.type === 'string_content')
  ) {
    value = raw.slice(1, -1)
    if (!PLAIN_QUOTED.test(value)) return null
    quoted = true
  } else return null
  return new PlainWord(raw, value, quoted)
}

/** A word with no expansion, glob, brace or tilde: its units are made only when asked for. */
class PlainWord implements Word {
  readonly derived = false
  readonly glob = false
  readonly prefix: string
  readonly procGroup = undefined
  readonly static = true
  readonly substitution = false
  readonly tilde = false
  readonly vars: readonly string[] = []
  private cached: undefined | Unit[]

  constructor(
    readonly raw: string,
    readonly value: string,
    private readonly quoted: boolean,
  ) {
    this.prefix = value
  }

  get units(): readonly Unit[] {
    if (this.cached === undefined) {
      this.cached = []
      for (const ch of this.value) this.cached.push({ch, quoted: this.quoted})
    }

    return this.cached
  }
}

/** Every expansion in the word is a number (`$$`, `$!`, `$?`, `$#`): nothing in it can change a command. */
export function onlyNumericExpansions(word: Word): boolean {
  return word.units.every((u) => u.dyn === undefined || (u.dyn.kind === 'var' && /^[$!?#]$/.test(u.dyn.name ?? '')))
}

/** The word begins with a run-time expansion (`$X…`): it cannot be an option, whatever it holds. */
export function startsDynamic(word: Word): boolean {
  return !word.static && word.units[0]?.dyn !== undefined
}

function makeWord(raw: string, units: readonly Unit[], derived: boolean): Word {
  let value = ''
  let prefix = ''
  let prefixDone = false
  let isStatic = true
  let glob = false
  let substitution = false
  const vars: string[] = []
  for (let i = 0; i < units.length; i++) {
    const u = units[i] as Unit
    value += u.ch
    if (u.dyn) {
      isStatic = false
      prefixDone = true
      if (u.dyn.kind === 'var' && u.dyn.name !== undefined) vars.push(u.dyn.name)
      if (u.dyn.kind === 'cmd' || u.dyn.kind === 'proc') substitution = true
      continue
    }

    if (!u.quoted && (u.ch === '*' || u.ch === '?' || (u.ch === '[' && hasClosingBracket(units, i)))) {
      glob = true
      prefixDone = true
    }

    if (!prefixDone) prefix += u.ch
  }

  const first = units[0]
  const tilde = first !== undefined && !first.quoted && first.dyn === undefined && first.ch === '~'
  const only = units.length === 1 ? units[0] : undefined
  const procGroup = only?.dyn?.kind === 'proc' ? only.dyn.group : undefined
  return {raw, value, static: isStatic, glob, tilde, prefix, vars, substitution, procGroup, derived, units}
}

function hasClosingBracket(units: readonly Unit[], from: number): boolean {
  for (let j = from + 2; j < units.length; j++) {
    const u = units[j] as Unit
    if (u.ch === ']' && !u.quoted && !u.dyn) return true
  }

  return false
}

function pushText(out: Unit[], text: string, quoted: boolean): void {
  for (const ch of text) out.push({ch, quoted})
}

/** Unquoted text: a backslash quotes the next character; backslash-newline disappears. */
function pushUnquoted(out: Unit[], text: string): void {
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string
    if (ch === '\\' && i + 1 < text.length) {
      const next = text[i + 1] as string
      i++
      if (next === '\n') continue
      out.push({ch: next, quoted: true})
      continue
    }

    out.push({ch, quoted: false})
  }
}

/** Inside double quotes a backslash only escapes `$`, backtick, `"`, `\` and newline. */
function pushDoubleQuoted(out: Unit[], text: string): void {
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string
    if (ch === '\\' && i + 1 < text.length) {
      const next = text[i + 1] as string
      if (next === '\n') {
        i++
        continue
      }

      if (next === '$' || next === '`' || next === '"' || next === '\\') {
        out.push({ch: next, quoted: true})
        i++
        continue
      }
    }

    out.push({ch, quoted: true})
  }
}

function collectUnits(node: SyntaxNode, src: string, walk: NestedWalker, out: Unit[], inQuotes: boolean): void {
  const text = (): string => src.slice(node.start, node.end)
  switch (node.type) {
    case 'word':
    case 'number':
    case 'brace_expression':
    case 'extglob_pattern':
    case 'test_operator':
    case 'regex':
    case 'special_variable_name':
    case 'variable_name': {
      if (inQuotes) pushDoubleQuoted(out, text())
      else pushUnquoted(out, text())
      return
    }

    case 'raw_string': {
      const t = text()
      pushText(out, t.slice(1, t.endsWith("'") && t.length >= 2 ? -1 : undefined), true)
      return
    }

    case 'ansi_c_string': {
      const t = text()
      pushText(out, decodeAnsiC(t.slice(2, t.endsWith("'") && t.length >= 3 ? -1 : undefined)), true)
      return
    }

    case 'string': {
      for (const child of node.children) {
        if (!child.named) continue
        if (child.type === 'string_content') pushDoubleQuoted(out, src.slice(child.start, child.end))
        else collectUnits(child, src, walk, out, true)
      }

      return
    }

    case 'translated_string': {
      for (const child of node.children) {
        if (child.named) collectUnits(child, src, walk, out, inQuotes)
      }

      return
    }

    case 'concatenation': {
      for (const child of node.children) collectUnits(child, src, walk, out, inQuotes)
      return
    }

    case 'simple_expansion':
    case 'expansion': {
      out.push({ch: text(), quoted: inQuotes, dyn: readExpansion(node, src, walk)})
      return
    }

    case 'command_substitution': {
      const group = walk(node, 'cmd')
      out.push({ch: text(), quoted: inQuotes, dyn: {kind: 'cmd', group, output: staticOutput(node, src)}})
      return
    }

    case 'process_substitution': {
      const group = walk(node, 'proc')
      out.push({ch: text(), quoted: inQuotes, dyn: {kind: 'proc', group}})
      return
    }

    case 'arithmetic_expansion': {
      walk(node, 'cmd')
      out.push({ch: text(), quoted: inQuotes, dyn: {kind: 'arith'}})
      return
    }

    default: {
      if (!node.named) {
        // Anonymous tokens inside a word (a stray `$`, `=` …) are literal text.
        if (inQuotes) pushDoubleQuoted(out, text())
        else pushUnquoted(out, text())
        return
      }

      // A node kind this reader does not know: anything in it could run, so walk it for
      // commands and treat the whole as a run-time value rather than guess at its text.
      const group = walk(node, 'cmd')
      out.push({ch: text(), quoted: inQuotes, dyn: {kind: 'cmd', group}})
    }
  }
}

function readExpansion(node: SyntaxNode, src: string, walk: NestedWalker): Dynamic {
  let name: string | undefined
  let fallback: string | undefined
  let sawDefaultOp = false
  for (const child of node.children) {
    if (!child.named) {
      if (child.type === ':-' || child.type === '-' || child.type === ':=' || child.type === '=') sawDefaultOp = true
      continue
    }

    if (name === undefined && (child.type === 'variable_name' || child.type === 'special_variable_name')) {
      name = src.slice(child.start, child.end)
      continue
    }

    // Substitutions inside `${X:-$(…)}` run too.
    const units: Unit[] = []
    collectUnits(child, src, walk, units, false)
    if (sawDefaultOp && fallback === undefined && units.every((u) => u.dyn === undefined)) {
      fallback = units.map((u) => u.ch).join('')
    }
  }

  if (name === undefined) {
    // `$1`, `$@` … are parsed with the digit or sign directly after `$`.
    const t = src.slice(node.start, node.end)
    const m = /^\$\{?([#!]?)([A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])/.exec(t)
    name = m?.[2]
  }

  return {kind: 'var', name, fallback}
}

/** What `$(echo rm)` or `` `printf rm` `` prints, when it is one such command with literal arguments. */
function staticOutput(node: SyntaxNode, src: string): string | undefined {
  const inner = node.children.filter((c) => c.named)
  if (inner.length !== 1) return undefined
  const cmd = inner[0] as SyntaxNode
  if (cmd.type !== 'command') return undefined
  const words: string[] = []
  for (const child of cmd.children) {
    const target = child.type === 'command_name' ? child.children[0] : child
    if (target === undefined) return undefined
    if (child.field !== 'name' && child.field !== 'argument') return undefined
    const units: Unit[] = []
    collectUnits(target, src, () => 0, units, false)
    if (units.some((u) => u.dyn !== undefined)) return undefined
    words.push(units.map((u) => u.ch).join(''))
  }

  const [program, ...args] = words
  if (program === 'echo' && !args.some((a) => a.startsWith('-'))) return args.join(' ')
  if (program === 'printf' && args.length === 1 && !/[%\\]/.test(args[0] as string)) return args[0]
  // `$(which rm)`, `$(command -v rm)`, `$(type -P rm)`: the path of that program, judged as it.
  const named = args.filter((a) => !a.startsWith('-'))
  if (
    named.length === 1 &&
    (program === 'which' || program === 'command' || program === 'type') &&
    (program === 'which' || args.some((a) => /^-[vpP]+$/.test(a)))
  )
    return named[0]

  return undefined
}

/** `$'…'` escapes, as bash decodes them. */
export function decodeAnsiC(body: string): string {
  let out = ''
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] as string
    if (ch !== '\\' || i + 1 >= body.length) {
      out += ch
      continue
    }

    const e = body[++i] as string
    switch (e) {
      case 'a': {
        out += '\u0007'
        break
      }

      case 'b': {
        out += '\b'
        break
      }

      case 'e':
      case 'E': {
        out += '\u001B'
        break
      }

      case 'f': {
        out += '\f'
        break
      }

      case 'n': {
        out += '\n'
        break
      }

      case 'r': {
        out += '\r'
        break
      }

      case 't': {
        out += '\t'
        break
      }

      case 'v': {
        out += '\v'
        break
      }

      case '\\': {
        out += '\\'
        break
      }

      case "'": {
        out += "'"
        break
      }

      case '"': {
        out += '"'
        break
      }

      case '?': {
        out += '?'
        break
      }

      case 'c': {
        const c = body[i + 1]
        if (c !== undefined) {
          out += String.fromCharCode(c.toUpperCase().charCodeAt(0) & 0x1f)
          i++
        }

        break
      }

      case 'x': {
        const m = /^[0-9a-fA-F]{1,2}/.exec(body.slice(i + 1))
        if (m) {
          out += String.fromCharCode(Number.parseInt(m[0], 16))
          i += m[0].length
        } else out += String.raw`\x`
        break
      }

      case 'u':
      case 'U': {
        const m = (e === 'u' ? /^[0-9a-fA-F]{1,4}/ : /^[0-9a-fA-F]{1,8}/).exec(body.slice(i + 1))
        if (m) {
          const cp = Number.parseInt(m[0], 16)
          out += cp <= 0x10_ff_ff ? String.fromCodePoint(cp) : ''
          i += m[0].length
        } else out += '\\' + e
        break
      }

      default: {
        if (e >= '0' && e <= '7') {
          const m = /^[0-7]{1,3}/.exec(body.slice(i)) as RegExpExecArray
          out += String.fromCharCode(Number.parseInt(m[0], 8) & 0xff)
          i += m[0].length - 1
        } else out += '\\' + e
      }
    }
  }

  return out
}

/** Splits at unquoted `$IFS` / `${IFS}`, which with the default IFS separate words. */
function splitOnIfs(units: readonly Unit[]): Unit[][] {
  if (!units.some(isIfs)) return [units as Unit[]]
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
  const from = numeric ? Number(a) : a.charCodeAt(0)
  const to = numeric ? Number(b) : b.charCodeAt(0)
  const dir = from <= to ? 1 : -1
  const out: Unit[][] = []
  for (let v = from; dir > 0 ? v <= to : v >= to; v += dir * step) {
    const s = numeric ? String(v) : String.fromCharCode(v)
    out.push([...s].map((ch) => ({ch, quoted: false})))
    if (out.length >= MAX_BRACE_WORDS) break
  }

  return out
}

/** Quotes a value for display when it would not read back as one word. */
export function shellQuote(value: string): string {
  if (value === '') return "''"
  if (/^[A-Za-z0-9_@%+=:,./~^-]+$/.test(value)) return value
  return `'${value.replaceAll("'", `'\\''`)}'`
}
