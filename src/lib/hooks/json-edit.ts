/**
 * Writes a changed JSON document back over its old text while keeping the text of everything that did
 * not change: a user's one-line hook group, their blank-free layout, their key spacing stay byte for
 * byte, and only the containers hub changed are laid out again (in the file's own indentation). The
 * diff `hub hook install` prints is then only hub's lines.
 *
 * The old text must already be valid JSON (the caller parsed it): the scanner below only records where
 * each value starts and ends.
 */

type Node =
  | {end: number; items: Node[]; kind: 'array'; start: number}
  | {end: number; kind: 'object'; members: Array<{key: string; value: Node}>; start: number}
  | {end: number; kind: 'scalar'; start: number}

const WS = new Set([' ', '\t', '\n', '\r'])

/** The value tree of valid JSON text with each value's position. */
function scan(text: string): Node {
  let i = 0
  const skipWs = (): void => {
    while (i < text.length && WS.has(text[i]!)) i++
  }

  const skipString = (): void => {
    i++
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1
    i++
  }

  const value = (): Node => {
    skipWs()
    const start = i
    const ch = text[i]
    if (ch === '{') {
      i++
      const members: Array<{key: string; value: Node}> = []
      skipWs()
      while (text[i] !== '}') {
        skipWs()
        const keyStart = i
        skipString()
        const key = JSON.parse(text.slice(keyStart, i)) as string
        skipWs()
        i++ // the colon
        members.push({key, value: value()})
        skipWs()
        if (text[i] === ',') i++
        skipWs()
      }

      i++
      return {kind: 'object', start, end: i, members}
    }

    if (ch === '[') {
      i++
      const items: Node[] = []
      skipWs()
      while (text[i] !== ']') {
        items.push(value())
        skipWs()
        if (text[i] === ',') i++
        skipWs()
      }

      i++
      return {kind: 'array', start, end: i, items}
    }

    if (ch === '"') skipString()
    else while (i < text.length && !WS.has(text[i]!) && !',]}'.includes(text[i]!)) i++
    return {kind: 'scalar', start, end: i}
  }

  return value()
}

interface Layout {
  indent: string
  text: string
}

function slice(l: Layout, n: Node): string {
  return l.text.slice(n.start, n.end)
}

function same(l: Layout, n: Node, v: unknown): boolean {
  return JSON.stringify(JSON.parse(slice(l, n))) === JSON.stringify(v)
}

function isContainer(v: unknown): v is object {
  return typeof v === 'object' && v !== null
}

/** A value written fresh at this depth, in the file's indentation. */
function fresh(l: Layout, v: unknown, depth: number): string {
  // JSON.stringify escapes newlines inside strings: every raw newline here is between values.
  return JSON.stringify(v, null, l.indent).replaceAll('\n', '\n' + l.indent.repeat(depth))
}

/** `[…]` or `{…}` (`brackets`), one part a line, at this depth. */
function block(l: Layout, brackets: '[]' | '{}', parts: string[], depth: number): string {
  const [open, close] = brackets
  if (parts.length === 0) return brackets
  const inner = l.indent.repeat(depth + 1)
  return `${open}\n${parts.map((p) => inner + p).join(',\n')}\n${l.indent.repeat(depth)}${close}`
}

function renderArray(l: Layout, old: Node | undefined, value: unknown[], depth: number): string {
  const olds = old?.kind === 'array' ? old.items : []
  const used = new Set<number>()
  // Old elements that stay as they are somewhere in the new list are kept for that place.
  const kept = new Set(olds.flatMap((o, k) => (value.some((v) => same(l, o, v)) ? [k] : [])))
  let next = 0
  const parts = value.map((v) => {
    const k = olds.findIndex((o, idx) => !used.has(idx) && same(l, o, v))
    if (k !== -1) {
      used.add(k)
      next = k + 1
      return slice(l, olds[k]!)
    }

    // A changed element: lay it out from the old one in its place, keeping what did not change inside it.
    const c = olds.findIndex((o, idx) => idx >= next && !used.has(idx) && !kept.has(idx) && o.kind !== 'scalar')
    if (c !== -1 && isContainer(v)) {
      used.add(c)
      next = c + 1
      return render(l, olds[c], v, depth + 1)
    }

    return fresh(l, v, depth + 1)
  })
  return block(l, '[]', parts, depth)
}

function render(l: Layout, old: Node | undefined, value: unknown, depth: number): string {
  if (old && same(l, old, value)) return slice(l, old)
  if (Array.isArray(value)) return renderArray(l, old, value, depth)
  if (!isContainer(value)) return JSON.stringify(value)
  const olds = new Map(old?.kind === 'object' ? old.members.map((m) => [m.key, m.value]) : [])
  const parts = Object.entries(value).map(([k, v]) => JSON.stringify(k) + ': ' + render(l, olds.get(k), v, depth + 1))
  return block(l, '{}', parts, depth)
}

/**
 * `value` written over `before` (valid JSON text), keeping the old text of every unchanged value and
 * whatever surrounds the root (a final newline).
 */
export function rewriteJson(before: string, value: unknown, indent: string): string {
  const root = scan(before)
  const l: Layout = {text: before, indent}
  return before.slice(0, root.start) + render(l, root, value, 0) + before.slice(root.end)
}
