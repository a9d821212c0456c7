import {Flags} from '@oclif/core'

import {BaseCommand, exitCodesHelp} from '../../base-command.js'
import {formatAge, formatIn, renderTable} from '../../lib/terminal.js'

export interface SessionRow {
  created_at: string
  current?: boolean
  expires_at: string
  id: string
  idle_expires_at: string
  last_seen_at: string
  operator: string
  user_agent: string
}

export default class Sessions extends BaseCommand<typeof Sessions> {
  static override description = [
    'Console sessions live in the daemon (a restart ends them all) and end after 12 hours, or 2 hours unused, ' +
      'or when the operator token is rotated.',
    '',
    exitCodesHelp(['0 listed (also when there are none)']),
  ].join('\n')
  static override examples = ['<%= config.bin %> sessions', '<%= config.bin %> sessions --json']
  static override flags = {
    base: Flags.string({description: 'Daemon URL [env: AGENT_HUB_BASE].'}),
  }
  static override summary = 'List signed-in web console sessions (operator token).'

  public async run(): Promise<void> {
    const client = await this.client('operator', {base: this.flags.base})
    const {body: list} = await client.call<SessionRow[]>('GET', '/console/sessions')
    if (this.jsonMode) return this.printJson(list)
    if (list.length === 0) {
      process.stdout.write(this.style.dim('No console sessions. Sign in with hub open.\n'))
      return
    }

    process.stdout.write(
      renderTable({
        head: ['id', 'signed in', 'last seen', 'ends', 'browser'],
        rows: list.map((s) => [
          s.id,
          formatAge(new Date(s.created_at)),
          formatAge(new Date(s.last_seen_at)),
          formatIn(new Date(s.idle_expires_at)),
          this.safe(s.user_agent.slice(0, 60)),
        ]),
        style: this.style,
      }) + '\n',
    )
  }
}
