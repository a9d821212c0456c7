import {describe, expect, it} from 'vitest'

import {createStyle} from './style.js'

const E = '\u001B['

describe('terminal style', () => {
  const on = createStyle(true)
  const off = createStyle(false)

  it('wraps text in the attribute and its own reset, chained outermost first', () => {
    expect(on.red('x')).toBe(`${E}31mx${E}39m`)
    expect(on.dim('x')).toBe(`${E}2mx${E}22m`)
    expect(on.red.bold('x')).toBe(`${E}31m${E}1mx${E}22m${E}39m`)
    expect(on.red('a', 2)).toBe(`${E}31ma 2${E}39m`)
  })

  it('opens an attribute again after a nested one closes it', () => {
    expect(on.dim(`a ${on.bold('b')} c`)).toBe(`${E}2ma ${E}1mb${E}22m${E}2m c${E}22m`)
  })

  it('colours each line on its own, so that a pager or a cut line keeps its colour', () => {
    expect(on.red.bold('a\r\nb')).toBe(`${E}31m${E}1ma${E}22m${E}39m\r\n${E}31m${E}1mb${E}22m${E}39m`)
  })

  it('adds nothing when off, or to empty text', () => {
    expect(off.red.bold('a\nb')).toBe('a\nb')
    expect(on.green('')).toBe('')
  })
})
