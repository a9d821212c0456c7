import {Flags} from '@oclif/core'

import {BaseCommand, exitCodesHelp} from '../base-command.js'

export default class Denied extends BaseCommand<typeof Denied> {
  static override description =
    'Reads runtime/denied/ directly (no daemon needed), newest first: requests the policy refused (with the ' +
    'rule), that an operator denied (who, and why), that expired undecided, or that their agent withdrew. ' +
    'Reasons are shown whole, wrapped to the terminal. --json prints each file as it is.'
  static override examples = [
    '<%= config.bin %> denied',
    '<%= config.bin %> denied --since 1h --agent claude-code',
    '<%= config.bin %> denied --json --limit 100 | jq -r ".[].reason"',
  ]
  static override flags = {
    limit: Flags.integer({description: 'At most this many.', default: 20, min: 1, max: 100_000, helpValue: '<n>'}),
    since: Flags.string({
      description: 'Only those refused at or after this time: 15m, 1h, 7d … or 2025-01-15T14:30 (local time).',
      helpValue: '<time>',
    }),
    agent: Flags.string({
      description: 'Only requests from this client (claude-code, mcp …) or agent token fingerprint.',
      helpValue: '<name>',
    }),
    local: Flags.boolean({description: 'Show times in the local zone (the default when TZ is set).'}),
  }
  static override summary = 'List refused, denied, expired and withdrawn requests with their reasons.'

  public async run(): Promise<void> {
    const {parseTimeArg, displayZone} = await import('../lib/audit/time-range.js')
    const {readDeniedFiles} = await import('../lib/review/denied-files.js')
    const since = this.flags.since === undefined ? undefined : parseTimeArg(this.flags.since, '--since')
    const {runtimeDir} = this.hubConfig
    const page = await readDeniedFiles(runtimeDir, {agent: this.flags.agent, limit: this.flags.limit, since})
    if (this.jsonMode) return this.printJson(page.items.map((e) => e.raw))
    const s = this.style
    if (page.items.length === 0) {
      const what = this.flags.since || this.flags.agent ? 'matching ' : ''
      process.stdout.write(s.dim(`No ${what}refused, denied or expired requests in ${this.safe(runtimeDir)}.\n`))
      return
    }

    const {describeDenied} = await import('../lib/output/request-view.js')
    const {terminalColumns} = await import('../lib/text/table.js')
    const view = {style: s, width: terminalColumns(), zone: displayZone(this.flags.local)}
    for (const e of page.items) process.stdout.write(describeDenied(e.view, view) + '\n\n')
    const shown = page.items.length
    const count =
      shown < page.total ? `${shown} of ${page.total} (newest first; --limit ${page.total} shows all)` : `${page.total}`
    const unreadable = page.unreadable > 0 ? `; ${page.unreadable} unreadable file(s) skipped` : ''
    process.stdout.write(s.dim(`${count} in ${this.safe(runtimeDir)}${unreadable}.\n`))
  }

  // The exit codes for --help (exitCodesHelp, base-command.ts), under the description.
  static {
    this.description = [
      this.description,
      '',
      exitCodesHelp(['0 listed (also when there are none)'], {daemon: false}),
    ].join('\n')
  }
}
