import {describe, expect, it} from 'vitest'
import {escapeControl, hasInvisible} from './terminal-escape.js'

describe('escapeControl', () => {
  it('makes escape sequences, C1 controls and DEL visible', () => {
    expect(escapeControl('a\u001b[2Jb')).toBe('a\\x1b[2Jb')
    expect(escapeControl('\u009b31m\u007f')).toBe('\\x9b31m\\x7f')
    expect(escapeControl('\r')).toBe('\\x0d')
  })

  it('shows bidi overrides and zero-width characters that could disguise a command', () => {
    expect(escapeControl('ls \u202e-rf')).toBe('ls \\u{202e}-rf')
    expect(escapeControl('r\u200bm')).toBe('r\\u{200b}m')
    expect(hasInvisible('plain text')).toBe(false)
    expect(hasInvisible('a\u2066b')).toBe(true)
  })

  it('keeps newlines and tabs only in multi-line mode', () => {
    expect(escapeControl('a\nb\tc')).toBe('a\\nb\\tc')
    expect(escapeControl('a\nb\tc', {multiline: true})).toBe('a\nb\tc')
  })
})
