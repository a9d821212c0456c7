import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {AUDIT_EVENTS} from '../../lib/audit-log.js'
import {
  type AuditFilter,
  type AuditLine,
  auditStats,
  type AuditStats,
  JsonArrayWriter,
  queryAudit,
} from '../../lib/audit-query.js'
import {HubError} from '../../lib/errors.js'
import {runtimePaths} from '../../lib/store.js'
import {clip, formatMs, renderTable} from '../../lib/terminal.js'
import {auditTsMs, parseTimeRange} from '../../lib/time-range.js'

let pipeGuarded = false

/**
 * `hub audit | head` closes the pipe early; that is the reader saying "enough", not an error worth a
 * stack trace, so stop quietly (once per process, since tests run many commands in one).
 */
function guardPipe(): void {
  if (pipeGuarded) return
  pipeGuarded = true
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0)
    process.stderr.write(`Error: could not write the output (${err.code ?? err.message}).\n`)
    process.exit(1)
  })
}

function waitDrain(out: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => out.once('drain', resolve))
}

function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`
}

export default class Audit extends BaseCommand<typeof Audit> {
  static override description = `Reads runtime/audit.log directly (no daemon needed) and streams it, so it works on logs of any size.
Filters combine with AND; --blocked, --executed and --event combine with OR among themselves.
--limit N keeps the LAST N matching lines (the most recent), shown oldest first; the log is then read backwards from its end and the scan stops once N are found.
Times: --since/--until take a duration back from now (30s, 15m, 1h, 7d, 2w) or an ISO date/time (UTC unless it ends in Z or an offset); --since is inclusive, --until exclusive.
Lines that do not parse are skipped and counted (a warning on stderr). With an event filter only the lines that mention the event are looked at, so only those can be counted.
--json prints a bare JSON array of the matching lines exactly as they are in the log (with --stats: one stats object).`
  static override examples = [
    {description: 'Blocked commands (time, reason, command)', command: '<%= config.bin %> audit --blocked'},
    {
      description: 'How many commands ran in the last hour',
      command: '<%= config.bin %> audit --executed --since 1h --stats',
    },
    {description: 'Average (and p50/p95/max) execution time', command: '<%= config.bin %> audit --executed --stats'},
    {
      description: 'The last 20 lines about git, for a script',
      command: '<%= config.bin %> audit --grep "^git " --limit 20 --json',
    },
  ]
  static override flags = {
    blocked: Flags.boolean({description: 'Only command_blocked lines (refused by policy).'}),
    executed: Flags.boolean({description: 'Only command_executed lines (finished runs).'}),
    event: Flags.string({
      description: `Only this event (repeat, or separate with commas, for several): ${AUDIT_EVENTS.join(', ')}.`,
      multiple: true,
      helpValue: '<event>',
    }),
    since: Flags.string({
      description: 'Lines at or after this time: 15m, 1h, 7d … or 2025-01-15, 2025-01-15T14:30 (UTC).',
      helpValue: '<time>',
    }),
    until: Flags.string({description: 'Lines before this time (same forms as --since).', helpValue: '<time>'}),
    grep: Flags.string({
      description: 'Only lines whose command matches this regular expression (JavaScript syntax).',
      helpValue: '<regex>',
    }),
    limit: Flags.integer({
      description: 'Keep only the last N matching lines (the most recent).',
      min: 1,
      helpValue: '<n>',
    }),
    stats: Flags.boolean({
      description:
        'Counts per event and duration_ms count/average/p50/p95/p99/max of command_executed, over the matching lines.',
    }),
  }
  static override summary = 'Query the audit log: filter, list, count and time commands.'

  public async run(): Promise<void> {
    const filter = this.filter()
    const path = runtimePaths(this.hubConfig.runtimeDir).audit
    guardPipe()
    if (this.flags.stats) {
      const stats = await auditStats(path, filter)
      this.warnSkipped(stats.skipped_lines)
      if (this.jsonMode) this.printJson(stats)
      else this.printStats(stats, path)
      return
    }

    await (this.jsonMode ? this.streamJson(path, filter) : this.streamTable(path, filter))
  }

  private filter(): AuditFilter {
    const f = this.flags
    const events = new Set<string>()
    if (f.blocked) events.add('command_blocked')
    if (f.executed) events.add('command_executed')
    for (const value of f.event ?? []) {
      for (const name of value.split(',').map((s) => s.trim())) {
        if (!(AUDIT_EVENTS as readonly string[]).includes(name)) {
          throw new HubError(
            'usage',
            `--event ${JSON.stringify(name)} is not an audit event; use one of: ${AUDIT_EVENTS.join(', ')}.`,
            {
              details: {field: '--event'},
            },
          )
        }

        events.add(name)
      }
    }

    const {since, until} = parseTimeRange(f.since, f.until)
    let grep: RegExp | undefined
    if (f.grep !== undefined) {
      try {
        grep = new RegExp(f.grep)
      } catch (error) {
        throw new HubError(
          'usage',
          `--grep ${JSON.stringify(f.grep)} is not a valid regular expression: ${(error as Error).message}.`,
          {
            details: {field: '--grep'},
          },
        )
      }
    }

    return {events: [...events], since, until, grep, limit: f.limit}
  }

  private noteMissing(path: string): void {
    process.stderr.write(this.style.dim(`No audit log at ${this.safe(path)} yet.`) + '\n')
  }

  private printStats(stats: AuditStats, path: string): void {
    const s = this.style
    if (stats.missing) this.noteMissing(path)
    const rows: Array<[string, number]> = Object.entries(stats.events)
    const lines: string[] = []
    if (rows.length > 0) {
      lines.push(
        renderTable({
          head: ['Event', 'Lines'],
          rows: rows.map(([e, n]) => [this.safe(e), n.toLocaleString('en')]),
          style: s,
          alignRight: [1],
        }),
      )
    }

    lines.push(`${s.bold('Matching lines:')} ${stats.matched.toLocaleString('en')}`)
    const d = stats.duration_ms
    if (d.count > 0) {
      const ms = (v: null | number): string => (v === null ? '-' : `${v.toFixed(1)} ms`)
      lines.push(
        `${s.bold('duration_ms')} of command_executed (${d.count.toLocaleString('en')}): ` +
          `average ${ms(d.average)}, p50 ${ms(d.p50)}, p95 ${ms(d.p95)}, p99 ${ms(d.p99)}, max ${ms(d.max)}`,
      )
    } else {
      lines.push(s.dim('No command_executed lines with a duration_ms among them.'))
    }

    if (stats.first_ts !== null && stats.last_ts !== null)
      lines.push(s.dim(`From ${this.safe(stats.first_ts)} to ${this.safe(stats.last_ts)}.`))
    process.stdout.write(lines.join('\n') + '\n')
  }

  private row(
    entry: AuditLine,
    cols: {detail: number; duration: number; event: number; id: number; time: number},
    commandWidth: number,
  ): string {
    const s = this.style
    const at = auditTsMs(entry.ts)
    const time = Number.isNaN(at)
      ? clip(String(entry.ts ?? '-'), cols.time)
      : new Date(at).toISOString().slice(0, 19).replace('T', ' ')
    const id =
      typeof entry.run_id === 'string' ? entry.run_id : typeof entry.pending_id === 'string' ? entry.pending_id : ''
    let detail = ''
    let failed = false
    if (typeof entry.exit_code === 'number') {
      detail = `exit ${entry.exit_code}${entry.timed_out === true ? ' (timed out)' : ''}`
      failed = entry.exit_code !== 0
    } else if (typeof entry.reason === 'string') detail = entry.reason
    else if (typeof entry.rule === 'string') detail = `rule ${entry.rule}`
    const duration = typeof entry.duration_ms === 'number' ? formatMs(entry.duration_ms) : ''
    const event = clip(entry.event, cols.event).padEnd(cols.event)
    const colouredEvent =
      entry.event === 'command_blocked' || entry.event === 'command_denied'
        ? s.red(event)
        : entry.event === 'command_expired' || entry.event === 'run_interrupted'
          ? s.yellow(event)
          : entry.event === 'command_executed'
            ? failed
              ? s.red(event)
              : s.green(event)
            : event
    const detailCell = clip(detail, cols.detail).padEnd(cols.detail)
    return [
      time.padEnd(cols.time),
      colouredEvent,
      clip(id, cols.id).padEnd(cols.id),
      failed ? s.red(detailCell) : detailCell,
      duration.padStart(cols.duration),
      typeof entry.command === 'string' ? clip(entry.command, commandWidth) : '',
    ]
      .join('  ')
      .trimEnd()
  }

  private async streamJson(path: string, filter: AuditFilter): Promise<void> {
    const writer = new JsonArrayWriter(process.stdout)
    const summary = await queryAudit(path, filter, (_entry, buf, start, end) => writer.add(buf, start, end), {
      afterChunk: () => writer.flush(),
    })
    await writer.end()
    this.warnSkipped(summary.skipped_lines)
  }

  /**
   * Fixed column widths, so rows can be written as they are found: a table sized to its content
   * would need every row first, and a log can have millions.
   */
  private async streamTable(path: string, filter: AuditFilter): Promise<void> {
    const s = this.style
    const out = process.stdout
    const width = out.columns && out.columns > 0 ? out.columns : 160
    const cols = {time: 19, event: 16, id: 24, detail: 26, duration: 9}
    const fixed = cols.time + cols.event + cols.id + cols.detail + cols.duration + 2 * 5
    const commandWidth = Math.max(24, width - fixed)
    const header = [
      'Time (UTC)'.padEnd(cols.time),
      'Event'.padEnd(cols.event),
      'Id'.padEnd(cols.id),
      'Exit/Reason'.padEnd(cols.detail),
      'Duration'.padStart(cols.duration),
      'Command',
    ].join('  ')
    let pending: string[] = [s.bold(header)]
    let count = 0
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return
      const text = pending.join('\n') + '\n'
      pending = []
      if (!out.write(text)) await waitDrain(out)
    }

    const summary = await queryAudit(
      path,
      filter,
      (entry) => {
        count++
        pending.push(this.row(entry, cols, commandWidth))
      },
      {afterChunk: flush},
    )
    await flush()
    if (summary.missing) this.noteMissing(path)
    let footer = plural(count, 'entry', 'entries')
    if (filter.limit !== undefined && count === filter.limit)
      footer += ` (the last ${count.toLocaleString('en')} matching: --limit)`
    out.write(s.dim(footer) + '\n')
    this.warnSkipped(summary.skipped_lines)
  }

  private warnSkipped(n: number): void {
    if (n > 0)
      process.stderr.write(
        `${this.style.yellow('warning:')} skipped ${plural(n, 'unparseable line', 'unparseable lines')}\n`,
      )
  }
}
