/**
 * Which store a daemon uses (SPEC §7.8): the runtime files by default, PostgreSQL when
 * AGENT_HUB_STORE (or --store) names one. Either way the runtime directory stays the daemon's own
 * (tokens, daemon.json, the operator socket), so both stores expose it as `files`.
 */
import type {HubConfig} from '../config.js'
import type {Logger} from '../logger.js'
import type {RuntimeStore} from '../store.js'
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
