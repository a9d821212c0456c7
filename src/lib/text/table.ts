/**
 * Tables that use the terminal's whole width and never cut silently (issue 13). Every agent-written
 * cell goes through the truthful renderer (`render.ts`) first; a cell too long for its column is cut
 * with a mark that says how much is missing and how to see it whole (`… +143 chars, hub pending 1c8a3f2e`).
 * Widths are counted in terminal columns (wide CJK and emoji count two, combining marks none), so a
 * row never spills onto the next line.
 */
import {renderPlain} from './render.js'

const ZERO_WIDTH = /[\p{Mn}\p{Me}]/u
// East Asian wide and fullwidth ranges and the emoji planes: drawn two columns wide.
const WIDE = new RegExp(
  '[' +
    String.raw`\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3` +
    String.raw`\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6` +
    String.raw`\u{1F300}-\u{1F64F}\u{1F900}-\u{1FAFF}\u{20000}-\u{3FFFD}` +
    ']',
  'u',
)
// ANSI colour sequences are added by us (text/style.ts) around whole cells; they take no columns.
// eslint-disable-next-line no-control-regex -- matching ESC is the point
const ANSI = /\u001B\[[0-9;]*m/g

/** Columns a string takes on a terminal. */
export function displayWidth(text: string): number {
  let w = 0
  for (const ch of text.replaceAll(ANSI, '')) {
    if (ZERO_WIDTH.test(ch)) continue
    w += WIDE.test(ch) ? 2 : 1
  }

  return w
}

/** The longest start of `text` that fits in `width` columns. */
export function sliceToWidth(text: string, width: number): string {
  let w = 0
  let out = ''
  for (const ch of text) {
    const cw = ZERO_WIDTH.test(ch) ? 0 : WIDE.test(ch) ? 2 : 1
    if (w + cw > width) break
    w += cw
    out += ch
  }

  return out
}

/**
 * Agent text for one table cell: rendered truthfully on one line, then cut to `width` columns when it
 * must be, with the mark saying how many characters are hidden and `more` (how to see them). When the
 * mark does not fit beside the text, the cell takes two lines: the text, then the mark.
 */
export function fitCell(text: string, width: number | undefined, more?: string): string {
  const shown = renderPlain(text)
  if (width === undefined || displayWidth(shown) <= width) return shown
  const markFor = (hidden: number): string => `… +${hidden} chars${more ? `, ${more}` : ''}`
  const total = [...shown].length
  // The mark's own length depends on how much is hidden: try once, then settle.
  let keep = sliceToWidth(shown, Math.max(0, width - displayWidth(markFor(total))))
  keep = sliceToWidth(shown, Math.max(0, width - displayWidth(markFor(total - [...keep].length))))
  if ([...keep].length >= Math.min(12, width / 3)) return keep + markFor(total - [...keep].length)
  const first = sliceToWidth(shown, Math.max(1, width - 1))
  const hidden = total - [...first].length
  // A mark cut short would name a wrong id: without room for it, only the count.
  const mark = displayWidth(markFor(hidden)) <= width ? markFor(hidden) : `… +${hidden} chars`
  return `${first}…\n${sliceToWidth(mark, width)}`
}

/** Wraps prose at spaces where it can (else mid-word) into lines of at most `width` columns. */
export function wrapText(text: string, width: number): string[] {
  const out: string[] = []
  for (const paragraph of text.split('\n')) {
    let rest = paragraph
    while (displayWidth(rest) > width) {
      const head = sliceToWidth(rest, width)
      const space = head.lastIndexOf(' ')
      const cut = space > width / 3 ? space : head.length
      out.push(rest.slice(0, cut).trimEnd())
      rest = rest.slice(cut).trimStart()
    }

    out.push(rest)
  }

  return out
}

export interface Column {
  /** Right-aligned (numbers). */
  alignRight?: boolean
  /** Takes the width the fixed columns leave; shared by weight between flexible columns. */
  flex?: number
  head: string
  /** A flexible column never gets less than this (unless the terminal is narrower than everything). */
  min?: number
}

/** The width of the terminal the table goes to: the stream's columns, else $COLUMNS, else none (no cutting). */
export function terminalColumns(stream: NodeJS.WriteStream = process.stdout, env = process.env): number | undefined {
  if (stream.isTTY && stream.columns > 0) return stream.columns
  const fromEnv = Number(env.COLUMNS)
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : undefined
}

const GAP = 2

/**
 * How wide each flexible column may be so that a row fits in `total` columns. Fixed columns keep their
 * natural width; flexible ones share what is left by weight, none above its natural width.
 */
export function flexWidths(columns: Column[], natural: number[], total: number | undefined): Array<number | undefined> {
  if (total === undefined) return columns.map(() => undefined)
  const fixed = columns.reduce((sum, c, i) => sum + (c.flex ? 0 : natural[i]!), 0)
  let left = Math.max(0, total - fixed - GAP * (columns.length - 1))
  const widths: Array<number | undefined> = columns.map(() => undefined)
  let open = columns.map((c, i) => (c.flex ? i : -1)).filter((i) => i >= 0)
  // Columns that need less than their share take only what they need; the rest is shared again.
  for (;;) {
    const weight = open.reduce((sum, i) => sum + columns[i]!.flex!, 0)
    const small = open.filter((i) => natural[i]! <= Math.floor((left * columns[i]!.flex!) / weight))
    if (small.length === 0) break
    for (const i of small) {
      widths[i] = natural[i]!
      left -= natural[i]!
    }

    open = open.filter((i) => !small.includes(i))
  }

  const weight = open.reduce((sum, i) => sum + columns[i]!.flex!, 0)
  for (const i of open) widths[i] = Math.max(columns[i]!.min ?? 1, Math.floor((left * columns[i]!.flex!) / weight))
  return widths
}

/**
 * A table with a two-space gap and no borders. `cells` are already safe to print (rendered, and cut
 * to the width `flexWidths` gave their column); a cell may hold several lines.
 */
export function layoutTable(columns: Column[], rows: string[][], bold: (s: string) => string = (s) => s): string {
  const widths = columns.map((c, i) =>
    Math.max(displayWidth(c.head), ...rows.flatMap((r) => (r[i] ?? '').split('\n').map((l) => displayWidth(l)))),
  )
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => {
        const pad = ' '.repeat(Math.max(0, widths[i]! - displayWidth(cell)))
        return columns[i]!.alignRight ? pad + cell : cell + pad
      })
      .join(' '.repeat(GAP))
      .trimEnd()
  const out = [line(columns.map((c) => bold(c.head)))]
  for (const row of rows) {
    const parts = row.map((cell) => cell.split('\n'))
    const height = Math.max(...parts.map((p) => p.length))
    for (let k = 0; k < height; k++) out.push(line(parts.map((p) => p[k] ?? '')))
  }

  return out.join('\n')
}
