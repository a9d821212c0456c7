import {describe, expect, it} from 'vitest'

import {escapeControl, hasInvisible} from './terminal-escape.js'

describe('escapeControl', () => {
  it('makes escape sequences, C1 controls and DEL visible', () => {
    expect(escapeControl('a\u001B[2Jb')).toBe('a⟨U+001B ESC⟩[2Jb')
    expect(escapeControl('\u009B31m\u007F')).toBe('⟨U+009B⟩31m⟨U+007F DEL⟩')
    expect(escapeControl('\r')).toBe('⟨U+000D CR⟩')
  })

  it('shows bidi overrides and zero-width characters that could disguise a command', () => {
    expect(escapeControl('ls \u202E-rf')).toBe('ls ⟨U+202E RLO⟩-rf')
    expect(escapeControl('r\u200Bm')).toBe('r⟨U+200B ZWSP⟩m')
    expect(hasInvisible('plain text')).toBe(false)
    expect(hasInvisible('a\u2066b')).toBe(true)
  })

  it('keeps newlines and tabs only in multi-line mode', () => {
    expect(escapeControl('a\nb\tc')).toBe('a⏎b⇥c')
    expect(escapeControl('a\nb\tc', {multiline: true})).toBe('a\nb\tc')
  })
})
