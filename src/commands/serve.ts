import {Flags} from '@oclif/core'

import type {ConfigOverrides} from '../lib/config.js'

import {BaseCommand, policyFlags} from '../base-command.js'

export default class Serve extends BaseCommand<typeof Serve> {
  static override description = `Listens on AGENT_HUB_HOST:AGENT_HUB_PORT (127.0.0.1:8787). Logs go to standard output as
"YYYY-MM-DD HH:MM:SS | LEVEL | module | message". SIGINT or SIGTERM stops it gracefully: no new requests,
running commands get a grace period, then are recorded as interrupted.`
  static override examples = [
    '<%= config.bin %> serve',
    '<%= config.bin %> serve --port 9000 --workspace-dir ./ws',
    'AGENT_HUB_STRICT_MODE=1 <%= config.bin %> serve',
  ]
  static override flags = {
    host: Flags.string({description: 'Address to listen on [env: AGENT_HUB_HOST].'}),
    port: Flags.integer({description: 'Port to listen on; 0 picks a free one [env: AGENT_HUB_PORT].'}),
    'workspace-dir': Flags.string({description: 'The only tree commands may run in [env: AGENT_HUB_WORKSPACE_DIR].'}),
    ...policyFlags,
    'log-level': Flags.string({description: 'DEBUG, INFO, WARNING or ERROR [env: AGENT_HUB_LOG_LEVEL].'}),
    'grace-seconds': Flags.integer({
      description: 'On shutdown, how long running commands may finish.',
      default: 10,
      min: 0,
      max: 3600,
    }),
  }
  static override summary = 'Run the hub daemon (creates the runtime directory, tokens and workspace on first start).'

  protected override configOverrides(): ConfigOverrides {
    return {
      host: this.flags.host,
      port: this.flags.port,
      workspaceDir: this.flags['workspace-dir'],
      policyFile: this.flags.policy,
      strict: this.flags.strict,
      logLevel: this.flags['log-level'],
    }
  }

  public async run(): Promise<void> {
    const config = this.hubConfig
    const {createLogger} = await import('../lib/logger.js')
    const {startDaemon} = await import('../daemon/server.js')
    const log = createLogger({level: config.logLevel, module: 'hub'})
    const daemon = await startDaemon(config, log)
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
        daemon.close(this.flags['grace-seconds'] * 1000).then(resolve, (error: Error) => {
          log.error(`Shutdown failed: ${error.message}`)
          resolve()
        })
      }

      process.on('SIGINT', stop)
      process.on('SIGTERM', stop)
    })
  }
}
