import {BaseCommand} from '../../base-command.js'
import {verifyAuditFile} from '../../lib/audit-query.js'
import {HubError} from '../../lib/errors.js'
import {runtimePaths} from '../../lib/store.js'

export default class AuditVerify extends BaseCommand<typeof AuditVerify> {
  static override description = `Every line the daemon writes carries seq (1, 2, 3 … with no gaps), prev (the hash of the line before) and hash (sha256 of the line without its hash). This walks the whole chain and names the first line that breaks it and why: an edited line, a removed or inserted line, a torn last line, or lines without a chain (written by the original tool).
Exit codes: 0 intact, 1 broken, 4 no audit log.
Note: a chain cannot show lines cut off at the end; compare last_seq/last_hash with a copy kept elsewhere for that.`
  static override examples = ['<%= config.bin %> audit verify', '<%= config.bin %> audit verify --json']
  static override summary = 'Check the audit log hash chain; exit 1 at the first line that breaks it.'

  public async run(): Promise<void> {
    const path = runtimePaths(this.hubConfig.runtimeDir).audit
    const result = await verifyAuditFile(path)
    if (result.missing) {
      throw new HubError('not_found', `No audit log at ${path}: nothing to verify.`, {
        hint: 'The daemon creates it on its first start (`hub serve`).',
      })
    }

    const {missing: _missing, ...report} = result
    if (this.jsonMode) {
      this.printJson(report)
    } else if (result.ok) {
      const lines = `${result.lines.toLocaleString('en')} ${result.lines === 1 ? 'line' : 'lines'}`
      process.stdout.write(`audit verify: ${lines}, chain intact\n`)
      if (result.lines > 0)
        process.stdout.write(this.style.dim(`last seq ${result.last_seq}, hash ${result.last_hash}`) + '\n')
    } else {
      const b = result.first_break!
      process.stdout.write(
        `${this.style.red('audit verify: chain broken')} (${result.lines.toLocaleString('en')} lines)\n`,
      )
      process.stdout.write(`line ${b.line} (${b.seq === null ? 'no seq' : `seq ${b.seq}`}): ${this.safe(b.reason)}\n`)
      if (result.last_seq > 0)
        process.stdout.write(this.style.dim(`intact up to seq ${result.last_seq} (line ${b.line - 1})`) + '\n')
    }

    // Not a HubError: a broken chain is a finding this command reports, not a failure to run it.
    if (!result.ok) this.exit(1)
  }
}
