import {Flags} from '@oclif/core'

import {BaseCommand, exitCodesHelp} from '../base-command.js'
import {isHubError} from '../lib/errors.js'

export default class Prune extends BaseCommand<typeof Prune> {
  static override description =
    'Removes denied, expired and blocked requests older than the retention (AGENT_HUB_RETENTION_DAYS, ' +
    'default 30) from runtime/denied/, and audits how many. The daemon does this every hour by itself; with no ' +
    'daemon running, this command does it on the files. Runs and the audit log are never pruned.'
  static override examples = ['<%= config.bin %> prune', '<%= config.bin %> prune --days 7']
  static override flags = {
    days: Flags.integer({description: 'Keep this many days (default: AGENT_HUB_RETENTION_DAYS).', min: 0}),
  }
  static override summary = 'Apply the retention to denied requests now.'

  public async run(): Promise<void> {
    const days = this.flags.days ?? this.hubConfig.retentionDays
    let result: {before: string; daemon: boolean; removed: number}
    try {
      const client = await this.client('operator')
      const answer = await client.call<{before: string; removed: number}>('POST', '/prune', {days})
      result = {...answer.body, daemon: true}
    } catch (error) {
      if (!isHubError(error) || error.code !== 'daemon_unreachable') throw error
      result = {...(await this.pruneOffline(days)), daemon: false}
    }

    if (this.jsonMode) return this.printJson(result)
    process.stdout.write(`Removed ${result.removed} denied request(s) decided before ${result.before}.\n`)
  }

  private async pruneOffline(days: number): Promise<{before: string; removed: number}> {
    const {AuditLog} = await import('../lib/audit/log.js')
    const {RuntimeStore} = await import('../lib/store.js')
    const files = new RuntimeStore(this.hubConfig.runtimeDir)
    const before = Date.now() - days * 86_400_000
    const removed = await files.pruneDenied(before)
    if (removed.length > 0) {
      const audit = await AuditLog.open(files.paths.audit)
      try {
        await audit.append({
          event: 'retention_pruned',
          kind: 'denied',
          count: removed.length,
          before: new Date(before).toISOString(),
          actor: {role: 'operator', token: 'local'},
        })
      } finally {
        await audit.close()
      }
    }

    return {before: new Date(before).toISOString(), removed: removed.length}
  }

  // The exit codes for --help (exitCodesHelp, base-command.ts), under the description.
  static {
    this.description = [
      this.description,
      '',
      exitCodesHelp(
        ['0 pruned (by the daemon, or in the files when none runs)', '6 the running daemon refused the operator token'],
        {daemon: false},
      ),
    ].join('\n')
  }
}
