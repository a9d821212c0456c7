import {Args, Flags} from '@oclif/core'

import type {HubClient} from '../lib/client.js'
import type {DeniedRequest} from '../lib/records.js'

import {BaseCommand, exitCodesHelp} from '../base-command.js'
import {HubError, isHubError} from '../lib/errors.js'

export default class Deny extends BaseCommand<typeof Deny> {
  static override args = {
    id: Args.string({
      description: 'The pending id (from hub pending), or a unique start or end of it; several may be given.',
    }),
  }
  static override description = [
    'Denies each request named, at once. Several ids, or --all (narrowed by --agent and --match), are listed ' +
      'and confirmed once on a terminal; without a terminal --all needs --yes. Denied requests move to ' +
      'runtime/denied/ (see hub denied).',
    '',
    exitCodesHelp([
      '0 denied (or nothing matched)',
      '4 no waiting request has that id, or a unique start or end of it',
      '5 already decided or expired meanwhile',
    ]),
  ].join('\n')
  static override examples = [
    '<%= config.bin %> deny 20250115_143100_a1b2c3d4 --reason "not in this repo"',
    {description: 'A unique end (or start) of the id is enough', command: '<%= config.bin %> deny a1b2c3d4'},
    {
      description: 'A flood of curl requests from one agent, after one confirmation',
      command: '<%= config.bin %> deny --all --match /^curl / --reason "no network today"',
    },
  ]
  static override flags = {
    reason: Flags.string({description: 'Why (kept in the denied file and the audit log).'}),
    yes: Flags.boolean({char: 'y', description: 'With several or --all: deny without asking.'}),
    all: Flags.boolean({
      description: 'Every waiting request (narrow with --agent and --match); listed and confirmed first.',
    }),
    agent: Flags.string({
      description: 'With --all: only requests from this client (claude-code, mcp …) or agent token fingerprint.',
      helpValue: '<name>',
    }),
    match: Flags.string({
      description: 'With --all: only commands containing this text, or matching /regex/.',
      helpValue: '<text|/regex/>',
    }),
    base: Flags.string({description: 'Daemon URL [env: AGENT_HUB_BASE].'}),
  }
  static override strict = false
  static override summary = 'Deny waiting requests (operator token); they move to runtime/denied/.'

  public async run(): Promise<void> {
    const {argv} = await this.parse(Deny)
    const ids = argv.map(String)
    const client = await this.client('operator', {base: this.flags.base})
    const {TerminalPrompt} = await import('../lib/review/keys.js')
    const interactive = !this.flags.yes && !this.jsonMode && TerminalPrompt.available()
    const {confirmMany, pickRequests} = await import('../lib/review/pick.js')
    const several = this.flags.all || ids.length > 1
    const picked = await pickRequests(
      client,
      {all: this.flags.all, ids, agent: this.flags.agent, match: this.flags.match},
      'deny',
      {err: this.jsonMode ? undefined : process.stderr, list: several && interactive},
    )
    const reason = this.flags.reason === undefined ? {} : {reason: this.flags.reason}
    if (!several) {
      const denied = await client.deny(picked.ids[0]!, reason)
      if (this.jsonMode) return this.printJson(denied)
      return this.printDenied(denied)
    }

    if (picked.ids.length === 0) {
      if (this.jsonMode) return this.printJson([])
      process.stdout.write(this.style.dim('No waiting request matches.\n'))
      return
    }

    const {terminalColumns} = await import('../lib/text/table.js')
    const {displayZone} = await import('../lib/audit/time-range.js')
    const go = await confirmMany(picked, {
      all: this.flags.all,
      interactive,
      out: process.stdout,
      verb: 'deny',
      view: {style: this.style, width: terminalColumns(), zone: displayZone(undefined)},
      yes: this.flags.yes,
    })
    if (!go) {
      process.stdout.write(this.style.dim('Nothing denied.\n'))
      return
    }

    await this.denyMany(client, picked.ids, reason)
  }

  /** Denies each in turn; one that fails (decided meanwhile) is reported and the rest go on. */
  private async denyMany(client: HubClient, ids: string[], reason: {reason?: string}): Promise<void> {
    const results: Array<Record<string, unknown>> = []
    let firstError: HubError | undefined
    for (const id of ids) {
      try {
        const denied = await client.deny(id, reason)
        results.push({...denied})
        if (!this.jsonMode) this.printDenied(denied)
      } catch (error) {
        const hubErr = isHubError(error) ? error : new HubError('internal', String(error))
        firstError ??= hubErr
        results.push({pending_id: id, ...hubErr.toJSON()})
        if (!this.jsonMode)
          process.stdout.write(`${this.style.red('not denied')} ${id}: ${this.safe(hubErr.message)}\n`)
      }
    }

    const done = results.filter((r) => r.error === undefined).length
    if (this.jsonMode) this.printJson(results)
    else
      process.stdout.write(
        this.style.dim(`${done} denied${done < ids.length ? `, ${ids.length - done} not denied` : ''}.\n`),
      )
    if (firstError) this.exit(firstError.exitCode)
  }

  private printDenied(denied: DeniedRequest): void {
    process.stdout.write(
      `${this.style.red('denied')} ${denied.pending_id}${denied.reason ? `: ${this.safe(denied.reason)}` : ''}\n`,
    )
  }
}
