import {describe, expect, it} from 'vitest'

import {outputPage} from './run.js'

describe('output pages', () => {
  it('one page for short output, empty output included', () => {
    expect(outputPage('', 0)).toMatchObject({pages: 1, text: '', splitLine: false})
    expect(outputPage('abc\n', 0, 10)).toMatchObject({pages: 1, text: 'abc\n'})
  })

  it('ends pages at line breaks, and the pages together are the whole text', () => {
    const text = Array.from({length: 50}, (_, i) => `line ${i}`).join('\n') + '\n'
    const first = outputPage(text, 0, 64)
    expect(first.pages).toBeGreaterThan(1)
    let joined = ''
    for (let p = 0; p < first.pages; p++) {
      const page = outputPage(text, p, 64)
      expect(page.text.endsWith('\n')).toBe(true)
      expect(page.splitLine).toBe(false)
      joined += page.text
    }

    expect(joined).toBe(text)
  })

  it('says when a page cuts a long line, and never splits a surrogate pair', () => {
    const text = 'x'.repeat(9) + '😀'.repeat(10)
    let joined = ''
    const {pages} = outputPage(text, 0, 10)
    for (let p = 0; p < pages; p++) {
      const page = outputPage(text, p, 10)
      if (p < pages - 1) expect(page.splitLine).toBe(true)
      expect(page.text).not.toMatch(/[\uD800-\uDBFF]$/)
      expect(page.text).not.toMatch(/^[\uDC00-\uDFFF]/)
      joined += page.text
    }

    expect(joined).toBe(text)
  })

  it('clamps a page number past the end to the last page', () => {
    const text = 'a\n'.repeat(100)
    const last = outputPage(text, 999, 20)
    expect(last.end).toBe(text.length)
  })
})
