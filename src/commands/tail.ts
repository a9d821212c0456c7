import {Flags} from '@oclif/core'

import type {HubClient, HubEvent} from '../lib/client.js'

import {BaseCommand} from '../base-command.js'
import {eventTypeOf, formatEventLine} from '../lib/audit/event-format.js'
import {isHubError} from '../lib/errors.js'

export default class Tail extends BaseCommand<typeof Tail> {
  static override description = `Follows the daemon's /events stream and reconnects by itself, resuming with Last-Event-ID so that
no event is missed. With --file, follows runtime/audit.log directly (no daemon needed). Ctrl-C exits 0.`
  static override examples = [
    '<%= config.bin %> tail',
    '<%= config.bin %> tail --json | jq .type',
    '<%= config.bin %> tail --file',
  ]
  static override flags = {
    file: Flags.boolean({description: 'Follow audit.log instead of the daemon.'}),
    since: Flags.integer({
      description: 'Replay events after this seq first (the daemon keeps them all in audit.log).',
      min: 0,
    }),
    base: Flags.string({description: 'Daemon URL [env: AGENT_HUB_BASE].'}),
  }
  static override summary = 'Follow events live: one line per event (or one JSON object per line with --json).'

  public async run(): Promise<void> {
    const abort = new AbortController()
    const stop = (): void => abort.abort()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    try {
      await (this.flags.file ? this.followFile(abort.signal) : this.followDaemon(abort.signal))
    } finally {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
    }
  }

  private async followDaemon(signal: AbortSignal): Promise<void> {
    let last = this.flags.since
    let delay = 250
    let announced = false
    while (!signal.aborted) {
      let client: HubClient | undefined
      try {
        // Found again on every attempt: a restarted daemon may listen on another port (daemon.json).
        client = await this.client('any', {base: this.flags.base})
        for await (const ev of client.events({...(last === undefined ? {} : {lastEventId: last}), signal})) {
          if (ev.id !== undefined) last = ev.id
          delay = 250
          this.print(ev)
        }
      } catch (error) {
        if (signal.aborted) break
        // Unreachable or dropped: say so once, then keep trying; anything else (bad token) is final.
        if (!isHubError(error) || error.code !== 'daemon_unreachable') throw error
        if (!announced && !this.jsonMode)
          process.stderr.write(this.style.dim(`${this.safe(error.message)} Retrying…\n`))
        announced = true
      } finally {
        await client?.close().catch(() => {})
      }

      if (signal.aborted) break
      await new Promise((r) => {
        setTimeout(r, delay)
      })
      delay = Math.min(delay * 2, 5000)
    }
  }

  private async followFile(signal: AbortSignal): Promise<void> {
    const {followAuditFile} = await import('../lib/audit/follow.js')
    const {runtimePaths} = await import('../lib/store.js')
    const path = runtimePaths(this.hubConfig.runtimeDir).audit
    await followAuditFile(path, {fromEnd: this.flags.since === undefined, signal}, (entry) => {
      if (this.flags.since !== undefined && typeof entry.seq === 'number' && entry.seq <= this.flags.since) return
      const type = eventTypeOf(String(entry.event))
      this.print({
        id: typeof entry.seq === 'number' ? entry.seq : undefined,
        type,
        data: entry as Record<string, unknown>,
      })
    })
  }

  private print(ev: HubEvent): void {
    if (this.jsonMode) process.stdout.write(JSON.stringify({id: ev.id, ...ev.data, type: ev.type}) + '\n')
    else process.stdout.write(formatEventLine(ev.type, ev.data, this.style) + '\n')
  }
}
