import type {RunRecord} from '../records.js'
/**
 * The `hub runs` table (issues 13 and 14): the seed's columns, plus a Client column once any run came
 * through an integration (a hook, MCP) rather than the plain API, as in the pending table. The command
 * takes the width the other columns leave and is cut only with a mark that says how to see it whole.
 * On a narrow terminal the optional columns go first (Client, then Age, then Started) so that the
 * command keeps a readable width; `--json` and `hub runs show` have everything.
 */
import type {Style} from '../text/style.js'

import {formatTime, type Zone, zoneLabel} from '../audit/time-range.js'
import {isFailedRun} from '../stores/history.js'
import {formatAge} from '../terminal.js'
import {formatDuration} from '../text/duration.js'
import {renderPlain} from '../text/render.js'
import {type Column, displayWidth, fitCell, flexWidths, layoutTable} from '../text/table.js'

export interface RunsTableOptions {
  now?: Date
  style: Style
  /** Terminal columns; undefined (not a terminal, no $COLUMNS) means nothing is cut or left out. */
  width: number | undefined
  zone: Zone
}

/** The narrowest the command may get before an optional column is left out. */
const MIN_COMMAND = 20
const GAP = 2

/** The seed's DurationMs (rounded to 0.1), with the human form beside it from a second on. */
function durationCell(ms: unknown): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '-'
  const seed = (Math.round(ms * 10) / 10).toFixed(1)
  return ms < 1000 ? seed : `${seed} (${formatDuration(ms)})`
}

function startedAt(r: RunRecord): Date | undefined {
  if (typeof r.ts === 'number' && Number.isFinite(r.ts)) return new Date(r.ts * 1000)
  if (typeof r.started_at === 'string') {
    const d = new Date(r.started_at)
    if (!Number.isNaN(d.getTime())) return d
  }

  return undefined
}

function exitCell(r: RunRecord): string {
  let exit = r.exit_code === null || r.exit_code === undefined ? '-' : String(r.exit_code)
  if (r.timed_out) exit += ' (timed out)'
  else if (r.interrupted) exit += ' (interrupted)'
  return exit
}

/** Which integration asked; when the agent ran the command itself (a hook), it says so. */
function clientCell(r: RunRecord): string {
  const client = renderPlain(r.client ?? 'http')
  return r.executor && r.executor !== 'hub' ? `${client} (ran it)` : client
}

interface RunsColumn extends Column {
  cell: (r: RunRecord) => string
  /** Left out on a narrow terminal; lower goes first. */
  drop?: number
  key: string
}

export function runsTable(records: readonly RunRecord[], o: RunsTableOptions): string {
  const s = o.style
  const now = o.now ?? new Date()
  const showClient = records.some((r) => (r.client ?? 'http') !== 'http')
  let columns: RunsColumn[] = [
    {key: 'id', head: 'RunId', cell: (r) => renderPlain(r.run_id)},
    ...(showClient ? [{key: 'client', head: 'Client', drop: 1, cell: clientCell}] : []),
    {
      key: 'command',
      head: 'Command',
      flex: 1,
      min: MIN_COMMAND,
      // Agent-written: rendered (and cut with a mark) by fitCell.
      cell: (r) => (typeof r.command === 'string' ? r.command : ''),
    },
    {key: 'exit', head: 'ExitCode', alignRight: true, cell: exitCell},
    {key: 'duration', head: 'DurationMs', alignRight: true, cell: (r) => durationCell(r.duration_ms)},
    {
      key: 'started',
      head: `Started (${zoneLabel(o.zone)})`,
      drop: 3,
      cell(r) {
        const d = startedAt(r)
        return d ? formatTime(d.getTime(), o.zone) : '-'
      },
    },
    {
      key: 'age',
      head: 'Age',
      drop: 2,
      cell(r) {
        const d = startedAt(r)
        return d ? formatAge(d, now) : '-'
      },
    },
  ]
  const shown = (r: RunRecord, c: RunsColumn): string => (c.key === 'command' ? renderPlain(c.cell(r)) : c.cell(r))
  const naturalOf = (c: RunsColumn): number =>
    Math.max(displayWidth(c.head), ...records.map((r) => displayWidth(shown(r, c))))
  if (o.width !== undefined) {
    // Leave out optional columns, lowest first, while the command would get less than its minimum.
    const fixedWidth = (cols: RunsColumn[]): number =>
      cols.reduce((sum, c) => sum + (c.flex ? 0 : naturalOf(c)), 0) + GAP * (cols.length - 1)
    const order = columns.filter((c) => c.drop !== undefined).sort((a, b) => a.drop! - b.drop!)
    for (const c of order) {
      if (o.width - fixedWidth(columns) >= MIN_COMMAND) break
      columns = columns.filter((x) => x !== c)
    }
  }

  const widths = flexWidths(
    columns,
    columns.map((c) => naturalOf(c)),
    o.width,
  )
  const rows = records.map((r) =>
    columns.map((c, i) => {
      if (c.key === 'command') return fitCell(c.cell(r), widths[i], `hub runs show ${r.run_id}`)
      const cell = c.cell(r)
      return c.key === 'exit' && isFailedRun(r) ? s.red(cell) : cell
    }),
  )
  return layoutTable(columns, rows, s.bold)
}
