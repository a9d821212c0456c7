import {describe, expect, it} from 'vitest'

import {assertId, isId, newId} from './ids.js'

describe('ids', () => {
  it('are YYYYMMDD_HHMMSS_<8 hex> in UTC and sort by time', () => {
    const id = newId(new Date('2025-01-15T14:31:22.456Z'))
    expect(id).toMatch(/^20250115_143122_[0-9a-f]{8}$/)
    expect(id).toMatch(/^20250115_143122_1c8/)
    expect(newId(new Date('2025-01-15T14:31:21Z')) < id).toBe(true)
    expect(newId(new Date('2025-01-15T14:31:22.455Z')) < id).toBe(true)
  })

  it('refuse anything that could name another path', () => {
    for (const bad of [
      '../../etc/passwd',
      '%2e%2e',
      '20250115_143122_e5f6a7b8/..',
      '20250115_143122_E5F6A7B8',
      '20250115_143122_e5f6a7b8\u0000',
      '',
      'x'.repeat(1000),
    ]) {
      expect(isId(bad)).toBe(false)
      expect(() => assertId(bad)).toThrow(/ids look like/)
    }

    expect(isId('20250115_143122_e5f6a7b8')).toBe(true)
  })
})
