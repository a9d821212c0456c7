import {Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {clip, formatAge, formatIn, renderTable} from '../lib/terminal.js'

export default class Pending extends BaseCommand<typeof Pending> {
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
    base: Flags.string({description: 'Daemon URL [env: AGENT_HUB_BASE].'}),
  }
  static override summary = 'List requests waiting for an operator, newest first, with the policy verdict.'

  public async run(): Promise<void> {
    const client = await this.client('any', {base: this.flags.base})
    const list = await client.pending(this.flags.limit)
    if (this.jsonMode) return this.printJson(list)
    const s = this.style
    if (list.length === 0) {
      process.stdout.write(s.dim('No requests waiting.\n'))
      return
    }

    if (this.flags.full) {
      for (const r of list) {
        process.stdout.write(
          `${s.bold(r.pending_id)}  ${s.dim(`queued ${formatAge(new Date(r.queued_at))}, expires ${formatIn(new Date(r.expires_at))}`)}\n`,
        )
        process.stdout.write(`  command: ${this.safe(r.command)}\n`)
        if (r.note) process.stdout.write(`  note:    ${this.safe(r.note)}\n`)
        process.stdout.write(`  cwd:     ${this.safe(r.cwd)}   timeout: ${r.timeout_s}s\n`)
        if (r.host) process.stdout.write(`  host:    ${this.safe(r.host)} (runs there)\n`)
        process.stdout.write(
          `  policy:  ${r.policy.decision}${r.policy.rule ? ` (${this.safe(r.policy.rule)})` : ''} — ${this.safe(r.policy.reason)}\n`,
        )
        for (const c of r.policy.commands)
          process.stdout.write(
            s.dim(`    · ${this.safe(c.text)}${c.via.length > 0 ? ` (via ${this.safe(c.via.join(' → '))})` : ''}\n`),
          )
        process.stdout.write('\n')
      }

      return
    }

    // Team mode: where each runs, as a column once any runs on a host other than this one.
    const here = this.hubConfig.hostName
    const showHost = list.some((r) => r.host !== undefined && r.host !== here)
    const rows = list.map((r) => [
      r.pending_id,
      ...(showHost ? [clip(r.host ?? '', 20)] : []),
      formatAge(new Date(r.queued_at)),
      clip(r.command, 60),
      clip(r.note, 30),
      r.policy.rule ? `${r.policy.decision}: ${clip(r.policy.rule, 30)}` : r.policy.decision,
    ])
    process.stdout.write(
      renderTable({
        head: ['PendingId', ...(showHost ? ['Host'] : []), 'Queued', 'Command', 'Note', 'Policy'],
        rows,
        style: s,
      }) + '\n',
    )
    process.stdout.write(
      s.dim(
        `${list.length} waiting. Approve with \`hub approve <id>\`, deny with \`hub deny <id> --reason …\`; --full shows everything.\n`,
      ),
    )
  }
}
