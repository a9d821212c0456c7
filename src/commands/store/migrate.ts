import {Flags} from '@oclif/core'

import {BaseCommand, exitCodesHelp} from '../../base-command.js'
import {HubError} from '../../lib/errors.js'

export default class StoreMigrate extends BaseCommand<typeof StoreMigrate> {
  static override description = [
    'Copies this runtime directory — the audit chain, waiting requests, decisions, claims and runs with their ',
    'outputs — into an empty PostgreSQL database in one transaction, then verifies the copied chain against the ',
    "file's. The audit lines keep their exact text, so `hub audit verify --store` and `hub audit --json --store` ",
    'give what they gave on the files.',
    "\nRefused: while this directory's daemon runs (stop it first), when the chain does not verify, and when the ",
    'database already holds hub data (two chains cannot be merged: use a new database). The audit key stays in ',
    'runtime/audit.key; copy that file to every other host of the team before starting their daemons.',
    '\nThe runtime files are left as they were. Afterwards start the daemon with --store (or AGENT_HUB_STORE).',
  ].join('')
  static override examples = ['<%= config.bin %> store migrate --to postgres://hub@db.example:5432/hub']
  static override flags = {
    to: Flags.string({description: 'The postgres://… database to copy into (must be empty).', required: true}),
  }
  static override summary = 'Copy the runtime directory into a PostgreSQL team database.'

  public async run(): Promise<void> {
    const {isPostgresUrl} = await import('../../lib/stores/postgres/pool.js')
    if (!isPostgresUrl(this.flags.to)) {
      throw new HubError('usage', '--to must be a postgres:// (or postgresql://) URL.', {details: {field: '--to'}})
    }

    const {migrateFiles} = await import('../../lib/stores/postgres/migrate-files.js')
    const report = await migrateFiles({
      host: this.hubConfig.hostName,
      runtimeDir: this.hubConfig.runtimeDir,
      url: this.flags.to,
    })
    if (this.jsonMode) return this.printJson(report)
    const s = this.style
    process.stdout.write(
      [
        `Copied ${this.safe(this.hubConfig.runtimeDir)} into ${this.safe(report.to)}:`,
        `  ${report.audit_lines} audit lines, ${report.pending} waiting, ${report.claimed} claimed, ` +
          `${report.decided} decided, ${report.runs} runs`,
        `${s.green('chain verified')} in the database up to seq ${report.last_seq} ` +
          `(hash ${report.last_hash.slice(0, 16)}…)`,
        s.dim('Start the daemon with --store (or AGENT_HUB_STORE); copy runtime/audit.key to the other hosts.'),
      ].join('\n') + '\n',
    )
  }

  // The exit codes for --help (exitCodesHelp, base-command.ts), under the description.
  static {
    this.description = [
      this.description,
      '',
      exitCodesHelp(['0 copied', '1 the database could not be reached or written'], {daemon: false}),
    ].join('\n')
  }
}
