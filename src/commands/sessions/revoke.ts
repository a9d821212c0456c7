import {Args, Flags} from '@oclif/core'

import {BaseCommand, exitCodesHelp} from '../../base-command.js'
import {HubError} from '../../lib/errors.js'

export default class SessionsRevoke extends BaseCommand<typeof SessionsRevoke> {
  static override args = {
    id: Args.string({description: 'The session id (from hub sessions).'}),
  }
  static override description = [
    'Ends the session named (its browser must sign in again with hub open), or every session with --all.',
    '',
    exitCodesHelp(['0 ended', '4 no console session has that id (see hub sessions)']),
  ].join('\n')
  static override examples = [
    '<%= config.bin %> sessions revoke 3f9a0c12be47',
    '<%= config.bin %> sessions revoke --all',
  ]
  static override flags = {
    all: Flags.boolean({description: 'End every console session.'}),
    base: Flags.string({description: 'Daemon URL [env: AGENT_HUB_BASE].'}),
  }
  static override summary = 'End a web console session, or all of them (operator token).'

  public async run(): Promise<void> {
    const {id} = this.args
    if (!this.flags.all && id === undefined)
      throw new HubError('usage', 'Name a session id (see hub sessions), or pass --all.')
    if (this.flags.all && id !== undefined) throw new HubError('usage', 'Pass a session id or --all, not both.')
    const client = await this.client('operator', {base: this.flags.base})
    const path = this.flags.all ? '/console/sessions/revoke-all' : `/console/sessions/${encodeURIComponent(id!)}/revoke`
    const {body} = await client.call<{revoked: number}>('POST', path, {})
    if (this.jsonMode) return this.printJson(body)
    process.stdout.write(`Ended ${body.revoked} session${body.revoked === 1 ? '' : 's'}.\n`)
  }
}
