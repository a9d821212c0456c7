import {Args, Flags} from '@oclif/core'

import type {HubClient} from '../lib/client.js'
import type {PendingRequest, RunRecord} from '../lib/records.js'
import type {FollowResult} from '../lib/review/follow.js'

import {BaseCommand, exitCodesHelp} from '../base-command.js'
import {HubError, isHubError} from '../lib/errors.js'
import {formatDuration} from '../lib/text/duration.js'

/** What `POST /approve/:id?wait=0` answers: a run started, or (hooks) the agent may run it itself. */
type Accepted =
  | {executor: 'agent'; pending_id: string; run_id: string; state: 'approved'}
  | {pending_id: string; run_id: string; state: 'running'}

/** The exit code of a command stopped by Ctrl-C (128 + SIGINT), as shells report it. */
const INTERRUPTED = 130

export default class Approve extends BaseCommand<typeof Approve> {
  static override args = {
    id: Args.string({
      description: 'The pending id (from hub pending), or a unique start or end of it; several may be given.',
    }),
  }
  static override description = [
    'On a terminal, hub approve <id> shows the request whole (the command exactly as it will run, its cwd, who ' +
      "asked, the agent's note and the policy's verdict) and asks: y approve, n deny (with an optional reason), " +
      'e edit the command first ($VISUAL or $EDITOR, else on one line; the daemon checks the edit with the ' +
      'policy again), ? the full explanation. The approval is bound to the command shown: if the request ' +
      'changed meanwhile, nothing is approved.',
    'Once approved, the output is shown as the command writes it, then the exit code and the duration. ' +
      'Ctrl-C stops watching, not the run: it goes on in the daemon (hub runs show <run_id>).',
    'With --yes, or when standard input is not a terminal, it approves without asking. Several ids, or --all ' +
      '(narrowed by --agent and --match), list the requests and ask once (--all needs --yes without a terminal).',
    '',
    exitCodesHelp([
      '0 approved (or nothing matched), whatever the command returned: see the record',
      '4 no waiting request has that id, or a unique start or end of it',
      '5 decided, expired or changed meanwhile: nothing was approved',
      '8 the edited command is refused by the policy',
      `${INTERRUPTED} Ctrl-C stopped watching (the run goes on in the daemon)`,
    ]),
  ].join('\n')
  static override examples = [
    '<%= config.bin %> approve 20250115_143100_a1b2c3d4',
    {description: 'A unique end (or start) of the id is enough', command: '<%= config.bin %> approve a1b2c3d4'},
    '<%= config.bin %> approve 20250115_143100_a1b2c3d4 --yes --note "looks fine" --no-wait',
    {
      description: 'Every waiting npm test of Claude Code, after one confirmation',
      command: '<%= config.bin %> approve --all --agent claude-code --match "npm test"',
    },
  ]
  static override flags = {
    note: Flags.string({description: 'Why you approved it (kept in the audit log).'}),
    wait: Flags.boolean({description: 'Wait for the run and print its output.', default: true, allowNo: true}),
    yes: Flags.boolean({char: 'y', description: 'Approve without asking (scripts).'}),
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
  static override summary = 'Approve waiting requests and run them (operator token); asks first on a terminal.'

  public async run(): Promise<void> {
    const {argv} = await this.parse(Approve)
    const ids = argv.map(String)
    const client = await this.client('operator', {base: this.flags.base})
    const interactive =
      !this.flags.yes && !this.jsonMode && (await import('../lib/review/keys.js')).TerminalPrompt.available()
    const selection = {all: this.flags.all, ids, agent: this.flags.agent, match: this.flags.match}
    const several = this.flags.all || ids.length > 1
    const {confirmMany, pickRequests} = await import('../lib/review/pick.js')
    const picked = await pickRequests(client, selection, 'approve', {
      err: this.jsonMode ? undefined : process.stderr,
      list: several && interactive,
    })
    if (!several) {
      const id = picked.ids[0]!
      if (interactive) return this.ask(client, id)
      return this.approveOne(client, id)
    }

    if (picked.ids.length === 0) {
      if (this.jsonMode) return this.printJson([])
      process.stdout.write(this.style.dim('No waiting request matches.\n'))
      return
    }

    const view = await this.view()
    const go = await confirmMany(picked, {
      all: this.flags.all,
      interactive,
      out: process.stdout,
      verb: 'approve',
      view,
      yes: this.flags.yes,
    })
    if (!go) {
      process.stdout.write(this.style.dim('Nothing approved.\n'))
      return
    }

    await this.approveMany(client, picked.ids, picked.listed)
  }

  /**
   * Sends the approval with the live output stream already open, shows the output as it comes, then
   * the exit code and duration. Ctrl-C leaves the run going and says how to follow it.
   */
  private async approveAndFollow(client: HubClient, id: string, body: Record<string, unknown>): Promise<void> {
    const s = this.style
    const {RunFollower} = await import('../lib/review/follow.js')
    const {LiveOutput} = await import('../lib/review/live-output.js')
    const live = new LiveOutput(process.stdout, process.stderr, s)
    const follower = await RunFollower.open(client, id, (stream, text) => live.write(stream, text))
    try {
      const accepted = (await client.approveShown(id, body)) as Accepted
      if (accepted.state === 'approved') {
        process.stdout.write(`${s.green('approved')} ${id}; the agent runs it itself and reports back.\n`)
        return
      }

      live.startClock()
      const result = await this.untilInterrupted(follower.result(), [accepted.run_id], () => live.endLine())
      live.stop()
      live.endLine()
      this.printResult(accepted.run_id, result)
    } finally {
      live.stop()
      follower.close()
    }
  }

  /** Approves several, each bound to the command listed, then (with --wait) reports each run as it ends. */
  private async approveMany(client: HubClient, ids: string[], listed: Map<string, PendingRequest>): Promise<void> {
    const s = this.style
    const {sha256Hex} = await import('../lib/review/decide.js')
    const results: Array<Record<string, unknown>> = []
    let firstError: HubError | undefined
    const started: Accepted[] = []
    for (const id of ids) {
      const shown = listed.get(id)
      const body = {
        ...(shown ? {command_sha256: sha256Hex(shown.command)} : {}),
        ...(this.flags.note === undefined ? {} : {note: this.flags.note}),
      }
      try {
        const accepted = (await client.approveShown(id, body)) as Accepted
        started.push(accepted)
        results.push({...accepted})
        const what = accepted.state === 'running' ? ` → run ${accepted.run_id}` : '; the agent runs it itself'
        if (!this.jsonMode) process.stdout.write(`${s.green('approved')} ${id}${what}\n`)
      } catch (error) {
        const hubErr = isHubError(error) ? error : new HubError('internal', String(error))
        firstError ??= hubErr
        results.push({pending_id: id, ...hubErr.toJSON()})
        if (!this.jsonMode) process.stdout.write(`${s.red('not approved')} ${id}: ${this.safe(hubErr.message)}\n`)
      }
    }

    if (this.flags.wait) {
      const runs = started.filter((a) => a.state === 'running')
      await this.untilInterrupted(
        (async () => {
          for (const a of runs) {
            const {record, status} = await client.waitForResult(a.pending_id)
            const entry = results.find((r) => r.pending_id === a.pending_id)
            if (entry)
              Object.assign(entry, {
                state: status.state,
                exit_code: record?.exit_code ?? null,
                duration_ms: record?.duration_ms,
              })
            const outcome = record ? this.exitLabel(record) : status.state
            if (!this.jsonMode)
              process.stdout.write(`${s.bold(a.run_id)}  ${outcome}  ${formatDuration(record?.duration_ms)}\n`)
          }
        })(),
        runs.map((a) => a.run_id),
      )
    }

    if (this.jsonMode) this.printJson(results)
    else {
      const failed = ids.length - started.length
      process.stdout.write(s.dim(`${started.length} approved${failed ? `, ${failed} not approved` : ''}.\n`))
    }

    if (firstError) this.exit(firstError.exitCode)
  }

  /** Without asking (--yes, a script, --json): as before, with the live output when it waits. */
  private async approveOne(client: HubClient, id: string): Promise<void> {
    const s = this.style
    const note = this.flags.note === undefined ? {} : {note: this.flags.note}
    if (!this.flags.wait) {
      const accepted = await client.approveNoWait(id, note)
      if (this.jsonMode) return this.printJson(accepted)
      const run = accepted.run_id
      process.stdout.write(
        `${s.green('approved')} ${accepted.pending_id} → run ${run} (running; see hub runs show ${run})\n`,
      )
      return
    }

    if (this.jsonMode) return this.printJson(await client.approve(id, note))
    let body: Record<string, unknown> = note
    if (process.stderr.isTTY) {
      // What is shown is what is approved: the hash of the command printed goes with the approval.
      const req = await client.getPending(id).catch(() => undefined)
      if (req) {
        const {sha256Hex} = await import('../lib/review/decide.js')
        const {renderPlain} = await import('../lib/text/render.js')
        process.stderr.write(s.dim(`running: ${renderPlain(req.command)}\n`))
        body = {...note, command_sha256: sha256Hex(req.command)}
      }
    }

    await this.approveAndFollow(client, id, body)
  }

  /** The interactive path: the request whole, one key, then the decision carried out. */
  private async ask(client: HubClient, id: string): Promise<void> {
    const s = this.style
    const {decide} = await import('../lib/review/decide.js')
    const {TerminalPrompt} = await import('../lib/review/keys.js')
    const req = await client.getPending(id)
    const view = await this.view()
    const outcome = await decide(req, {
      act: async (d) => {
        if (d.kind === 'deny') {
          const denied = await client.deny(id, d.reason === undefined ? {} : {reason: d.reason})
          process.stdout.write(
            `${s.red('denied')} ${denied.pending_id}${denied.reason ? `: ${this.safe(denied.reason)}` : ''}\n`,
          )
          return
        }

        const body = {
          command_sha256: d.command_sha256,
          ...(d.command === undefined ? {} : {command: d.command}),
          ...(this.flags.note === undefined ? {} : {note: this.flags.note}),
        }
        if (!this.flags.wait) {
          const accepted = (await client.approveShown(id, body)) as Accepted
          const what =
            accepted.state === 'running'
              ? ` → run ${accepted.run_id} (running; see hub runs show ${accepted.run_id})`
              : '; the agent runs it itself'
          process.stdout.write(`${s.green('approved')} ${id}${what}\n`)
          return
        }

        // With --wait the approval is sent once the output stream is open (approveAndFollow); a refused
        // edit still comes back here, so the operator is asked again.
        await this.approveAndFollow(client, id, body)
      },
      out: process.stdout,
      prompt: new TerminalPrompt(process.stdin, process.stdout),
      review: false,
      view,
    })
    if (outcome === 'interrupted' || outcome === 'quit') {
      process.stdout.write(s.dim(`Nothing decided; ${id} is still waiting.\n`))
      if (outcome === 'interrupted') this.exit(INTERRUPTED)
    }
  }

  private exitLabel(record: RunRecord): string {
    const s = this.style
    if (record.timed_out) return s.red(`timed out (exit ${record.exit_code})`)
    if (record.interrupted) return s.red('interrupted')
    return record.exit_code === 0 ? s.green('exit 0') : s.red(`exit ${record.exit_code}`)
  }

  private printResult(runId: string, result: FollowResult): void {
    const s = this.style
    const {record, status} = result
    if (!record) {
      process.stdout.write(`${s.bold(runId)}  ${status.state}${status.reason ? `: ${this.safe(status.reason)}` : ''}\n`)
      return
    }

    if (!result.streamedAny) {
      // The live stream was lost (or the run printed nothing): the record has the output.
      if (record.stdout)
        process.stdout.write(this.safe(record.stdout, true) + (record.stdout.endsWith('\n') ? '' : '\n'))
      if (record.stderr)
        process.stdout.write(s.yellow(this.safe(record.stderr, true)) + (record.stderr.endsWith('\n') ? '' : '\n'))
    } else if (!result.streamedAll) {
      process.stdout.write(s.dim(`(the live output was cut off; all of it: hub runs show ${runId})\n`))
    }

    process.stdout.write(`${s.bold(record.run_id)}  ${this.exitLabel(record)}  ${formatDuration(record.duration_ms)}\n`)
    if (record.stdout_truncated || record.stderr_truncated)
      process.stdout.write(
        s.dim(
          `(the record keeps the output up to the limit: ${record.stdout_bytes} bytes stdout, ` +
            `${record.stderr_bytes} bytes stderr written)\n`,
        ),
      )
  }

  /**
   * Waits for `work`, unless Ctrl-C comes first: then the runs go on in the daemon, and the operator
   * is told how to follow them before hub exits with 130.
   */
  private async untilInterrupted<T>(work: Promise<T>, runIds: string[], before?: () => void): Promise<T> {
    let onSigint: (() => void) | undefined
    const interrupted = new Promise<'interrupted'>((resolve) => {
      onSigint = () => resolve('interrupted')
      process.once('SIGINT', onSigint)
    })
    // Once interrupted, `work` is abandoned; its failure when the connections close must not crash hub.
    work.catch(() => {})
    try {
      const first = await Promise.race([work, interrupted])
      if (first !== 'interrupted') return first as T
    } finally {
      if (onSigint) process.off('SIGINT', onSigint)
    }

    before?.()
    const s = this.style
    const which = runIds.length === 1 ? `run ${runIds[0]}` : `${runIds.length} runs`
    process.stderr.write(
      `${s.yellow('Stopped watching;')} ${which} ${runIds.length === 1 ? 'goes' : 'go'} on in the daemon.\n` +
        s.dim(`Follow it with \`hub runs show ${runIds.length === 1 ? runIds[0] : '<run_id>'}\``) +
        s.dim(' (once it ends) or `hub tail`.\n'),
    )
    this.exit(INTERRUPTED)
  }

  private async view() {
    const {terminalColumns} = await import('../lib/text/table.js')
    const {displayZone} = await import('../lib/audit/time-range.js')
    return {
      hostHere: this.hubConfig.hostName,
      style: this.style,
      width: terminalColumns(),
      zone: displayZone(undefined),
    }
  }
}
