/**
 * Which store a daemon uses (SPEC §7.8): the runtime files by default, PostgreSQL when
 * AGENT_HUB_STORE (or --store) names one. Either way the runtime directory stays the daemon's own
 * (tokens, daemon.json, the operator socket), so both stores expose it as `files`.
 */
import type {HubConfig} from '../config.js'
import type {Logger} from '../logger.js'
import type {RuntimeStore} from '../store.js'
import type {HubHistory} from './history.js'
import type {HubStore} from './types.js'

export type LocalHubStore = HubStore & {readonly files: RuntimeStore}

export async function openStore(config: HubConfig, runtimeDir: string, log: Logger): Promise<LocalHubStore> {
  if (config.store) {
    const {PostgresHubStore} = await import('./postgres/store.js')
    const {describeUrl} = await import('./postgres/pool.js')
    const store = await PostgresHubStore.open({host: config.hostName, log, runtimeDir, url: config.store})
    log.info(`Store: PostgreSQL ${describeUrl(config.store)} (this host: ${config.hostName})`)
    return store
  }

  const {FileHubStore} = await import('./files.js')
  return FileHubStore.open(runtimeDir, log)
}

/**
 * The history that commands read without a daemon (`hub audit`, `hub runs`): the database when a
 * store is configured, else the runtime directory. The runtime directory is passed either way: it
 * holds this host's audit key, which verifies a database's chain too.
 */
export async function openHistory(config: HubConfig): Promise<HubHistory> {
  if (config.store) {
    const {PostgresHistory} = await import('./postgres/history.js')
    return PostgresHistory.open(config.store, config.runtimeDir)
  }

  const {FileHistory} = await import('./history.js')
  return new FileHistory(config.runtimeDir)
}
