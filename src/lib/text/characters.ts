/**
 * One definition of the characters that may not appear in a command (issue 10, SPEC §5): whatever can
 * make a command read differently from how it runs. Shells treat these as ordinary word characters,
 * while terminals and browsers draw them as nothing, as a space, or reorder the text around them:
 * `bash env.sh<U+E0020>` shows as `bash env.sh` and runs another file.
 *
 * Built from Unicode properties, not from a list of examples, so that the next invisible character
 * Unicode assigns (or that an attacker finds) is covered by its class:
 * - controls other than tab and newline (`\p{Cc}`: ESC sequences, CR, NUL, C1),
 * - format characters (`\p{Cf}`: zero-width, bidi, tags U+E0000–E007F, soft hyphen, U+061C, U+180E …),
 * - default-ignorable code points (Hangul fillers U+115F/U+1160/U+3164/U+FFA0, variation selectors,
 *   U+034F, U+17B4 …) and every bidi control,
 * - separators that look like a space or a line break but are not one to the shell (`\p{Zs}` other than
 *   U+0020, `\p{Zl}`, `\p{Zp}`) and the blank braille pattern U+2800,
 * - lone surrogates, private-use and unassigned code points (a terminal may draw them as anything).
 */

// Written with escapes (U+2800 included) so that no character of the class is itself invisible here;
// tab, line feed and the plain space are taken back out of it.
const FORBIDDEN_CLASS =
  String.raw`[[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\p{Bidi_Control}` +
  String.raw`\p{Zs}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}\u{2800}]--[\t\n ]]`

/** Matches one forbidden character. */
export const FORBIDDEN = new RegExp(FORBIDDEN_CLASS, 'v')
const FORBIDDEN_ALL = new RegExp(FORBIDDEN_CLASS, 'gv')

/** Short names for the characters people meet most; the rest are shown by code point alone. */
const NAMES: Record<number, string> = {
  0x00: 'NUL',
  0x07: 'BEL',
  0x08: 'BS',
  0x0d: 'CR',
  0x1b: 'ESC',
  0x7f: 'DEL',
  0xa0: 'NBSP',
  0xad: 'SOFT HYPHEN',
  0x3_4f: 'CGJ',
  0x6_1c: 'ALM',
  0x18_0e: 'MVS',
  0x20_0b: 'ZWSP',
  0x20_0c: 'ZWNJ',
  0x20_0d: 'ZWJ',
  0x20_0e: 'LRM',
  0x20_0f: 'RLM',
  0x20_28: 'LINE SEPARATOR',
  0x20_29: 'PARAGRAPH SEPARATOR',
  0x20_2a: 'LRE',
  0x20_2b: 'RLE',
  0x20_2c: 'PDF',
  0x20_2d: 'LRO',
  0x20_2e: 'RLO',
  0x20_60: 'WJ',
  0x20_66: 'LRI',
  0x20_67: 'RLI',
  0x20_68: 'FSI',
  0x20_69: 'PDI',
  0x31_64: 'HANGUL FILLER',
  0xfe_ff: 'BOM',
}

export function codePointLabel(cp: number): string {
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`
  if (NAMES[cp]) return `${hex} ${NAMES[cp]}`
  if (cp >= 0xe_00_00 && cp <= 0xe_00_7f) return `${hex} TAG`
  if ((cp >= 0xfe_00 && cp <= 0xfe_0f) || (cp >= 0xe_01_00 && cp <= 0xe_01_ef)) return `${hex} VARIATION SELECTOR`
  return hex
}

export interface ForbiddenCharacter {
  codePoint: number
  /** Index in the string (UTF-16 units). */
  index: number
  /** `U+202E RLO` */
  label: string
}

/** The first character that may not appear, or undefined. */
export function findForbidden(text: string): ForbiddenCharacter | undefined {
  const m = FORBIDDEN.exec(text)
  if (!m) return undefined
  const codePoint = m[0].codePointAt(0) ?? 0
  return {codePoint, index: m.index, label: codePointLabel(codePoint)}
}

/** Every forbidden character, in order (for messages and for the policy's explanation). */
export function allForbidden(text: string): ForbiddenCharacter[] {
  const out: ForbiddenCharacter[] = []
  for (const m of text.matchAll(FORBIDDEN_ALL)) {
    const codePoint = m[0].codePointAt(0) ?? 0
    out.push({codePoint, index: m.index, label: codePointLabel(codePoint)})
  }

  return out
}

/** A message a person can act on: which character, where, and what to do. */
export function forbiddenMessage(field: string, found: ForbiddenCharacter): string {
  return (
    `${field} contains ${found.label} at position ${found.index}, an invisible or control character ` +
    'that would make it read differently from how it runs; remove it'
  )
}
