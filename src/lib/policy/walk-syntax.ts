/** Classes of syntax-tree nodes the walk treats alike, and backtick code in here-document text. */

import type {SyntaxNode} from './parser.js'

/**
 * A loop that cannot end by its own condition (`while true`, `while :`, `until false`, `for ((;;))`). The
 * walk marks its body, so that a rule can tell a loop that only starts background processes (a fork bomb
 * written as a loop) from one that waits.
 */
export function endlessLoop(node: SyntaxNode, condition: null | string): boolean {
  if (node.type === 'c_style_for_statement') return condition === null
  const text = (condition ?? '').replace(/;\s*$/, '').trim()
  return node.children[0]?.type === 'until'
    ? /^(?:false|\/bin\/false|\[\s*0\s*-eq\s*1\s*\])$/.test(text)
    : /^(?:true|:|\/bin\/true|\[\s*1\s*\]|\(\(\s*1\s*\)\)|\[\[\s*1\s*\]\])$/.test(text)
}

/** Bodies of unescaped backtick pairs in here-document text. */
export function backtickBodies(text: string): string[] {
  const out: string[] = []
  let start = -1
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (ch === '\\') {
      i++
      continue
    }

    if (ch !== '`') continue
    if (start < 0) start = i + 1
    else {
      out.push(text.slice(start, i))
      start = -1
    }
  }

  return out
}

const WORD_NODES = new Set([
  'word',
  'number',
  'string',
  'raw_string',
  'ansi_c_string',
  'translated_string',
  'concatenation',
  'simple_expansion',
  'expansion',
  'arithmetic_expansion',
  'brace_expression',
])

export function isWordNode(type: string): boolean {
  return WORD_NODES.has(type)
}

export function isRedirectNode(type: string): boolean {
  return type === 'file_redirect' || type === 'heredoc_redirect' || type === 'herestring_redirect'
}
