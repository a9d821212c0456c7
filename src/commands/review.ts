import {Flags} from '@oclif/core'

import type {HubClient} from '../lib/client.js'
import type {ViewOptions} from '../lib/output/request-view.js'
import type {Outcome} from '../lib/review/decide.js'
import type {TerminalPrompt} from '../lib/review/keys.js'

import {BaseCommand, exitCodesHelp} from '../base-command.js'
import {HubError, isHubError} from '../lib/errors.js'
import {renderPlain} from '../lib/text/render.js'

/** What every step of a review shares. */
interface Step {
  client: HubClient
  note?: {note: string}
  prompt: TerminalPrompt
  view: ViewOptions
}

/** The exit code of a command stopped by Ctrl-C (128 + SIGINT), as shells report it. */
const INTERRUPTED = 130

export default class Review extends BaseCommand<typeof Review> {
  static override description =
    'Shows each waiting request whole, oldest first, and asks: y approve, n deny (with an optional reason), ' +
    'e edit the command first, ? the full explanation, s skip, q quit. Approved commands start at once and run ' +
    'in the daemon (hub runs show <run_id>); the review goes on to the next request. Requests that arrive ' +
    'meanwhile are reviewed too. It ends with how many were approved, denied and skipped.\n' +
    'It needs a terminal; scripts use hub approve --yes and hub deny.'
  static override examples = [
    '<%= config.bin %> review',
    '<%= config.bin %> review --note "reviewed in the morning batch"',
  ]
  static override flags = {
    note: Flags.string({description: 'Kept in the audit log with each approval.'}),
    local: Flags.boolean({description: 'Show times in the local zone (the default when TZ is set).'}),
    base: Flags.string({description: 'Daemon URL [env: AGENT_HUB_BASE].'}),
  }
  static override summary = 'Walk the waiting requests one at a time and decide each (operator token).'

  public async run(): Promise<void> {
    const {TerminalPrompt} = await import('../lib/review/keys.js')
    if (this.jsonMode || !TerminalPrompt.available())
      throw new HubError('usage', 'hub review asks on a terminal, and standard input or output is not one.', {
        hint: 'In a script, use `hub approve <id> --yes` and `hub deny <id>` (or --all with --agent/--match).',
      })
    const client = await this.client('operator', {base: this.flags.base})
    const {terminalColumns} = await import('../lib/text/table.js')
    const {displayZone} = await import('../lib/audit/time-range.js')
    const s = this.style
    const step: Step = {
      client,
      prompt: new TerminalPrompt(process.stdin, process.stdout),
      view: {
        hostHere: this.hubConfig.hostName,
        style: s,
        width: terminalColumns(),
        zone: displayZone(this.flags.local),
      },
      ...(this.flags.note === undefined ? {} : {note: {note: this.flags.note}}),
    }
    const seen = new Set<string>()
    const counts = {approved: 0, denied: 0, skipped: 0}
    let stop: Outcome | undefined
    let reviewed = 0
    while (stop === undefined) {
      // Oldest first; asked again after each pass, so that what arrived meanwhile is reviewed too.
      const next = (await client.pending()).filter((r) => !seen.has(r.pending_id)).reverse()
      if (next.length === 0) break
      for (const [i, listed] of next.entries()) {
        seen.add(listed.pending_id)
        const outcome = await this.reviewOne(step, listed.pending_id, `[${i + 1}/${next.length}]`)
        if (outcome === 'gone') continue
        reviewed++
        if (outcome === 'quit' || outcome === 'interrupted') {
          stop = outcome
          break
        }

        counts[outcome]++
      }
    }

    const waiting = (await client.pendingPage({limit: 1})).total
    const tally = `${counts.approved} approved, ${counts.denied} denied, ${counts.skipped} skipped`
    process.stdout.write(`\n${reviewed === 0 ? 'Nothing to review. ' : ''}${tally}; ${waiting} waiting.\n`)
    if (stop === 'interrupted') this.exit(INTERRUPTED)
  }

  /** One request: looked at again, shown, decided. `gone` when it was decided or expired since the list. */
  private async reviewOne(step: Step, id: string, position: string): Promise<'gone' | Outcome> {
    const s = this.style
    const {client} = step
    const {decide} = await import('../lib/review/decide.js')
    const req = await client.getPending(id).catch((error: unknown) => {
      if (isHubError(error) && error.code === 'not_found') return undefined
      throw error
    })
    if (!req) {
      process.stdout.write(s.dim(`${id} was decided meanwhile.\n`))
      return 'gone'
    }

    process.stdout.write(`\n${s.dim(position)}\n`)
    try {
      return await decide(req, {
        async act(d) {
          if (d.kind === 'deny') {
            const denied = await client.deny(id, d.reason === undefined ? {} : {reason: d.reason})
            process.stdout.write(`${s.red('denied')} ${id}${denied.reason ? `: ${renderPlain(denied.reason)}` : ''}\n`)
            return
          }

          const accepted = (await client.approveShown(id, {
            command_sha256: d.command_sha256,
            ...(d.command === undefined ? {} : {command: d.command}),
            ...step.note,
          })) as {run_id: string; state: string}
          const then =
            accepted.state === 'running'
              ? ` → run ${accepted.run_id} (running; hub runs show ${accepted.run_id})`
              : '; the agent runs it itself'
          process.stdout.write(`${s.green('approved')} ${id}${then}\n`)
        },
        out: process.stdout,
        prompt: step.prompt,
        review: true,
        view: step.view,
      })
    } catch (error) {
      // Decided by someone else meanwhile, or changed since it was shown: say so and go on.
      if (!isHubError(error) || !['conflict', 'not_found'].includes(error.code)) throw error
      process.stdout.write(`${s.yellow('skipped')} ${id}: ${renderPlain(error.message)}\n`)
      return 'skipped'
    }
  }

  // The exit codes for --help (exitCodesHelp, base-command.ts), under the description.
  static {
    this.description = [
      this.description,
      '',
      exitCodesHelp([
        '0 the queue was walked through (or left with q)',
        '2 usage error, or standard input or output is not a terminal',
        '130 Ctrl-C stopped the review (the decisions already sent stand)',
      ]),
    ].join('\n')
  }
}
