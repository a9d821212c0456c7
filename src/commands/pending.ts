import {Flags} from '@oclif/core'

import {BaseCommand, exitCodesHelp} from '../base-command.js'

export default class Pending extends BaseCommand<typeof Pending> {
  static override description =
    "Asks the daemon of the current directory, else the one this user's `hub serve` registered (so it works " +
    "from any directory; --root picks one when several run). The table fits the terminal's width ($COLUMNS " +
    'when piped) and says when it shortens a command; --full shows every request whole. Times are UTC, or local ' +
    'with --local or when TZ is set.\n\n' +
    exitCodesHelp()
  static override examples = [
    '<%= config.bin %> pending',
    '<%= config.bin %> pending --json | jq length',
    '<%= config.bin %> pending --full',
  ]
  static override flags = {
    limit: Flags.integer({description: 'At most this many.', default: 50, min: 1, max: 10_000}),
    full: Flags.boolean({
      description: 'Show every request whole (command, note, cwd, parsed commands) instead of a table.',
    }),
    local: Flags.boolean({description: 'Show times in the local zone (the default when TZ is set).'}),
    base: Flags.string({description: 'Daemon URL [env: AGENT_HUB_BASE].'}),
  }
  static override summary = 'List requests waiting for an operator, newest first, with the policy verdict.'

  public async run(): Promise<void> {
    const client = await this.client('any', {base: this.flags.base})
    const {items: list, total} = await client.pendingPage({limit: this.flags.limit})
    if (this.jsonMode) return this.printJson(list)
    const s = this.style
    if (list.length === 0) {
      process.stdout.write(s.dim(`No requests waiting (daemon at ${client.address}).\n`))
      return
    }

    const {describePending, pendingTable} = await import('../lib/output/request-view.js')
    const {terminalColumns, wrapText} = await import('../lib/text/table.js')
    const {displayZone} = await import('../lib/audit/time-range.js')
    const view = {
      hostHere: this.hubConfig.hostName,
      style: s,
      width: terminalColumns(),
      zone: displayZone(this.flags.local),
    }
    if (this.flags.full) {
      for (const r of list) process.stdout.write(describePending(r, {...view, explain: true}) + '\n\n')
    } else {
      process.stdout.write(pendingTable(list, view) + '\n')
    }

    const count =
      list.length < total
        ? `${list.length} of ${total} waiting (newest first; --limit ${total} shows all)`
        : `${total} waiting`
    const footer =
      `${count}. Approve with \`hub approve <id>\`, deny with \`hub deny <id> --reason …\`; ` +
      '--full shows everything.'
    // Wrapped like the table: a line longer than the terminal would break anywhere.
    const lines = view.width === undefined ? [footer] : wrapText(footer, view.width)
    process.stdout.write(lines.map((l) => s.dim(l)).join('\n') + '\n')
  }
}
