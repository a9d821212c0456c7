/**
 * Random hex digits for ids and temporary names, from a pool refilled 4 KiB at a time: one
 * `randomBytes` call per id measured as a visible share of a request's CPU time.
 */
import {createRequire} from 'node:module'

// node:crypto is loaded at the first refill: loading it costs 15–45 ms, and the CLI commands that read
// ids (approve, deny, runs, audit) never make one (issue 13, speed).
let fill: typeof import('node:crypto').randomFillSync | undefined

const pool = Buffer.alloc(4096)
let offset = pool.length

export function randomHex(digits: number): string {
  const bytes = Math.ceil(digits / 2)
  if (offset + bytes > pool.length) {
    fill ??= (createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto')).randomFillSync
    fill(pool)
    offset = 0
  }

  const hex = pool.toString('hex', offset, offset + bytes)
  offset += bytes
  return hex.slice(0, digits)
}
