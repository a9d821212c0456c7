/**
 * Formatting for people at a terminal (SPEC §7.2): colour only on a terminal and never with
 * NO_COLOR, tables via cli-table3, and every piece of text that came from an agent escaped first.
 */
import type TableType from 'cli-table3'

import {createRequire} from 'node:module'

import type {Style} from './text/style.js'

import {escapeControl} from './terminal-escape.js'

export {escapeControl} from './terminal-escape.js'

// cli-table3 (CommonJS, with its string-width dependencies) is loaded on the first table, not by every
// command that imports this module: `hub pending`, `hub health` and `hub approve` never draw one
// (issue 13: one-shot commands within 1.3× of `hub --version`).
let TableClass: typeof TableType | undefined
function loadTable(): typeof TableType {
  TableClass ??= createRequire(import.meta.url)('cli-table3') as typeof TableType
  return TableClass
}

export function colorEnabled(
  stream: NodeJS.WriteStream = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (env.NO_COLOR !== undefined) return false
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true
  return stream.isTTY === true && env.TERM !== 'dumb'
}

export {createStyle, type Style} from './text/style.js'

/** Cuts to `max` characters (after escaping, so an escape is never split), marking the cut. */
export function clip(text: string, max: number): string {
  const safe = escapeControl(text)
  return safe.length > max ? safe.slice(0, Math.max(0, max - 1)) + '…' : safe
}

export interface TableOptions {
  /** Right-align these columns (numbers). */
  alignRight?: number[]
  head: string[]
  rows: Array<Array<null | number | string | undefined>>
  style: Style
}

/**
 * Cells are printed as given, so that callers can colour them: agent text must already have passed
 * through `clip` or `escapeControl`.
 */
export function renderTable(opts: TableOptions): string {
  const Table = loadTable()
  const table = new Table({
    head: opts.head.map((h) => opts.style.bold(h)),
    style: {head: [], border: []},
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '  ',
    },
    colAligns: opts.head.map((_, i) => (opts.alignRight?.includes(i) ? 'right' : 'left')),
  })
  for (const row of opts.rows)
    table.push(
      row.map((cell) => (cell === null || cell === undefined ? '' : typeof cell === 'number' ? String(cell) : cell)),
    )
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd().replace(/^ /, ''))
    .join('\n')
}

export function formatMs(ms: null | number | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-'
  if (ms < 1000) return `${ms.toFixed(1)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`
}

/** "3m ago" style age for a time, from now. */
export function formatAge(from: Date, now: Date = new Date()): string {
  const s = Math.max(0, Math.round((now.getTime() - from.getTime()) / 1000))
  if (s < 60) return `${s}s ago`
  if (s < 3600) return `${Math.floor(s / 60)}m ago`
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`
  return `${Math.floor(s / 86_400)}d ago`
}

/** "in 23h" style time until a moment. */
export function formatIn(to: Date, now: Date = new Date()): string {
  const s = Math.round((to.getTime() - now.getTime()) / 1000)
  if (s <= 0) return 'now'
  if (s < 60) return `in ${s}s`
  if (s < 3600) return `in ${Math.floor(s / 60)}m`
  if (s < 86_400) return `in ${Math.floor(s / 3600)}h`
  return `in ${Math.floor(s / 86_400)}d`
}
