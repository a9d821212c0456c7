/**
 * Makes text safe to print on a terminal: anything an agent wrote (commands, notes, output, reasons)
 * could carry escape sequences that move the cursor, rewrite earlier lines, or hide text. C0 and C1
 * controls and DEL become visible escapes; bidi overrides and zero-width characters, which can make
 * a command read differently from how it runs, become `\u{…}`. Newlines and tabs are kept only when
 * the caller asks (multi-line output).
 */

// C0 controls except \t and \n, DEL, C1 controls.
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g
// Bidi embeddings/overrides/isolates, zero-width characters, BOM, line/paragraph separators.
const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2028\u2029\u2060-\u2064\u2066-\u2069\uFEFF]/g

function hex(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0
  return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`
}

export function escapeControl(text: string, opts: {multiline?: boolean} = {}): string {
  let out = text.replace(CONTROL, hex).replace(INVISIBLE, hex)
  if (!opts.multiline) out = out.replaceAll('\n', String.raw`\n`).replaceAll('\t', String.raw`\t`)
  return out
}

/** True when the text holds bidi controls or zero-width characters (what can disguise a command). */
export function hasBidiOrZeroWidth(text: string): boolean {
  INVISIBLE.lastIndex = 0
  return INVISIBLE.test(text)
}

/** True when the text holds anything escapeControl would change (in multi-line mode). */
export function hasInvisible(text: string): boolean {
  CONTROL.lastIndex = 0
  INVISIBLE.lastIndex = 0
  return CONTROL.test(text) || INVISIBLE.test(text)
}
