import {Flags} from '@oclif/core'

import type {AuditFilter, ScanSummary} from '../../lib/audit/query.js'
import type {AuditStats} from '../../lib/audit/stats.js'
import type {ConfigOverrides} from '../../lib/config.js'
import type {HubHistory} from '../../lib/stores/history.js'

import {BaseCommand, exitCodesHelp, storeFlags} from '../../base-command.js'
import {AUDIT_CLIENTS, AUDIT_EVENTS} from '../../lib/audit/entry.js'
import {auditTsMs, displayZone, formatTime, parseTimeRange, type Zone, zoneLabel} from '../../lib/audit/time-range.js'
import {HubError} from '../../lib/errors.js'
import {openHistory} from '../../lib/stores/open.js'
import {renderTable} from '../../lib/terminal.js'

let pipeGuarded = false

/**
 * `hub audit | head` closes the pipe early; that is the reader saying "enough", not an error worth a
 * stack trace, so stop quietly (once per process, since tests run many commands in one).
 */
function guardPipe(): void {
  if (pipeGuarded) return
  pipeGuarded = true
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // The reader is gone, so there is nothing left to say or to do: end the process where it stands.
    // eslint-disable-next-line n/no-process-exit, unicorn/no-process-exit -- see above
    if (err.code === 'EPIPE') process.exit(0)
    process.stderr.write(`Error: could not write the output (${err.code ?? err.message}).\n`)
    // eslint-disable-next-line n/no-process-exit, unicorn/no-process-exit -- see above
    process.exit(1)
  })
}

function waitDrain(out: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    out.once('drain', resolve)
  })
}

