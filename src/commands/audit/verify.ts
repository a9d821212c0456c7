import type {ChainBreak, VerifyResult} from '../../lib/audit/verify.js'
import type {ConfigOverrides} from '../../lib/config.js'

import {BaseCommand, storeFlags} from '../../base-command.js'
import {HubError} from '../../lib/errors.js'

function where(b: ChainBreak): string {
  const seq = b.seq === null ? 'no seq' : `seq ${b.seq}`
  return b.line === null ? seq : `line ${b.line} (${seq})`
}

export default class AuditVerify extends BaseCommand<typeof AuditVerify> {
  static override description = [
    [
      'Every line the daemon writes carries seq (1, 2, 3 … with no gaps), prev (the hash of the line ',
      'before) and hash: an HMAC-SHA256 of the line under the audit key in runtime/audit.key, named by ',
      'key_id. runtime/audit.head holds the last durable seq and hash, signed with the same key.',
    ].join(''),
    [
      'This walks the whole chain and names the first line that breaks it and why: an edited line, a line ',
      'rewritten and hashed again (with plain SHA-256 or another key), a removed or inserted line, a keyed ',
      'line followed by unkeyed ones, a torn last line, lines without a chain (written by the original ',
      'tool), and a log that ends before its signed checkpoint (lines cut off the end).',
    ].join(''),
    [
      'Lines written before the key existed have a plain SHA-256 and no key_id: they still verify, and are ',
      'reported as unkeyed.',
    ].join(''),
    'Needs no daemon, but must read the key: run it as the user that runs the daemon.',
    [
      "With --store postgres://… (or AGENT_HUB_STORE) it walks the team database's chain (table hub_audit) with ",
      "this host's runtime/audit.key and checks the signed head in hub_meta.",
    ].join(''),
    'Exit codes: 0 intact, 1 broken (or the key cannot be read), 4 no audit log.',
  ].join('\n')
  static override examples = [
    '<%= config.bin %> audit verify',
    '<%= config.bin %> audit verify --json',
    '<%= config.bin %> audit verify --store postgres://hub@db.example/hub',
  ]
  static override flags = {...storeFlags}
  static override summary = 'Check the audit log: hash chain, key and signed checkpoint; exit 1 at the first break.'

  protected override configOverrides(): ConfigOverrides {
    return {store: this.flags.store}
  }

  public async run(): Promise<void> {
    const {openHistory} = await import('../../lib/stores/open.js')
    const history = await openHistory(await this.runtime('files'))
    const result = await history.verifyAudit().finally(() => history.close())
    if (result.missing && result.ok) {
      throw new HubError('not_found', `No audit log at ${result.files.log}: nothing to verify.`, {
        hint: 'The daemon creates it on its first start (`hub serve`).',
      })
    }

    if (this.jsonMode) this.printJson({...result, missing: undefined})
    else this.print(result)
    // Not a HubError: a broken chain is a finding this command reports, not a failure to run it.
    if (!result.ok) this.exit(1)
  }

  private print(result: VerifyResult): void {
    const s = this.style
    const out: string[] = []
    const lines = `${result.lines.toLocaleString('en')} ${result.lines === 1 ? 'line' : 'lines'}`
    if (result.ok) {
      out.push(`audit verify: ${lines}, chain intact`)
      if (result.keyed_lines > 0) {
        const since = result.unkeyed_lines > 0 ? ` from seq ${result.keyed_from}` : ''
        out.push(`keyed${since} (key_id ${result.key_id})`)
      }

      if (result.unkeyed_lines > 0) {
        out.push(
          s.yellow(`unkeyed: ${result.unkeyed_lines.toLocaleString('en')} lines`) +
            ' written before the audit key existed (plain SHA-256: a rewrite hashed again would not show there)',
        )
      }

      if (result.checkpoint)
        out.push(s.dim(`signed checkpoint at seq ${result.checkpoint.seq} (${this.safe(result.files.head)})`))
      else if (result.key === 'ok') out.push(s.dim(`no signed checkpoint yet (${this.safe(result.files.head)})`))
      else if (result.key !== 'missing') {
        out.push(
          s.yellow(`could not read the audit key ${this.safe(result.files.key)} (${result.key}):`) +
            ' the signed checkpoint was not checked, so lines cut off the end would not show',
        )
      }

      if (result.lines > 0) out.push(s.dim(`last seq ${result.last_seq}, hash ${result.last_hash}`))
    } else {
      const b = result.first_break!
      out.push(`${s.red('audit verify: chain broken')} (${lines})`, `${where(b)}: ${this.safe(b.reason)}`)
      if (result.last_seq > 0 && b.line !== null)
        out.push(s.dim(`intact up to seq ${result.last_seq} (line ${b.line - 1})`))
    }

    process.stdout.write(out.join('\n') + '\n')
  }
}
