import {Flags} from '@oclif/core'

import type {ConfigOverrides} from '../../lib/config.js'
import type {RunRecord} from '../../lib/records.js'

import {BaseCommand, storeFlags} from '../../base-command.js'
import {displayZone, formatTime, zoneLabel} from '../../lib/audit/time-range.js'
import {isFailedRun} from '../../lib/stores/history.js'
import {openHistory} from '../../lib/stores/open.js'
import {clip, formatAge, renderTable} from '../../lib/terminal.js'
import {formatDuration} from '../../lib/text/duration.js'

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

export default class Runs extends BaseCommand<typeof Runs> {
  static override description = `Reads runtime/runs/ directly (no daemon needed). Runs are listed newest first by id (ids start with the UTC time), and only the records shown are opened, so the listing costs the same among 50,000 runs as among 50.
--failed keeps runs with a non-zero exit code, a timeout or an interruption. --json prints the full records (with stdout and stderr).
With --store postgres://… (or AGENT_HUB_STORE) the team database's runs are listed, every host's.
Without --root it reads the runtime of the current directory, else the one of the daemon registered by this user, and says which when it finds no runs. Start times are UTC, or local with --local or when TZ is set; the header names the zone.
Exit codes: 0 done (also when there are no runs), 2 usage or configuration error (a --root that is a file, a runtime this user may not read).`
  static override examples = [
    '<%= config.bin %> runs',
    '<%= config.bin %> runs --last 50 --failed',
    '<%= config.bin %> runs --json --last 1',
  ]
  static override flags = {
    ...storeFlags,
    last: Flags.integer({description: 'How many runs to show.', default: 10, min: 1, helpValue: '<n>'}),
    failed: Flags.boolean({description: 'Only runs that failed, timed out or were interrupted.'}),
    local: Flags.boolean({description: 'Show times in the local zone (the default when TZ is set).'}),
  }
  static override summary = 'List the newest run records.'

  protected override configOverrides(): ConfigOverrides {
    return {store: this.flags.store}
  }

  public async run(): Promise<void> {
    const config = await this.runtime('files')
    const history = await openHistory(config)
    const records = await history
      .runs({limit: this.flags.last, failed: this.flags.failed})
      .finally(() => history.close())
    if (this.jsonMode) {
      this.printJson(records)
      return
    }

    if (records.length === 0) {
      // Which runtime was read, so a wrong directory shows at once.
      const where = config.store ? 'the team database' : this.safe(config.runtimeDir)
      process.stdout.write(
        this.style.dim(this.flags.failed ? `No failed runs in ${where}.` : `No runs yet in ${where}.`) + '\n',
      )
      return
    }

    const s = this.style
    const now = new Date()
    const zone = displayZone(this.flags.local)
    const rows = records.map((r) => {
      let exit = r.exit_code === null || r.exit_code === undefined ? '-' : String(r.exit_code)
      if (r.timed_out) exit += ' (timed out)'
      else if (r.interrupted) exit += ' (interrupted)'
      const started = startedAt(r)
      return [
        r.run_id,
        clip(typeof r.command === 'string' ? r.command : '', 50),
        isFailedRun(r) ? s.red(exit) : exit,
        durationCell(r.duration_ms),
        started ? formatTime(started.getTime(), zone) : '-',
        started ? formatAge(started, now) : '-',
      ]
    })
    process.stdout.write(
      renderTable({
        head: ['RunId', 'Command', 'ExitCode', 'DurationMs', `Started (${zoneLabel(zone)})`, 'Age'],
        rows,
        style: s,
        alignRight: [2, 3],
      }) + '\n',
    )
  }
}
