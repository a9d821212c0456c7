import {describe, expect, it} from 'vitest'

import {escapeControl, hasInvisible} from './terminal-escape.js'

describe('escapeControl', () => {
  it('makes escape sequences, C1 controls and DEL visible', () => {
    expect(escapeControl('a\u001B[2Jb')).toBe(String.raw`a\x1b[2Jb`)
    expect(escapeControl('\u009B31m\u007F')).toBe(String.raw`\x9b31m\x7f`)
    expect(escapeControl('\r')).toBe(String.raw`\x0d`)
  })

  it('shows bidi overrides and zero-width characters that could disguise a command', () => {
    expect(escapeControl('ls \u202E-rf')).toBe(String.raw`ls \u{202e}-rf`)
    expect(escapeControl('r\u200Bm')).toBe(String.raw`r\u{200b}m`)
    expect(hasInvisible('plain text')).toBe(false)
    expect(hasInvisible('a\u2066b')).toBe(true)
  })

  it('keeps newlines and tabs only in multi-line mode', () => {
    expect(escapeControl('a\nb\tc')).toBe(String.raw`a\nb\tc`)
    expect(escapeControl('a\nb\tc', {multiline: true})).toBe('a\nb\tc')
  })
})
