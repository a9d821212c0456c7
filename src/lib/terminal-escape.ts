/**
 * Text an agent wrote, made safe for a terminal or a log line: the truthful renderer of
 * `text/render.ts` under the names the rest of hub has used since the start.
 */
import {findForbidden, FORBIDDEN} from './text/characters.js'
import {renderPlain} from './text/render.js'

/**
 * Single-line (default): newlines and tabs show as `⏎` and `⇥`. Multi-line (run output): line breaks
 * and tabs stay as they are; everything invisible or controlling still shows as `⟨U+…⟩`.
 */
export function escapeControl(text: string, opts: {multiline?: boolean} = {}): string {
  return opts.multiline ? renderPlain(text, {keepTabs: true, markNewlines: false, multiline: true}) : renderPlain(text)
}

/** True when the text holds a character that may not appear in a command (`text/characters.ts`). */
export function hasInvisible(text: string): boolean {
  return FORBIDDEN.test(text)
}

/** @deprecated use findForbidden from text/characters.ts: the one definition of what may not appear. */
export function hasBidiOrZeroWidth(text: string): boolean {
  return findForbidden(text) !== undefined
}
