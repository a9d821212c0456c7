import {Args, Flags} from '@oclif/core'

import type {ConfigOverrides} from '../../lib/config.js'
import type {Actor, RunRecord} from '../../lib/records.js'

import {BaseCommand, exitCodesHelp, storeFlags} from '../../base-command.js'
import {auditTsMs, displayZone, formatTime, zoneLabel} from '../../lib/audit/time-range.js'
import {HubError} from '../../lib/errors.js'
import {assertId} from '../../lib/ids.js'
import {openHistory} from '../../lib/stores/open.js'
import {escapeControl, formatAge} from '../../lib/terminal.js'
import {formatDuration} from '../../lib/text/duration.js'

function bytes(n: unknown): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '-'
  if (n < 1024) return `${n} B`
  if (n < 1_048_576) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1_048_576).toFixed(1)} MiB`
}

function yesNo(v: unknown): string {
  return v === true ? 'yes' : v === false ? 'no' : '-'
}

/** A field's value for the terminal: escaped, '-' when absent. */
function shown(v: unknown): string {
  return v === null || v === undefined || v === '' ? '-' : escapeControl(String(v))
}

function policyLine(p: RunRecord['policy'] | undefined): string {
  if (!p || typeof p !== 'object') return '-'
  return `${shown(p.decision)}${p.rule ? ` (rule ${shown(p.rule)})` : ''}${p.reason ? `: ${shown(p.reason)}` : ''}`
}

/** Which integration asked, and who ran the command: hub, or the agent itself after hub's allow. */
function ranBy(r: RunRecord): string {
  return r.executor && r.executor !== 'hub' ? `${shown(r.executor)} (the agent ran it)` : 'hub'
}

function actor(a: Actor | null | undefined): string {
  if (!a || typeof a !== 'object') return '-'
  return `${String(a.role)} (token ${String(a.token)})`
}

export default class RunsShow extends BaseCommand<typeof RunsShow> {
  static override args = {
    run_id: Args.string({description: 'The run id (YYYYMMDD_HHMMSS_<8 hex>), as `hub runs` lists it.', required: true}),
  }
  static override description = [
    'Reads runtime/runs/<run_id>/record.json directly (no daemon needed): the runtime of the current ' +
      'directory, else the one of the daemon registered by this user; or the team database with --store. ' +
      'Control characters in the command and the output are shown escaped, so nothing a command printed can ' +
      'move the cursor or hide text. Times are UTC, or local with --local or when TZ is set.',
    '',
    exitCodesHelp(['0 shown', '4 no such run (or not a run id)'], {daemon: false}),
  ].join('\n')
  static override examples = [
    '<%= config.bin %> runs show 20250115_143122_e5f6a7b8',
    '<%= config.bin %> runs show 20250115_143122_e5f6a7b8 --json',
  ]
  static override flags = {
    ...storeFlags,
    local: Flags.boolean({description: 'Show times in the local zone (the default when TZ is set).'}),
  }
  static override summary = 'Show one run record with its full stdout and stderr.'

  protected override configOverrides(): ConfigOverrides {
    return {store: this.flags.store}
  }

  public async run(): Promise<void> {
    const id = assertId(this.args.run_id, 'run_id')
    const config = await this.runtime('files')
    const history = await openHistory(config)
    let record: RunRecord | undefined
    try {
      record = await history.run(id)
    } catch (error) {
      if (error instanceof HubError) throw error
      throw new HubError('internal', `The record of run ${id} could not be read (${(error as Error).message}).`, {
        cause: error,
      })
    } finally {
      await history.close()
    }

    if (!record)
      throw new HubError('not_found', `No run ${id} in ${config.store ? 'the team database' : config.runtimeDir}.`, {
        hint: 'List recent runs with `hub runs`; --root picks another runtime.',
      })
    if (this.jsonMode) {
      this.printJson(record)
      return
    }

    this.printRecord(record)
  }

  private printRecord(r: RunRecord): void {
    const s = this.style
    let exit = r.exit_code === null || r.exit_code === undefined ? '-' : String(r.exit_code)
    const failed = r.exit_code !== 0 || r.timed_out === true || r.interrupted === true
    if (failed) exit = s.red(exit)
    const started = typeof r.ts === 'number' ? new Date(r.ts * 1000) : undefined
    const zone = displayZone(this.flags.local)
    const at = (ms: number): string => `${formatTime(ms, zone)} ${zoneLabel(zone, new Date(ms))}`
    const finishedMs = auditTsMs(r.finished_at)
    const stream = (kept: unknown, seen: unknown, truncated: unknown): string => {
      if (truncated !== true) return bytes(seen)
      const keptBytes = typeof kept === 'string' ? Buffer.byteLength(kept) : undefined
      return s.yellow(`truncated: kept ${bytes(keptBytes)} of ${bytes(seen)}`)
    }

    const fields: Array<[string, string]> = [
      ['command', shown(r.command)],
      ['cwd', shown(r.cwd)],
      ['exit code', exit],
      ['duration', formatDuration(r.duration_ms)],
      [
        'started',
        started && !Number.isNaN(started.getTime())
          ? `${at(started.getTime())} (${formatAge(started)})`
          : shown(r.started_at),
      ],
      ['finished', Number.isNaN(finishedMs) ? shown(r.finished_at) : at(finishedMs)],
      ['timed out', r.timed_out === true ? s.red('yes') : yesNo(r.timed_out)],
      ['interrupted', r.interrupted === true ? s.red('yes') : yesNo(r.interrupted)],
      ['stdout', stream(r.stdout, r.stdout_bytes, r.stdout_truncated)],
      ['stderr', stream(r.stderr, r.stderr_bytes, r.stderr_truncated)],
      ['peak RSS', typeof r.peak_rss_mb === 'number' ? `${r.peak_rss_mb} MB` : '-'],
      ['CPU', typeof r.cpu_ms === 'number' ? `${r.cpu_ms} ms` : '-'],
      ['client', shown(r.client ?? 'http')],
      ['run by', ranBy(r)],
      ['pending id', shown(r.pending_id)],
      ['approved by', shown(actor(r.approved_by))],
      ['policy', policyLine(r.policy)],
      ['note', shown(r.note)],
    ]
    const width = Math.max(...fields.map(([k]) => k.length))
    const out: string[] = [`${s.bold('Run')} ${shown(r.run_id)}`]
    for (const [k, v] of fields) out.push(`  ${s.dim(k.padEnd(width))}  ${v}`)
    for (const [name, text] of [
      ['stdout', r.stdout],
      ['stderr', r.stderr],
    ] as const) {
      out.push('', s.bold(`--- ${name} ---`))
      if (typeof text === 'string' && text !== '')
        out.push(this.safe(text.endsWith('\n') ? text.slice(0, -1) : text, true))
      else out.push(s.dim('(empty)'))
    }

    process.stdout.write(out.join('\n') + '\n')
  }
}
