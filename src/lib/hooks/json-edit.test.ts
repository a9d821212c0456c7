import {describe, expect, it} from 'vitest'

import {rewriteJson} from './json-edit.js'

describe('rewriteJson', () => {
  it('keeps the text of every value that did not change, one-liners included', () => {
    const before = '{\n  "a": {"x": 1,   "y": [1,2]},\n  "list": [\n    {"keep": "me"}\n  ],\n  "z": "end"\n}\n'
    const value = {a: {x: 1, y: [1, 2]}, list: [{keep: 'me'}, {added: true}], z: 'end'}
    expect(rewriteJson(before, value, '  ')).toBe(
      '{\n  "a": {"x": 1,   "y": [1,2]},\n  "list": [\n    {"keep": "me"},\n' +
        '    {\n      "added": true\n    }\n  ],\n  "z": "end"\n}\n',
    )
  })

  it('is the identity when nothing changed, whatever the layout', () => {
    for (const text of [
      '{"a":1}',
      '  {\n\t"a" :  [ 1 , {"b":null} ]\n}  \n',
      '[]',
      String.raw`{"s": "q\"uote\\ \u00e9"}`,
    ]) {
      expect(rewriteJson(text, JSON.parse(text), '  ')).toBe(text)
    }
  })

  it('lays out a changed element from the old one, keeping what did not change inside it', () => {
    const before = '{\n\t"g": [\n\t\t{"m": "Bash", "hooks": [{"c": "mine"}, {"c": "hub"}]}\n\t]\n}'
    const after = rewriteJson(before, {g: [{m: 'Bash', hooks: [{c: 'mine'}]}]}, '\t')
    expect(after).toBe(
      '{\n\t"g": [\n\t\t{\n\t\t\t"m": "Bash",\n\t\t\t"hooks": [\n\t\t\t\t{"c": "mine"}\n\t\t\t]\n\t\t}\n\t]\n}',
    )
  })

  it('always writes the new value, with strings that look like JSON syntax intact', () => {
    const before = '{"keep": "x", "cmd": "old"}'
    const tricky = {keep: 'x', cmd: 'echo "a": b\n{"c": [1]}', more: [{'k"': 'v\\'}], n: -1.5e3, t: true, nil: null}
    const after = rewriteJson(before, tricky, '    ')
    expect(JSON.parse(after)).toEqual(tricky)
    expect(after.startsWith('{\n    "keep": "x",\n')).toBe(true)
  })

  it('removes and reorders elements without losing any', () => {
    const before = '[{"a": 1}, {"b": 2}, {"c": 3}]'
    const value = [{c: 3}, {a: 1}]
    const after = rewriteJson(before, value, '  ')
    expect(JSON.parse(after)).toEqual(value)
    expect(after).toContain('{"c": 3}')
    expect(after).toContain('{"a": 1}')
  })
})
