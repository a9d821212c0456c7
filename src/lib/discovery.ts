import type {HubConfig} from './config.js'

/**
 * How a client finds the daemon and its token without the user typing either (SPEC §7.2).
 */
import {HubClient} from './client.js'
import {RuntimeStore} from './store.js'
import {findToken, type Role} from './tokens.js'

export async function discoverBase(config: HubConfig, explicit?: string): Promise<string> {
  if (explicit) return explicit
  if (config.baseExplicit) return config.base
  const info = await new RuntimeStore(config.runtimeDir).readDaemonInfo()
  if (info?.base) return info.base
  return config.base
}

/**
 * `operator` and `agent` pick that role's token; `any` prefers the operator token when this user can
 * read it (an operator at the terminal), else the agent token.
 */
export async function discoverToken(config: HubConfig, role: 'any' | Role): Promise<string | undefined> {
  if (role === 'agent') return findToken(config.runtimeDir, 'agent', config.agentToken)
  if (role === 'operator') return findToken(config.runtimeDir, 'operator', config.operatorToken)
  return (
    (await findToken(config.runtimeDir, 'operator', config.operatorToken)) ??
    findToken(config.runtimeDir, 'agent', config.agentToken)
  )
}

export async function discoverClient(
  config: HubConfig,
  role: 'any' | Role,
  opts: {base?: string | undefined} = {},
): Promise<HubClient> {
  const [base, token] = await Promise.all([discoverBase(config, opts.base), discoverToken(config, role)])
  return new HubClient({base, token})
}
