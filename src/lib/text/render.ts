/**
 * Truthful display of text an agent wrote (commands, notes, output, reasons), for the terminal and the
 * web console alike (issue 13, SPEC §7.2). The display is injective: two different strings never look
 * the same.
 * - A real line break shows as `⏎` (then a line break in multi-line display), so it differs from a typed
 *   backslash-n, which shows as the two characters it is.
 * - A tab shows as `⇥` unless the caller keeps tabs (run output).
 * - Every character of `FORBIDDEN` (controls, invisible, bidi, look-alike spaces …) shows as
 *   `⟨U+XXXX NAME⟩` and can therefore never hide, reorder or fake text.
 * - The marks themselves (`⟨`, `⏎`, `⇥`) are shown as `⟨U+XXXX⟩` when the text contains them, so no
 *   string can imitate a mark.
 */
import {codePointLabel, FORBIDDEN} from './characters.js'

export const NEWLINE_MARK = '⏎'
export const TAB_MARK = '⇥'
const OPEN = '⟨'
const CLOSE = '⟩'

export type Segment =
  {codePoint: number; kind: 'escape'; label: string} | {kind: 'newline'} | {kind: 'tab'} | {kind: 'text'; text: string}

const MARKS = new Set([OPEN, NEWLINE_MARK, TAB_MARK])
// One pass over the string: a newline, a tab, a mark, or a forbidden character.
const SPECIAL = new RegExp(String.raw`[\n\t${OPEN}${NEWLINE_MARK}${TAB_MARK}]|${FORBIDDEN.source}`, 'gv')

function escapeOf(ch: string): Segment {
  const codePoint = ch.codePointAt(0) ?? 0
  return {codePoint, kind: 'escape', label: codePointLabel(codePoint)}
}

/** The text cut into plain runs and the things that must be drawn as marks. */
export function segments(text: string): Segment[] {
  const out: Segment[] = []
  let last = 0
  for (const m of text.matchAll(SPECIAL)) {
    if (m.index > last) out.push({kind: 'text', text: text.slice(last, m.index)})
    const ch = m[0]
    if (ch === '\n') out.push({kind: 'newline'})
    else if (ch === '\t') out.push({kind: 'tab'})
    else out.push(escapeOf(ch))
    last = m.index + ch.length
  }

  if (last < text.length) out.push({kind: 'text', text: text.slice(last)})
  return out
}

export interface PlainOptions {
  /** Before each continuation line in multi-line display (e.g. spaces to align under a label). */
  indent?: string
  /** Keep tabs as tabs (run output, where they align columns); a command shows them as `⇥`. */
  keepTabs?: boolean
  /**
   * Show a real newline as `⏎` (default). Run output turns it off in multi-line display, where a line
   * break is what everyone expects and cannot be confused with a typed `\n`.
   */
  markNewlines?: boolean
  /** Break lines at real newlines (after the `⏎` mark); otherwise everything stays on one line. */
  multiline?: boolean
  /** Wraps each mark (e.g. a dim or inverse style on a colour terminal). */
  style?: (mark: string) => string
}

/** Plain text for a terminal, a log line or a table cell. */
export function renderPlain(text: string, opts: PlainOptions = {}): string {
  const style = opts.style ?? ((s: string) => s)
  return text.replaceAll(SPECIAL, (ch) => {
    if (ch === '\n') {
      if (!opts.multiline) return style(NEWLINE_MARK)
      return `${opts.markNewlines === false ? '' : style(NEWLINE_MARK)}\n${opts.indent ?? ''}`
    }

    if (ch === '\t') return opts.keepTabs ? '\t' : style(TAB_MARK)
    const cp = ch.codePointAt(0) ?? 0
    return style(
      MARKS.has(ch)
        ? `${OPEN}U+${cp.toString(16).toUpperCase().padStart(4, '0')}${CLOSE}`
        : `${OPEN}${codePointLabel(cp)}${CLOSE}`,
    )
  })
}

/** True when renderPlain would change the text (beyond line breaks kept in multi-line display). */
export function needsMarks(text: string, opts: {multiline?: boolean} = {}): boolean {
  for (const m of text.matchAll(SPECIAL)) if (!(opts.multiline && m[0] === '\n')) return true
  return false
}
