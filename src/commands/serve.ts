import {Flags} from '@oclif/core'
import {constants as osConstants} from 'node:os'

import type {ConfigOverrides} from '../lib/config.js'

import {BaseCommand, exitCodesHelp, policyFlags, storeFlags} from '../base-command.js'

export default class Serve extends BaseCommand<typeof Serve> {
  static override description =
    'Listens on AGENT_HUB_HOST:AGENT_HUB_PORT (127.0.0.1:8787). Logs go to standard output as\n' +
    `"YYYY-MM-DD HH:MM:SS | LEVEL | module | message". SIGINT, SIGTERM or SIGHUP stops it gracefully: no new
requests, running commands get a grace period, then are recorded as interrupted; a second signal stops them at
once.`
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
    ...storeFlags,
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
      store: this.flags.store,
    }
  }

  public async run(): Promise<void> {
    // First, before anything is spawned: no descriptor this process inherited may reach a run.
    const {closeInheritedDescriptors} = await import('../lib/sandbox/descriptors.js')
    const descriptors = closeInheritedDescriptors()
    const config = this.hubConfig
    // Read once into the configuration; nothing later finds them in process.env. (The kernel's copy
    // in /proc/<pid>/environ stays: only the daemon's user can read it, and no contained run sees it.)
    delete process.env.AGENT_HUB_TOKEN
    delete process.env.AGENT_HUB_OPERATOR_TOKEN
    // The store URL can carry the database password.
    delete process.env.AGENT_HUB_STORE
    const {createLogger} = await import('../lib/logger.js')
    const log = createLogger({level: config.logLevel, module: 'hub'})
    if (descriptors.closed.length > 0)
      log.info(`Closed inherited descriptor(s) ${descriptors.closed.join(', ')}: runs must not get them.`)
    if (descriptors.kept.length > 0)
      log.warn(`Descriptor ${descriptors.kept.join(', ')} is Node's IPC channel to the parent; runs may inherit it.`)
    const {installFatalExitCleanup} = await import('../daemon/fatal-exit.js')
    installFatalExitCleanup(log)
    const {startDaemon} = await import('../daemon/server.js')
    const daemon = await startDaemon(config, log)
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
    await new Promise<void>((resolve) => {
      let stopping = false
      const stop = (signal: NodeJS.Signals): void => {
        if (stopping) {
          // A second signal: the operator does not want to wait. Nothing started may stay behind.
          log.warn(`${signal} again: stopping every run now.`)
          // eslint-disable-next-line n/no-process-exit, unicorn/no-process-exit -- the exit handler kills the runs
          process.exit(128 + (osConstants.signals[signal] ?? 15))
        }

        stopping = true
        daemon.close(this.flags['grace-seconds'] * 1000).then(resolve, (error: Error) => {
          log.error(`Shutdown failed: ${error.message}`)
          resolve()
        })
      }

      for (const s of signals) process.on(s, stop)
    })
  }

  // The exit codes for --help (exitCodesHelp, base-command.ts), under the description.
  static {
    this.description = [
      this.description,
      '',
      exitCodesHelp(
        [
          '0 stopped cleanly (SIGTERM, SIGINT or SIGHUP)',
          '1 could not start (the port is taken …) or failed fatally',
          '2 configuration error (a bad flag, an invalid policy file, a path that cannot be used)',
          '129 to 143: a second signal stopped it at once (128 + the signal number)',
        ],
        {daemon: false},
      ),
    ].join('\n')
  }
}
