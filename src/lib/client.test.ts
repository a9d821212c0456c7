import {describe, expect, it} from 'vitest'

import {SseParser} from './client.js'

describe('SseParser', () => {
  it('parses ids, data and comments, across chunk boundaries, including inside a multi-byte character', () => {
    const p = new SseParser()
    const text = Buffer.from(': keep-alive\n\nid: 7\ndata: {"type":"command_queued","command":"echo héllo"}\n\n')
    const cut = text.indexOf(Buffer.from('é')) + 1
    const first = p.push(text.subarray(0, cut))
    const second = p.push(text.subarray(cut))
    expect(first).toEqual([])
    expect(second).toEqual([{id: 7, type: 'command_queued', data: {type: 'command_queued', command: 'echo héllo'}}])
  })

  it('skips an event whose data is not JSON instead of failing the stream', () => {
    const p = new SseParser()
    expect(p.push('data: not json\n\nid: 2\ndata: {"type":"x"}\n\n')).toEqual([{id: 2, type: 'x', data: {type: 'x'}}])
  })
})
