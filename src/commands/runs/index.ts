import {Flags} from '@oclif/core'

import type {ConfigOverrides} from '../../lib/config.js'

import {BaseCommand, exitCodesHelp, storeFlags} from '../../base-command.js'
import {displayZone} from '../../lib/audit/time-range.js'
import {runsTable} from '../../lib/output/runs-table.js'
import {openHistory} from '../../lib/stores/open.js'
import {terminalColumns} from '../../lib/text/table.js'

export default class Runs extends BaseCommand<typeof Runs> {
  static override description = [
    'Reads runtime/runs/ directly (no daemon needed). Runs are listed newest first by id (ids start with the ' +
      'UTC time), and only the records shown are opened, so the listing costs the same among 50,000 runs as ' +
      'among 50.',
    '--failed keeps runs with a non-zero exit code, a timeout or an interruption. --json prints the full ' +
      'records (with stdout and stderr).',
    "With --store postgres://… (or AGENT_HUB_STORE) the team database's runs are listed, every host's.",
    'Without --root it reads the runtime of the current directory, else the one of the daemon registered by ' +
      'this user, and says which when it finds no runs. Start times are UTC, or local with --local or when TZ ' +
      'is set; the header names the zone.',
    'The table uses the terminal width: a Client column names the integration (claude-code, codex, mcp …) ' +
      'once any run came through one; a command too long for its column is cut with a mark saying how much is ' +
      'hidden; on a narrow terminal Client, then Age, then Started are left out first.',
    '',
    exitCodesHelp(
      [
        '0 done (also when there are no runs)',
        '2 usage or configuration error (a --root that is a file, a runtime this user may not read)',
      ],
      {daemon: false},
    ),
  ].join('\n')
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

    process.stdout.write(
      runsTable(records, {style: this.style, width: terminalColumns(), zone: displayZone(this.flags.local)}) + '\n',
    )
  }
}
