/** From tree-sitter nodes to a word's units: quoting, escapes and expansions as bash reads them. */

import type {SyntaxNode} from './parser.js'

import {decodeAnsiC} from './ansi-c.js'
import {type Dynamic, type NestedWalker, type Unit} from './word-types.js'

export function hasClosingBracket(units: readonly Unit[], from: number): boolean {
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
export function pushUnquoted(out: Unit[], text: string): void {
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

export function collectUnits(node: SyntaxNode, src: string, walk: NestedWalker, out: Unit[], inQuotes: boolean): void {
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
      // `${X:0:0}`, `${X:3:0}`, `${X%%*}`: empty whatever X holds, so nothing at all (`${PATH:0:0}rm` is rm).
      if (/^\$\{[A-Za-z_]\w*(?::[^:}]*:\s*0+\s*|%%\*)\}$/.test(text())) return
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
  if (program === 'printf' && args.length > 0 && !(args[0] as string).startsWith('-')) return printfOutput(args)
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

/** What `printf FORMAT ARGS…` prints for the plain conversions (`%s`, `%b`, `%d`), escapes decoded. */
function printfOutput([format, ...rest]: readonly string[]): string | undefined {
  let k = 0
  let unknown = false
  const once = (): string =>
    (format ?? '').replaceAll(/%(.)/g, (_m, c: string) => {
      if (c === '%') return '%'
      if (!'sbdiu'.includes(c)) unknown = true
      const arg = rest[k++] ?? ''
      return c === 'b' ? decodeAnsiC(arg) : arg
    })
  // printf reuses its format while arguments remain: `printf %s r m` prints `rm`.
  let out = once()
  for (let pass = 0; pass < rest.length; pass++) {
    const before = k
    if (before === 0 || before >= rest.length) break
    out += once()
  }

  return unknown ? undefined : decodeAnsiC(out)
}
