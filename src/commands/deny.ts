import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'

export default class Deny extends BaseCommand<typeof Deny> {
  static override args = {
    id: Args.string({description: 'The pending id (from hub pending).', required: true}),
  }
  static override examples = ['<%= config.bin %> deny 20250115_143100_a1b2c3d4 --reason "not in this repo"']
  static override flags = {
    reason: Flags.string({description: 'Why (kept in the denied file and the audit log).'}),
    base: Flags.string({description: 'Daemon URL [env: AGENT_HUB_BASE].'}),
  }
  static override summary = 'Deny a waiting request (operator token); it moves to runtime/denied/.'

  public async run(): Promise<void> {
    const client = await this.client('operator', {base: this.flags.base})
    const denied = await client.deny(this.args.id, this.flags.reason === undefined ? {} : {reason: this.flags.reason})
    if (this.jsonMode) return this.printJson(denied)
    process.stdout.write(
      `${this.style.red('denied')} ${denied.pending_id}${denied.reason ? `: ${this.safe(denied.reason)}` : ''}\n`,
    )
  }
}
