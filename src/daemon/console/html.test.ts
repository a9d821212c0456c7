import {describe, expect, it} from 'vitest'

import {escapeHtml, html, truthful} from './html.js'

describe('truthful HTML', () => {
  it('escapes markup, so agent text is never HTML', () => {
    const out = truthful('<script>alert(1)</script> & "x" \'y\'').toString()
    expect(out).toBe('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot; &#39;y&#39;')
    expect(html`<p title="${'"><img src=x onerror=alert(1)>'}"></p>`.toString()).not.toContain('<img')
  })

  it('marks line breaks and tabs in commands, keeps them in output', () => {
    expect(truthful('a\n\tb').toString()).toBe('a<span class="mk">⏎</span>\n<span class="mk">⇥</span>b')
    expect(truthful('a\n\tb', {output: true}).toString()).toBe('a\n\tb')
  })

  it('draws invisible, bidi and control characters as their code points, in output too', () => {
    for (const opts of [{}, {output: true}]) {
      const out = truthful('safe\u202Etxt.exe\u001B[2J\u200B', opts).toString()
      expect(out).toContain('⟨U+202E RLO⟩')
      expect(out).toContain('⟨U+001B ESC⟩')
      expect(out).toContain('⟨U+200B ZWSP⟩')
      for (const ch of ['\u202E', '\u001B', '\u200B']) expect(out).not.toContain(ch)
    }
  })

  it('cannot be imitated: typed marks are shown as code points', () => {
    const fake = truthful('⟨U+202E RLO⟩ ⏎ ⇥')
      .toString()
      .replaceAll(/<[^>]+>/g, '')
    expect(fake).toContain('⟨U+27E8⟩U+202E RLO⟩')
    expect(fake).toContain('⟨U+23CE⟩')
    expect(fake).toContain('⟨U+21E5⟩')
  })

  it('escapeHtml covers the five characters', () => {
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;')
  })
})
