import {Flags} from '@oclif/core'

import type {HubClient, HubEvent} from '../lib/client.js'

import {BaseCommand, exitCodesHelp} from '../base-command.js'
import {eventTypeOf, formatEventLine} from '../lib/audit/event-format.js'
import {displayZone, type Zone, zoneLabel} from '../lib/audit/time-range.js'
import {isHubError} from '../lib/errors.js'
import {formatDuration} from '../lib/text/duration.js'

export default class Tail extends BaseCommand<typeof Tail> {
  static override description =
    "Follows the daemon's /events stream and reconnects by itself, resuming with Last-Event-ID so that no " +
    'event is missed. With --file, follows runtime/audit.log directly (no daemon needed). Ctrl-C exits 0. ' +
    'On stderr it says where it connects ("connecting to <socket or URL>…", "connected to …", ' +
    '"reconnected to … after 4.2 s"), so stdout carries the events alone. Times are UTC, or local with ' +
    '--local or when TZ is set.\n\n' +
    exitCodesHelp()
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
    local: Flags.boolean({description: 'Show times in the local zone (the default when TZ is set).'}),
    base: Flags.string({description: 'Daemon URL [env: AGENT_HUB_BASE].'}),
  }
  static override summary = 'Follow events live: one line per event (or one JSON object per line with --json).'

  private get zone(): Zone {
    return displayZone(this.flags.local)
  }

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
    // When the connection was lost (or the first attempt failed): "reconnected after …" counts from here.
    let lostAt: number | undefined
    let failureShown = false
    let everConnected = false
    let connectingShown: string | undefined
    while (!signal.aborted) {
      let client: HubClient | undefined
      let opened = false
      try {
        // Found again on every attempt: a restarted daemon may listen on another port (daemon.json).
        client = await this.client('any', {base: this.flags.base})
        const address = this.safe(client.address)
        if (connectingShown !== address) this.note(`connecting to ${address}…`)
        connectingShown = address
        const onOpen = (): void => {
          opened = true
          this.note(
            !everConnected || lostAt === undefined
              ? `connected to ${address} (times in ${zoneLabel(this.zone)})`
              : `reconnected to ${address} after ${formatDuration(Date.now() - lostAt)}`,
          )
          everConnected = true
          lostAt = undefined
          failureShown = false
          delay = 250
        }

        for await (const ev of client.events({...(last === undefined ? {} : {lastEventId: last}), onOpen, signal})) {
          if (ev.id !== undefined) last = ev.id
          this.print(ev)
        }

        if (!signal.aborted) {
          lostAt ??= Date.now()
          this.note(`the daemon at ${address} closed the stream; reconnecting…`)
        }
      } catch (error) {
        if (signal.aborted) break
        // Unreachable or dropped: say so once, then keep trying; anything else (bad token) is final.
        if (!isHubError(error) || error.code !== 'daemon_unreachable') throw error
        lostAt ??= Date.now()
        if (opened) this.note(`lost the connection to ${this.safe(client?.address ?? '?')}; reconnecting…`)
        else if (!failureShown) this.note(`${this.safe(error.message)} Retrying until it answers…`)
        failureShown = true
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
    const path = runtimePaths((await this.runtime('files')).runtimeDir).audit
    const {existsSync} = await import('node:fs')
    // Otherwise a wrong directory looks exactly like a quiet daemon.
    this.note(
      existsSync(path)
        ? `following ${this.safe(path)} (times in ${zoneLabel(this.zone)})`
        : `no ${this.safe(path)} yet; waiting for a daemon to write it…`,
    )
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

  /** On stderr, so that stdout carries the events alone and pipes (`| jq`) are unaffected. */
  private note(text: string): void {
    process.stderr.write(this.style.dim(text) + '\n')
  }

  private print(ev: HubEvent): void {
    if (this.jsonMode) process.stdout.write(JSON.stringify({id: ev.id, ...ev.data, type: ev.type}) + '\n')
    else process.stdout.write(formatEventLine(ev.type, ev.data, this.style, this.zone) + '\n')
  }
}
