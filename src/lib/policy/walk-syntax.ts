/** Classes of syntax-tree nodes the walk treats alike, and backtick code in here-document text. */

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