function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`
}

/** Values of a repeatable flag, also separated by commas. */
function listFlag(values: string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '')
}

/** Terminal width for wrapping: the terminal's, else COLUMNS, else none (a pipe gets whole lines). */
function terminalWidth(out: NodeJS.WriteStream): number | undefined {
  if (out.isTTY && out.columns > 0) return out.columns
  const env = Number(process.env.COLUMNS)
  return Number.isInteger(env) && env > 0 ? env : undefined
}

export default class Audit extends BaseCommand<typeof Audit> {
  static override description = [
    'Reads runtime/audit.log directly (no daemon needed) and streams it, so it works on logs of any size.',
    [
      'Filters combine with AND; --blocked, --executed and --event combine with OR among themselves, as do ',
      'repeated --client and --agent values.',
    ].join(''),
    [
      '--limit N keeps the LAST N matching lines (the most recent), shown oldest first; the log is then ',
      'read backwards from its end and the scan stops once N are found.',
    ].join(''),
    [
      'Times: --since/--until take a duration back from now (30s, 15m, 1h, 7d, 2w) or an ISO date/time, ',
      'read in the local zone (TZ) unless it ends in Z or an offset; --since is inclusive, --until ',
      'exclusive. The table shows UTC, or local time with --local or when TZ is set; its header says which.',
    ].join(''),
    '--grep searches the command, and the whole command (command_full) of lines that carry one.',
    'Reasons are printed in full under their line, wrapped to the terminal width.',
    [
      'Lines that do not parse are skipped and counted (a warning on stderr). With an event filter only the ',
      'lines that mention the event are looked at, so only those can be counted.',
    ].join(''),
    [
      '--json prints a bare JSON array of the matching lines exactly as they are in the log (with --stats: ',
      'one stats object).',
    ].join(''),
    'With --store postgres://… (or AGENT_HUB_STORE) the team database is read instead, with the same output.',
  ].join('\n')
  static override examples = [
    {description: 'Blocked commands (time, command, and why)', command: '<%= config.bin %> audit --blocked'},
    {
      description: 'How many commands ran in the last hour',
      command: '<%= config.bin %> audit --executed --since 1h --stats',
    },
    {description: 'Average (and p50/p95/max) execution time', command: '<%= config.bin %> audit --executed --stats'},
    {
      description: 'The last 20 lines about git, for a script',
      command: '<%= config.bin %> audit --grep "^git " --limit 20 --json',
    },
    {
      description: 'What Claude Code asked for since 9 this morning, in local time',
      command: '<%= config.bin %> audit --client claude-code --since 2025-01-15T09:00 --local',
    },
  ]
  static override flags = {
    ...storeFlags,
    blocked: Flags.boolean({description: 'Only command_blocked lines (refused by policy).'}),
    executed: Flags.boolean({description: 'Only command_executed lines (finished runs).'}),
    event: Flags.string({
      description: `Only this event (repeat, or separate with commas, for several): ${AUDIT_EVENTS.join(', ')}.`,
      multiple: true,
      helpValue: '<event>',
    }),
    client: Flags.string({
      description: `Only lines from this client (repeat or separate with commas): ${AUDIT_CLIENTS.join(', ')}.`,
      multiple: true,
      helpValue: '<client>',
    }),
    agent: Flags.string({
      description: "Only lines whose actor is this token fingerprint (as shown in lines' actor.token).",
      multiple: true,
      helpValue: '<fingerprint>',
    }),
    since: Flags.string({
      description: 'Lines at or after this time: 15m, 1h, 7d … or 2025-01-15, 2025-01-15T14:30 (local time).',
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
    local: Flags.boolean({description: 'Show times in the local zone (the default when TZ is set), not UTC.'}),
    stats: Flags.boolean({
      description:
        'Counts per event and duration_ms count/average/p50/p95/p99/max of command_executed, over the matching lines.',
    }),
  }
  static override summary = 'Query the audit log: filter, list, count and time commands.'

  protected override configOverrides(): ConfigOverrides {
    return {store: this.flags.store}
  }

  public async run(): Promise<void> {
    const filter = this.filter()
    const history = await openHistory(await this.runtime('files'))
    try {
      await this.query(history, filter)
    } finally {
      await history.close()
    }
  }

  private filter(): AuditFilter {
    const f = this.flags
    const events = new Set<string>()
    if (f.blocked) events.add('command_blocked')
    if (f.executed) events.add('command_executed')
    for (const name of listFlag(f.event)) {
      if (!(AUDIT_EVENTS as readonly string[]).includes(name)) {
        throw new HubError(
          'usage',
          `--event ${JSON.stringify(name)} is not an audit event; use one of: ${AUDIT_EVENTS.join(', ')}.`,
          {details: {field: '--event'}},
        )
      }

      events.add(name)
    }

    const clients = listFlag(f.client)
    for (const name of clients) {
      if (!(AUDIT_CLIENTS as readonly string[]).includes(name)) {
        throw new HubError(
          'usage',
          `--client ${JSON.stringify(name)} is not a client; use one of: ${AUDIT_CLIENTS.join(', ')}.`,
          {details: {field: '--client'}},
        )
      }
    }

    const agents = listFlag(f.agent)
    const {since, until} = parseTimeRange(f.since, f.until)
    let grep: RegExp | undefined
    if (f.grep !== undefined) {
      try {
        grep = new RegExp(f.grep)
      } catch (error) {
        throw new HubError(
          'usage',
          `--grep ${JSON.stringify(f.grep)} is not a valid regular expression: ${(error as Error).message}.`,
          {details: {field: '--grep'}},
        )
      }
    }

    return {events: [...events], since, until, grep, limit: f.limit, clients, agents}
  }

  /** Nothing matched: say which log was read, so a wrong directory or runtime shows at once (stderr). */
  private noteNothing(summary: ScanSummary): void {
    const where = this.safe(summary.path)
    const {runtimeDir} = this.hubConfig
    const text = summary.missing
      ? `No audit log at ${where} yet (runtime ${this.safe(runtimeDir)}; set --root or --runtime-dir to read another).`
      : `Nothing in ${where} matched.`
    process.stderr.write(this.style.dim(text) + '\n')
  }

  private printStats(stats: AuditStats): void {
    const s = this.style
    const zone: Zone = displayZone(this.flags.local)
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

    if (stats.first_ts !== null && stats.last_ts !== null) {
      const show = (ts: string): string => {
        const at = auditTsMs(ts)
        return Number.isNaN(at) ? this.safe(ts) : formatTime(at, zone)
      }

      lines.push(s.dim(`From ${show(stats.first_ts)} to ${show(stats.last_ts)} (${zoneLabel(zone)}).`))
    }

    process.stdout.write(lines.join('\n') + '\n')
  }

  private async query(history: HubHistory, filter: AuditFilter): Promise<void> {
    guardPipe()
    if (this.flags.stats) {
      const stats = await history.auditStats(filter)
      this.warnSkipped(stats.skipped_lines)
      if (this.jsonMode) this.printJson(stats)
      else this.printStats(stats)
      if (stats.matched === 0) this.noteNothing(stats)
      return
    }

    const summary = await (this.jsonMode ? this.streamJson(history, filter) : this.streamTable(history, filter))
    this.warnSkipped(summary.skipped_lines)
    if (summary.matched === 0) this.noteNothing(summary)
  }

  private async streamJson(history: HubHistory, filter: AuditFilter): Promise<ScanSummary> {
    const {JsonArrayWriter} = await import('../../lib/output/json-array-writer.js')
    const writer = new JsonArrayWriter(process.stdout)
    const summary = await history.auditLines(filter, (buf, start, end) => writer.add(buf, start, end), {
      afterChunk: () => writer.flush(),
    })
    await writer.end()
    return summary
  }

  /** Rows are written as they are found: a table sized to its content would need every row first. */
  private async streamTable(history: HubHistory, filter: AuditFilter): Promise<ScanSummary> {
    const table = await import('../../lib/output/audit-table.js')
    const out = process.stdout
    const opts = {style: this.style, width: terminalWidth(out), zone: displayZone(this.flags.local)}
    let pending: string[] = [table.auditTableHeader(opts)]
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return
      const text = pending.join('\n') + '\n'
      pending = []
      if (!out.write(text)) await waitDrain(out)
    }

    const summary = await history.auditEntries(filter, (entry) => pending.push(table.auditTableRow(entry, opts)), {
      afterChunk: flush,
    })
    await flush()
    let footer = plural(summary.matched, 'entry', 'entries')
    if (filter.limit !== undefined && summary.matched === filter.limit)
      footer += ` (the last ${summary.matched.toLocaleString('en')} matching: --limit)`
    out.write(this.style.dim(footer) + '\n')
    return summary
  }

  private warnSkipped(n: number): void {
    if (n > 0)
      process.stderr.write(
        `${this.style.yellow('warning:')} skipped ${plural(n, 'unparseable line', 'unparseable lines')}\n`,
      )
  }

  // The exit codes for --help (exitCodesHelp, base-command.ts), under the description.
  static {
    this.description = [
      this.description,
      '',
      exitCodesHelp(
        ['0 done (also when nothing matches)', '1 the log could not be read, or the team database is unavailable'],
        {daemon: false},
      ),
    ].join('\n')
  }
}
