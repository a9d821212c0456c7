/**
 * Shell words as the program will receive them: quotes removed, escapes decoded, brace expansion
 * done, and everything that only the running shell can know (parameters, command substitution …)
 * kept visible as such, so rules can tell "the literal path /etc" from "whatever $DIR holds".
 */

import type {SyntaxNode} from './parser.js'

export {decodeAnsiC} from './ansi-c.js'
export {expandBraces, expandBracesChecked} from './braces.js'
export type {Dynamic, DynamicKind, NestedWalker, Unit, Word} from './word-types.js'
import {expandBracesChecked, splitOnIfs} from './braces.js'
import {type NestedWalker, type Unit, type Word} from './word-types.js'
import {collectUnits, hasClosingBracket, pushUnquoted} from './word-units.js'

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
const PLAIN = /^[A-Za-z0-9_./:=,+@%^-]+$/
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

/** Quotes a value for display when it would not read back as one word. */
export function shellQuote(value: string): string {
  if (value === '') return "''"
  if (/^[A-Za-z0-9_@%+=:,./~^-]+$/.test(value)) return value
  return `'${value.replaceAll("'", `'\\''`)}'`
}
