import {Args, Flags} from '@oclif/core'

import type {RunRecord} from '../lib/records.js'

import {BaseCommand, exitCodesHelp} from '../base-command.js'
import {EXIT} from '../lib/errors.js'
import {formatDuration} from '../lib/text/duration.js'

/**
 * One status line on a terminal's stderr that counts the time spent waiting ("waiting for an
 * operator… 12 s"), rewritten in place once a second. Not on a pipe or a file: a log would fill with
 * a line a second. `say` prints a whole line above it; `stop` clears it.
 */
class ElapsedLine {
  private phase: string
  private readonly shown: boolean
  private since = Date.now()
  private readonly timer: NodeJS.Timeout | undefined

  constructor(
    phase: string,
    private readonly dim: (s: string) => string,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.phase = phase
    this.shown = out.isTTY === true
    if (this.shown) {
      this.draw()
      this.timer = setInterval(() => this.draw(), 1000)
      // Never the reason the process stays alive.
      this.timer.unref()
    }
  }

  /** A line of its own, then the counter again below it. */
  say(text: string, phase?: string): void {
    if (phase !== undefined) {
      // Each phase counts its own time: "running… 2 s", not the minutes spent waiting before it.
      this.phase = phase
      this.since = Date.now()
    }

    if (this.shown) this.out.write('\r\u001B[2K')
    this.out.write(text + '\n')
    if (this.shown) this.draw()
  }

  stop(): void {
    if (!this.shown) return
    clearInterval(this.timer)
    this.out.write('\r\u001B[2K')
  }

  private draw(): void {
    const elapsed = formatDuration(Date.now() - this.since, {wholeSeconds: true})
    this.out.write(`\r\u001B[2K${this.dim(`${this.phase}… ${elapsed}`)}`)
  }
}

export default class Plan extends BaseCommand<typeof Plan> {
  static override args = {
    command: Args.string({description: 'The shell command, quoted as one argument.', required: true}),
  }
  static override description =
    'Uses the agent token (AGENT_HUB_TOKEN or the token file). With --wait, waits for the decision and the run, ' +
    "prints the command's output, and exits with the command's own exit code (8 when refused or denied, 5 when " +
    'it expired, 10 when --wait-timeout gave up). While it waits on a terminal, stderr shows the time spent ' +
    `waiting on one line that updates itself.

${exitCodesHelp([
  "the command's own exit code with --wait once it ran",
  '5 expired before anyone decided (--wait)',
  '8 refused by the policy or denied by the operator',
  '9 rate limited, or too many of this agent’s requests wait already',
  '10 --wait-timeout gave up (the request is still there)',
])}`
  static override examples = [
    '<%= config.bin %> plan "ls -la"',
    '<%= config.bin %> plan "npm test" --note "run the tests" --cwd app --timeout 600 --wait',
  ]
  static override flags = {
    note: Flags.string({description: 'Why the command is needed (shown to the operator).'}),
    cwd: Flags.string({description: 'Working directory, relative to the workspace.'}),
    timeout: Flags.integer({description: 'Seconds before the run is stopped (1–3600).', min: 1, max: 3600}),
    wait: Flags.boolean({description: 'Wait for the decision and the run; exit with its exit code.'}),
    'wait-timeout': Flags.integer({
      description: 'With --wait: give up waiting after this many seconds (the request stays queued).',
      min: 1,
    }),
    base: Flags.string({description: 'Daemon URL [env: AGENT_HUB_BASE].'}),
  }
  static override summary = 'Propose a command; it waits for an operator unless the policy refuses it.'

  public async run(): Promise<void> {
    const client = await this.client('agent', {base: this.flags.base})
    const input = {
      command: this.args.command,
      ...(this.flags.note === undefined ? {} : {note: this.flags.note}),
      ...(this.flags.cwd === undefined ? {} : {cwd: this.flags.cwd}),
      ...(this.flags.timeout === undefined ? {} : {timeout_s: this.flags.timeout}),
    }
    const plan = await client.plan(input)
    const s = this.style
    if (!this.flags.wait) {
      if (this.jsonMode) return this.printJson(plan)
      if (plan.record) return this.printRecord(plan.record)
      const rule = plan.policy.rule ? ` (${this.safe(plan.policy.rule)})` : ''
      process.stdout.write(`${s.yellow('queued')} ${plan.pending_id}  ${s.dim(`policy: ${plan.decision}${rule}`)}\n`)
      process.stdout.write(s.dim(`An operator approves it with: hub approve ${plan.pending_id}\n`))
      return
    }

    let line: ElapsedLine | undefined
    if (!this.jsonMode && !plan.record) {
      process.stderr.write(
        s.dim(`queued ${plan.pending_id}; waiting for an operator (hub approve ${plan.pending_id})…\n`),
      )
      line = new ElapsedLine('waiting for an operator', (t) => s.dim(t))
    }

    let result
    try {
      result = plan.record
        ? {status: undefined, record: plan.record}
        : await client.waitForResult(plan.pending_id, {
            ...(this.flags['wait-timeout'] === undefined ? {} : {timeoutSeconds: this.flags['wait-timeout']}),
            onState: (st) => {
              if (!this.jsonMode && st.state === 'running')
                line?.say(s.dim(`approved; running as ${st.run_id ?? '?'}…`), 'running')
            },
          })
    } finally {
      line?.stop()
    }

    if (this.jsonMode) this.printJson({plan, ...result})
    if (result.record) {
      if (!this.jsonMode) this.printRecord(result.record)
      if (result.record.exit_code !== 0) this.exit(result.record.exit_code ?? EXIT.failure)
      return
    }

    const st = result.status
    if (!this.jsonMode && st) {
      const why = st.reason ? `: ${this.safe(st.reason)}` : ''
      process.stderr.write(`${s.red(st.state)} ${st.pending_id}${why}\n`)
    }

    if (st?.state === 'pending' || st?.state === 'running') {
      if (!this.jsonMode) process.stderr.write(s.dim('Gave up waiting; the request is still there.\n'))
      this.exit(EXIT.gaveUp)
    }

    this.exit(st?.state === 'expired' ? EXIT.conflict : EXIT.denied)
  }

  private printRecord(record: RunRecord): void {
    if (record.stdout) process.stdout.write(this.safe(record.stdout, true))
    if (record.stderr) process.stderr.write(this.safe(record.stderr, true))
    if (record.stdout_truncated || record.stderr_truncated) {
      process.stderr.write(
        this.style.dim(
          `(output cut: ${record.stdout_bytes} bytes of stdout, ${record.stderr_bytes} of stderr were written; ` +
            `see hub runs show ${record.run_id})\n`,
        ),
      )
    }

    if (record.timed_out)
      process.stderr.write(this.style.red(`timed out after ${formatDuration(record.duration_ms)}\n`))
  }
}
