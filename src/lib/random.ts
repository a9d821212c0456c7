/**
 * Random hex digits for ids and temporary names, from a pool refilled 4 KiB at a time: one
 * `randomBytes` call per id measured as a visible share of a request's CPU time.
 */
import {randomFillSync} from 'node:crypto'

const pool = Buffer.alloc(4096)
let offset = pool.length

export function randomHex(digits: number): string {
  const bytes = Math.ceil(digits / 2)
  if (offset + bytes > pool.length) {
    randomFillSync(pool)
    offset = 0
  }

  const hex = pool.toString('hex', offset, offset + bytes)
  offset += bytes
  return hex.slice(0, digits)
}
