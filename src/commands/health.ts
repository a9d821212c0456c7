import {Flags} from '@oclif/core'

import type {HealthResponse, HubClient} from '../lib/client.js'

import {BaseCommand, exitCodesHelp} from '../base-command.js'
import {EXIT, HubError, isHubError} from '../lib/errors.js'
import {formatSeconds} from '../lib/text/duration.js'

export default class Health extends BaseCommand<typeof Health> {
  static override description =
    "Asks the daemon's /health (the daemon of the current directory, else the one registered by this user). " +
    'Prints the status, uptime, memory and counts; when it is degraded or unhealthy, every reason, one a line. ' +
    'Degraded still works (exit 0) and says what a person should look at; only unhealthy fails the check.\n\n' +
    exitCodesHelp(['7 unhealthy (the reasons are printed)'])
  static override examples = [
    '<%= config.bin %> health',
    '<%= config.bin %> health --wait 30   # in CI, after starting the daemon',
    '<%= config.bin %> health --json',
  ]
  static override flags = {
    wait: Flags.integer({
      description: 'Keep trying for up to this many seconds until the daemon answers healthy.',
      min: 0,
      default: 0,
    }),
    base: Flags.string({description: 'Daemon URL [env: AGENT_HUB_BASE].'}),
  }
  static override summary = 'Check the daemon: exit 0 when healthy, 3 when unreachable, 7 when unhealthy.'

  public async run(): Promise<void> {
    const deadline = Date.now() + this.flags.wait * 1000
    let health: HealthResponse | undefined
    let address = '?'
    for (;;) {
      let client: HubClient | undefined
      try {
        // Found again on every attempt: a daemon that is starting writes daemon.json only once it listens.
        client = await this.client('any', {base: this.flags.base})
        address = client.address
        health = await client.health()
        if (health.status !== 'unhealthy' || Date.now() >= deadline) break
      } catch (error) {
        if (!isHubError(error) || error.code !== 'daemon_unreachable' || Date.now() >= deadline) throw error
      } finally {
        await client?.close()
      }

      await new Promise((r) => {
        setTimeout(r, 250)
      })
    }

    if (this.jsonMode) {
      this.printJson(health)
      if (health.status === 'unhealthy') this.exit(EXIT.unhealthy)
      return
    }

    {
      const s = this.style
      const h = health
      const mark =
        h.status === 'healthy' ? s.green(h.status) : h.status === 'degraded' ? s.yellow(h.status) : s.red(h.status)
      process.stdout.write(
        `${mark}  up ${formatSeconds(h.uptime_seconds)}  memory ${h.memory_mb} MB  ` +
          `pending ${h.pending_count}  runs ${h.runs_count}  ${s.dim(`v${String(h.version ?? '?')}`)}\n`,
      )
    }

    // Degraded works, with a warning a person should read; only unhealthy fails the check.
    const reasons = Array.isArray(health.reasons) ? (health.reasons as unknown[]).map(String) : []
    for (const why of reasons) process.stdout.write(`  - ${this.safe(why)}\n`)
    if (health.status === 'unhealthy')
      throw new HubError(
        'unhealthy',
        `The daemon at ${address} reports unhealthy${reasons.length > 0 ? `: ${reasons.join(' ')}` : '.'}`,
        {hint: 'Look at the daemon’s log; the reasons above say what it cannot do.'},
      )
  }
}
