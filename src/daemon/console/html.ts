import type {HtmlEscapedString} from 'hono/utils/html'

/**
 * HTML for the console: hono/html's `html` (which escapes every interpolation) typed for the
 * synchronous use made of it here, and agent-written text drawn truthfully with the same rules as the
 * terminal (`segments()` of src/lib/text/render.ts): a real line break shows its mark, a tab its mark,
 * and every invisible or control character its code point, so no string can hide or fake text.
 */
import {html as honoHtml, raw} from 'hono/html'

import {NEWLINE_MARK, segments, TAB_MARK} from '../../lib/text/render.js'

export type Html = HtmlEscapedString

/**
 * `html` returns a Promise only when an interpolated value is one; every value given here is plain
 * data or another `Html`, so the result is always the synchronous string.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  return honoHtml(strings, ...values) as Html
}

const ESCAPES: Record<string, string> = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}

export function escapeHtml(text: string): string {
  return text.replaceAll(/[&<>"']/g, (ch) => ESCAPES[ch]!)
}

export interface TruthfulOptions {
  /**
   * Run output: line breaks are line breaks and tabs stay tabs (as in `hub runs show`); a command or
   * a note shows both as marks.
   */
  output?: boolean
}

/** Agent-written text as HTML that shows exactly what the string holds. */
export function truthful(text: string, opts: TruthfulOptions = {}): Html {
  let out = ''
  for (const s of segments(text)) {
    switch (s.kind) {
      case 'text': {
        out += escapeHtml(s.text)
        break
      }

      case 'newline': {
        // No title on the common marks: the queue page states what they mean once (page weight).
        out += opts.output ? '\n' : `<span class="mk">${NEWLINE_MARK}</span>\n`
        break
      }

      case 'tab': {
        out += opts.output ? '\t' : `<span class="mk">${TAB_MARK}</span>`
        break
      }

      case 'escape': {
        // The label is built from a code point (hex and a fixed name table), never from the text itself.
        out += `<span class="mk esc" title="invisible or control character">⟨${escapeHtml(s.label)}⟩</span>`
        break
      }
    }
  }

  return raw(out)
}

/** Joins fragments (arrays interpolate as their concatenation). */
export function join(parts: Html[]): Html {
  return raw(parts.join(''))
}

export {raw} from 'hono/html'
