import {Args, Flags} from '@oclif/core'

import type {RunRecord} from '../lib/records.js'

import {BaseCommand} from '../base-command.js'
import {EXIT} from '../lib/errors.js'

export default class Plan extends BaseCommand<typeof Plan> {
  static override args = {
    command: Args.string({description: 'The shell command, quoted as one argument.', required: true}),
  }
  static override description = `Uses the agent token (AGENT_HUB_TOKEN or the token file). With --wait, waits for the decision and
the run, prints the command's output, and exits with the command's own exit code (8 when refused or
denied, 5 when it expired, 10 when --wait-timeout gave up).`
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
      process.stdout.write(
        `${s.yellow('queued')} ${plan.pending_id}  ${s.dim(`policy: ${plan.decision}${plan.policy.rule ? ` (${this.safe(plan.policy.rule)})` : ''}`)}\n`,
      )
      process.stdout.write(s.dim(`An operator approves it with: hub approve ${plan.pending_id}\n`))
      return
    }

    if (!this.jsonMode && !plan.record) {
      process.stderr.write(
        s.dim(`queued ${plan.pending_id}; waiting for an operator (hub approve ${plan.pending_id})…\n`),
      )
    }

    const result = plan.record
      ? {status: undefined, record: plan.record}
      : await client.waitForResult(plan.pending_id, {
          ...(this.flags['wait-timeout'] === undefined ? {} : {timeoutSeconds: this.flags['wait-timeout']}),
          onState: (st) => {
            if (!this.jsonMode && st.state === 'running')
              process.stderr.write(s.dim(`approved; running as ${st.run_id ?? '?'}…\n`))
          },
        })
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
          `(output cut: ${record.stdout_bytes} bytes of stdout, ${record.stderr_bytes} of stderr were written; see hub runs show ${record.run_id})\n`,
        ),
      )
    }

    if (record.timed_out) process.stderr.write(this.style.red(`timed out after ${record.duration_ms} ms\n`))
  }
}
