import {Flags} from '@oclif/core'

import type {ConfigOverrides} from '../../lib/config.js'
import type {RunRecord} from '../../lib/records.js'

import {BaseCommand, storeFlags} from '../../base-command.js'
import {isFailedRun} from '../../lib/stores/history.js'
import {openHistory} from '../../lib/stores/open.js'
import {clip, formatAge, renderTable} from '../../lib/terminal.js'

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
With --store postgres://… (or AGENT_HUB_STORE) the team database's runs are listed, every host's.`
  static override examples = [
    '<%= config.bin %> runs',
    '<%= config.bin %> runs --last 50 --failed',
    '<%= config.bin %> runs --json --last 1',
  ]
  static override flags = {
    ...storeFlags,
    last: Flags.integer({description: 'How many runs to show.', default: 10, min: 1, helpValue: '<n>'}),
    failed: Flags.boolean({description: 'Only runs that failed, timed out or were interrupted.'}),
  }
  static override summary = 'List the newest run records.'

  protected override configOverrides(): ConfigOverrides {
    return {store: this.flags.store}
  }

  public async run(): Promise<void> {
    const history = await openHistory(this.hubConfig)
    const records = await history
      .runs({limit: this.flags.last, failed: this.flags.failed})
      .finally(() => history.close())
    if (this.jsonMode) {
      this.printJson(records)
      return
    }

    if (records.length === 0) {
      process.stdout.write(this.style.dim(this.flags.failed ? 'No failed runs.' : 'No runs yet.') + '\n')
      return
    }

    const s = this.style
    const now = new Date()
    const rows = records.map((r) => {
      let exit = r.exit_code === null || r.exit_code === undefined ? '-' : String(r.exit_code)
      if (r.timed_out) exit += ' (timed out)'
      else if (r.interrupted) exit += ' (interrupted)'
      const started = startedAt(r)
      return [
        r.run_id,
        clip(typeof r.command === 'string' ? r.command : '', 50),
        isFailedRun(r) ? s.red(exit) : exit,
        typeof r.duration_ms === 'number' ? (Math.round(r.duration_ms * 10) / 10).toFixed(1) : '-',
        started ? formatAge(started, now) : '-',
      ]
    })
    process.stdout.write(
      renderTable({
        head: ['RunId', 'Command', 'ExitCode', 'DurationMs', 'Started'],
        rows,
        style: s,
        alignRight: [2, 3],
      }) + '\n',
    )
  }
}
