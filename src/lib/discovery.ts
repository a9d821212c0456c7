/**
 * How a client finds the daemon and its token without the user typing either (SPEC §7.2).
 *
 * A token goes only where the user pointed (`--base`, `AGENT_HUB_BASE`) or where the running daemon
 * said it is, in its own daemon.json: the Unix socket when it has one, else its TCP address. With
 * neither, nothing is sent: a port the daemon has left can be taken by anyone on the machine (issue 9).
 */
import {lstat} from 'node:fs/promises'

import type {HubConfig} from './config.js'

import {HubClient} from './client.js'
import {HubError} from './errors.js'
import {RuntimeStore} from './store.js'
import {findToken, type Role} from './tokens.js'

export interface DaemonEndpoint {
  /** The URL requests are made against (`http://localhost` over the socket). */
  base: string
  socketPath?: string | undefined
}

export async function discoverEndpoint(config: HubConfig, explicit?: string): Promise<DaemonEndpoint> {
  if (explicit) return {base: explicit}
  if (config.baseExplicit) return {base: config.base}
  const info = await new RuntimeStore(config.runtimeDir).readDaemonInfo()
  if (info?.socket) {
    const s = await lstat(info.socket).catch(() => undefined)
    if (s?.isSocket()) return {base: 'http://localhost', socketPath: info.socket}
    throw noDaemon(config, `its socket ${info.socket} is gone (the daemon stopped without cleaning up)`)
  }

  if (info?.base) return {base: info.base}
  throw noDaemon(config, `there is no ${config.runtimeDir}/daemon.json`)
}

function noDaemon(config: HubConfig, why: string): HubError {
  return new HubError('daemon_unreachable', `No running hub daemon found for ${config.runtimeDir}: ${why}.`, {
    hint: 'Start one with `hub serve`, point --runtime-dir / AGENT_HUB_ROOT at its runtime, or give its address with --base / AGENT_HUB_BASE.',
  })
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
  const [endpoint, token] = await Promise.all([discoverEndpoint(config, opts.base), discoverToken(config, role)])
  return new HubClient({...endpoint, token})
}
