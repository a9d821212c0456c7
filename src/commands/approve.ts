import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {formatMs} from '../lib/terminal.js'

export default class Approve extends BaseCommand<typeof Approve> {
  static override args = {
    id: Args.string({description: 'The pending id (from hub pending).', required: true}),
  }
  static override description =
    'Shows the request, runs it, then prints the exit code, duration and output. The exit code of hub approve is 0 when the approval went through, whatever the command returned (see the record).'
  static override examples = [
    '<%= config.bin %> approve 20250115_143100_a1b2c3d4',
    '<%= config.bin %> approve 20250115_143100_a1b2c3d4 --note "looks fine" --no-wait',
  ]
  static override flags = {
    note: Flags.string({description: 'Why you approved it (kept in the audit log).'}),
    wait: Flags.boolean({description: 'Wait for the run and print its output.', default: true, allowNo: true}),
    base: Flags.string({description: 'Daemon URL [env: AGENT_HUB_BASE].'}),
  }
  static override summary = 'Approve a waiting request and run it (operator token).'

  public async run(): Promise<void> {
    const client = await this.client('operator', {base: this.flags.base})
    const s = this.style
    const note = this.flags.note === undefined ? {} : {note: this.flags.note}
    if (!this.flags.wait) {
      const accepted = await client.approveNoWait(this.args.id, note)
      if (this.jsonMode) return this.printJson(accepted)
      process.stdout.write(
        `${s.green('approved')} ${accepted.pending_id} → run ${accepted.run_id} (running; see hub runs show ${accepted.run_id})\n`,
      )
      return
    }

    let spinner: NodeJS.Timeout | undefined
    if (!this.jsonMode && process.stderr.isTTY) {
      const req = await client.getPending(this.args.id).catch(() => undefined)
      if (req) process.stderr.write(s.dim(`running: ${this.safe(req.command)}\n`))
      const started = Date.now()
      spinner = setInterval(
        () => process.stderr.write(`\r${s.dim(`… ${Math.round((Date.now() - started) / 1000)}s`)}`),
        1000,
      )
    }

    try {
      const record = await client.approve(this.args.id, note)
      if (spinner) process.stderr.write('\r\u001B[K')
      if (this.jsonMode) return this.printJson(record)
      // A request whose agent runs the command itself (hooks): the answer is an approval, not a record.
      const answer = record as typeof record & {executor?: string; state?: string}
      if (answer.executor === 'agent') {
        process.stdout.write(`${s.green('approved')} ${this.args.id}; the agent runs it itself and reports back.\n`)
        return
      }

      const ok = record.exit_code === 0
      const status = record.timed_out
        ? s.red(`timed out (exit ${record.exit_code})`)
        : ok
          ? s.green('exit 0')
          : s.red(`exit ${record.exit_code}`)
      process.stdout.write(`${s.bold(record.run_id)}  ${status}  ${formatMs(record.duration_ms)}\n`)
      if (record.stdout)
        process.stdout.write(this.safe(record.stdout, true) + (record.stdout.endsWith('\n') ? '' : '\n'))
      if (record.stderr)
        process.stdout.write(s.yellow(this.safe(record.stderr, true)) + (record.stderr.endsWith('\n') ? '' : '\n'))
      if (record.stdout_truncated || record.stderr_truncated)
        process.stdout.write(
          s.dim(
            `(output cut at the limit: ${record.stdout_bytes} bytes stdout, ${record.stderr_bytes} bytes stderr written)\n`,
          ),
        )
    } finally {
      if (spinner) clearInterval(spinner)
    }
  }
}
