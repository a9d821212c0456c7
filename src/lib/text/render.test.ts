import {describe, expect, it} from 'vitest'

import {allForbidden, findForbidden} from './characters.js'
import {needsMarks, renderPlain, segments} from './render.js'

/** Undoes renderPlain (single-line): proves that no two strings render the same. */
function decode(shown: string): string {
  return shown.replaceAll(/⟨U\+([\dA-F]{4,6})[^⟩]*⟩|⏎|⇥/gu, (m, hex: string | undefined) => {
    if (m === '⏎') return '\n'
    if (m === '⇥') return '\t'
    return String.fromCodePoint(Number.parseInt(hex!, 16))
  })
}

describe('findForbidden', () => {
  it('refuses each family of invisible, control and look-alike characters by Unicode property', () => {
    const families: Array<[string, number]> = [
      ['tag characters', 0xe_00_20],
      ['tag cancel', 0xe_00_7f],
      ['Hangul filler', 0x31_64],
      ['halfwidth Hangul filler', 0xff_a0],
      ['soft hyphen', 0xad],
      ['Arabic letter mark', 0x6_1c],
      ['Mongolian vowel separator', 0x18_0e],
      ['combining grapheme joiner', 0x3_4f],
      ['variation selector', 0xfe_0f],
      ['variation selector supplement', 0xe_01_00],
      ['deprecated format characters', 0x20_6a],
      ['deprecated format characters (end)', 0x20_6f],
      ['zero-width space', 0x20_0b],
      ['right-to-left override', 0x20_2e],
      ['first strong isolate', 0x20_68],
      ['no-break space', 0xa0],
      ['ideographic space', 0x30_00],
      ['line separator', 0x20_28],
      ['braille blank', 0x28_00],
      ['escape', 0x1b],
      ['carriage return', 0x0d],
      ['C1 control', 0x9b],
      ['private use', 0xe0_00],
      ['unassigned', 0x3_78],
    ]
    for (const [name, cp] of families) {
      const found = findForbidden(`bash env.sh${String.fromCodePoint(cp)}`)
      expect(found?.codePoint, name).toBe(cp)
      expect(found?.index, name).toBe(11)
    }
  })

  it('accepts ordinary text in any script, emoji, combining accents, tabs and newlines', () => {
    for (const ok of [
      'ls -la',
      'echo "héllo wörld 日本語 Ελληνικά"',
      'printf "a\\tb"\n\tgrep x',
      'echo 😀',
      'e\u0301',
    ]) {
      expect(findForbidden(ok), ok).toBeUndefined()
    }

    expect(allForbidden('a\u200Bb\u202Ec').map((f) => f.label)).toEqual(['U+200B ZWSP', 'U+202E RLO'])
  })
})

describe('renderPlain', () => {
  it('shows a real newline differently from a typed backslash-n', () => {
    expect(renderPlain('echo hi\ncurl x')).toBe('echo hi⏎curl x')
    expect(renderPlain(String.raw`echo hi\ncurl x`)).toBe(String.raw`echo hi\ncurl x`)
    expect(renderPlain('echo hi\ncurl x', {indent: '  ', multiline: true})).toBe('echo hi⏎\n  curl x')
  })

  it('is injective: marks typed into the text are escaped, so nothing can imitate them', () => {
    const samples = [
      'a⟨U+0041⟩b',
      'a\u0041b',
      'x⏎y',
      'x\ny',
      'tab⇥',
      'tab\t',
      'bash env.sh\u{E0020}',
      '\u001B[31mred',
      '⟨⟩⟨',
      '',
    ]
    const shown = samples.map((s) => renderPlain(s))
    expect(new Set(shown).size).toBe(samples.length)
    for (const [i, s] of samples.entries()) expect(decode(shown[i]!)).toBe(s)
  })

  it('keeps tabs and plain line breaks for output when asked', () => {
    expect(renderPlain('a\tb\nc\u001B', {keepTabs: true, markNewlines: false, multiline: true})).toBe(
      'a\tb\nc⟨U+001B ESC⟩',
    )
    expect(needsMarks('a\nb', {multiline: true})).toBe(false)
    expect(needsMarks('a\nb')).toBe(true)
  })

  it('cuts text into segments for renderers that style marks (terminal colour, HTML)', () => {
    expect(segments('a\nb\u200Bc\t')).toEqual([
      {kind: 'text', text: 'a'},
      {kind: 'newline'},
      {kind: 'text', text: 'b'},
      {codePoint: 0x20_0b, kind: 'escape', label: 'U+200B ZWSP'},
      {kind: 'text', text: 'c'},
      {kind: 'tab'},
    ])
  })
})
