/**
 * The `hub audit` table for people (issue 13): one row per line, streamed with fixed column widths
 * (a log can have millions of lines, so rows cannot wait to be measured), times in the zone the
 * header names, and nothing cut: a command longer than its column wraps onto the lines below it, and
 * a reason is printed whole on its own lines, wrapped to the terminal width.
 *
 * Every agent-written string goes through `showCommand` or `showText` before it reaches the terminal
 * (SPEC §7.2). `showCommand` is the one place a command is rendered, so a shared renderer can take
 * its place.
 */

import type {AuditLine} from '../audit/entry.js'

import {auditTsMs, formatTime, type Zone, zoneLabel} from '../audit/time-range.js'
import {createStyle, escapeControl, formatMs} from '../terminal.js'

type Style = ReturnType<typeof createStyle>

export interface AuditTableOptions {
  style: Style
  /** Terminal width in columns; undefined (not a terminal) means nothing is wrapped. */
  width: number | undefined
  zone: Zone
}

const COLS = {time: 19, event: 16, id: 24, exit: 4, duration: 9}
const GAP = '  '
/** Below this many columns for the command, it goes on its own lines under the row instead. */
const MIN_COMMAND = 24
const DETAIL_INDENT = '    '

/** How a command is shown in the table (one place, to be swapped for the shared truthful renderer). */
export function showCommand(command: string): string {
  return escapeControl(command)
}

/** Other agent-written text (reasons, notes, ids). */
export function showText(text: string): string {
  return escapeControl(text)
}

/** Cuts text into pieces of at most `width` characters, never dropping one (a command's spaces matter). */
export function hardWrap(text: string, width: number): string[] {
  const chars = [...text]
  if (chars.length <= width) return [text]
  const out: string[] = []
  for (let i = 0; i < chars.length; i += width) out.push(chars.slice(i, i + width).join(''))
  return out
}

/** Wraps prose at spaces where it can (the space stays at the end of its line), else mid-word. */
export function wordWrap(text: string, width: number): string[] {
  const out: string[] = []
  let rest = [...text]
  while (rest.length > width) {
    let cut = rest.lastIndexOf(' ', width - 1) + 1
    if (cut < width / 3) cut = width
    out.push(rest.slice(0, cut).join('').trimEnd())
    rest = rest.slice(cut)
  }

  out.push(rest.join(''))
  return out
}

/** The time column's title names the zone; a long zone name widens the column rather than being cut. */
function timeTitle(opts: AuditTableOptions): string {
  return `Time (${zoneLabel(opts.zone)})`
}

function timeWidth(opts: AuditTableOptions): number {
  return Math.max(COLS.time, timeTitle(opts).length)
}

/** Where the command column starts. */
function commandAt(opts: AuditTableOptions): number {
  return timeWidth(opts) + COLS.event + COLS.id + COLS.exit + COLS.duration + GAP.length * 5
}

/** Whether the command fits beside the other columns, or goes on its own lines under them. */
function commandBeside(opts: AuditTableOptions): boolean {
  return opts.width === undefined || opts.width - commandAt(opts) >= MIN_COMMAND
}

export function auditTableHeader(opts: AuditTableOptions): string {
  const head = [
    timeTitle(opts).padEnd(timeWidth(opts)),
    'Event'.padEnd(COLS.event),
    'Id'.padEnd(COLS.id),
    'Exit'.padStart(COLS.exit),
    'Duration'.padStart(COLS.duration),
    ...(commandBeside(opts) ? ['Command'] : []),
  ].join(GAP)
  return opts.style.bold(head.trimEnd())
}

function colourEvent(entry: AuditLine, cell: string, s: Style): string {
  switch (entry.event) {
    case 'command_blocked':
    case 'command_denied': {
      return s.red(cell)
    }

    case 'command_expired':
    case 'run_interrupted': {
      return s.yellow(cell)
    }

    case 'command_executed': {
      return entry.exit_code === 0 ? s.green(cell) : s.red(cell)
    }

    default: {
      return cell
    }
  }
}

/** What a person wants under the row: why it was refused, and how a run ended when not plainly. */
function details(entry: AuditLine): string[] {
  const out: string[] = []
  if (typeof entry.reason === 'string' && entry.reason !== '') out.push(`reason: ${showText(entry.reason)}`)
  else if (typeof entry.rule === 'string' && entry.rule !== '') out.push(`rule: ${showText(entry.rule)}`)
  if (entry.timed_out === true) out.push('timed out')
  return out
}

/** The whole command a line records: `command_full` when the line has it (commands over 200 characters). */
function commandOf(entry: AuditLine): string {
  if (typeof entry.command_full === 'string') return entry.command_full
  return typeof entry.command === 'string' ? entry.command : ''
}

/** One entry as one or more lines (no trailing newline). */
export function auditTableRow(entry: AuditLine, opts: AuditTableOptions): string {
  const s = opts.style
  const ms = auditTsMs(entry.ts)
  const time = Number.isNaN(ms) ? showText(String(entry.ts ?? '-')).slice(0, COLS.time) : formatTime(ms, opts.zone)
  const rawId =
    typeof entry.run_id === 'string' ? entry.run_id : typeof entry.pending_id === 'string' ? entry.pending_id : ''
  const id = showText(rawId)
  const exit = typeof entry.exit_code === 'number' ? String(entry.exit_code) : ''
  const duration = typeof entry.duration_ms === 'number' ? formatMs(entry.duration_ms) : ''
  const event = showText(entry.event)
  const cells = [
    time.padEnd(timeWidth(opts)),
    colourEvent(entry, event.padEnd(COLS.event), s),
    id.padEnd(COLS.id),
    exit.padStart(COLS.exit),
    duration.padStart(COLS.duration),
  ]
  const command = showCommand(commandOf(entry))
  const lines: string[] = []
  const at = commandAt(opts)
  // Long fields (a foreign id, an event name of the original tool) push the command along; never cut.
  const fixed = cells.join(GAP)
  if (command === '') lines.push(fixed.trimEnd())
  else if (commandBeside(opts)) {
    const pieces = opts.width === undefined ? [command] : hardWrap(command, opts.width - at)
    lines.push(`${fixed}${GAP}${pieces[0]}`)
    for (const piece of pieces.slice(1)) lines.push(' '.repeat(at) + piece)
  } else {
    lines.push(fixed.trimEnd())
    for (const piece of hardWrap(command, Math.max(1, opts.width! - DETAIL_INDENT.length)))
      lines.push(DETAIL_INDENT + piece)
  }

  for (const detail of details(entry)) {
    const width = opts.width === undefined ? Number.POSITIVE_INFINITY : Math.max(8, opts.width - DETAIL_INDENT.length)
    const pieces = width === Number.POSITIVE_INFINITY ? [detail] : wordWrap(detail, width)
    for (const piece of pieces) lines.push(DETAIL_INDENT + piece)
  }

  return lines.join('\n')
}
