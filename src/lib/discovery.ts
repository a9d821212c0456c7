/**
 * How a client finds the daemon and its token without the user typing either (SPEC §7.2).
 *
 * A token goes only where the user pointed (`--base`, `AGENT_HUB_BASE`) or where the running daemon
 * said it is, in its own daemon.json: the Unix socket when it has one, else its TCP address. With
 * neither, nothing is sent: a port the daemon has left can be taken by anyone on the machine (issue 9).
 */
import {lstat, readFile, stat} from 'node:fs/promises'
import {join} from 'node:path'

import type {HubConfig} from './config.js'
import type {DaemonInfo} from './records.js'

import {HubClient} from './client.js'
import {HubError} from './errors.js'
import {liveEntries, registryDir} from './registry.js'
import {findToken, type Role} from './tokens.js'

export interface DaemonEndpoint {
  /** The URL requests are made against (`http://localhost` over the socket). */
  base: string
  socketPath?: string | undefined
}

export async function discoverEndpoint(config: HubConfig, explicit?: string): Promise<DaemonEndpoint> {
  if (explicit) return {base: explicit}
  if (config.baseExplicit) return {base: config.base}
  const info = await readDaemonInfo(config.runtimeDir)
  if (info?.socket) {
    const s = await lstat(info.socket).catch(() => undefined)
    if (s?.isSocket()) return {base: 'http://localhost', socketPath: info.socket}
    throw noDaemon(config, `its socket ${info.socket} is gone (the daemon stopped without cleaning up)`)
  }

  if (info?.base) return {base: info.base}
  throw noDaemon(config, `there is no ${config.runtimeDir}/daemon.json`)
}

/**
 * The running daemon's daemon.json; undefined when absent or unreadable. Read here rather than
 * through RuntimeStore, whose module graph (ids, atomic writes) a one-shot command does not need.
 */
async function readDaemonInfo(runtimeDir: string): Promise<DaemonInfo | undefined> {
  try {
    return JSON.parse(await readFile(join(runtimeDir, 'daemon.json'), 'utf8')) as DaemonInfo
  } catch {
    return undefined
  }
}

function noDaemon(config: HubConfig, why: string): HubError {
  const registry = config.runtimeExplicit ? '' : `, and none is registered in ${registryDir()}`
  return new HubError(
    'daemon_unreachable',
    `No running hub daemon found for ${config.runtimeDir}: ${why}${registry}.`,
    {
      hint:
        'Start one with `hub serve`, point --root / AGENT_HUB_ROOT (or --runtime-dir) at its runtime, ' +
        'or give its address with --base / AGENT_HUB_BASE.',
    },
  )
}

/** What a command needs from the runtime: its daemon (to call), or only its files (to read). */
export type RuntimeUse = 'daemon' | 'files'

async function statOrCode(path: string): Promise<Awaited<ReturnType<typeof stat>> | string> {
  try {
    return await stat(path)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'EIO'
  }
}

/**
 * A root or runtime directory that cannot be used says so plainly (a file given as --root, a
 * runtime this user may not enter), instead of a raw ENOTDIR or an empty answer.
 */
async function checkUsable(config: HubConfig): Promise<void> {
  const root = await statOrCode(config.root)
  if (typeof root !== 'string' && !root.isDirectory())
    throw new HubError('config_invalid', `The root ${config.root} is a file, not a directory.`, {
      hint: 'Give --root (or AGENT_HUB_ROOT) the directory that holds runtime/ and workspace/.',
    })
  if (root === 'ENOTDIR')
    throw new HubError('config_invalid', `The root ${config.root} lies under a file, not a directory.`, {
      hint: 'Give --root (or AGENT_HUB_ROOT) the directory that holds runtime/ and workspace/.',
    })
  const runtime = await statOrCode(config.runtimeDir)
  if (runtime === 'ENOTDIR' || (typeof runtime !== 'string' && !runtime.isDirectory()))
    throw new HubError('config_invalid', `The runtime directory ${config.runtimeDir} is not a directory.`, {
      hint: 'Point --runtime-dir (or AGENT_HUB_RUNTIME_DIR) at the directory `hub serve` created.',
    })
  if (runtime === 'EACCES' || runtime === 'EPERM')
    throw new HubError('config_invalid', `This user may not read the runtime directory ${config.runtimeDir}.`, {
      hint: "Run hub as the user that runs the daemon (the runtime is private to it), or use that user's runtime.",
    })
}

async function hasDaemonFile(runtimeDir: string): Promise<boolean> {
  return (await statOrCode(join(runtimeDir, 'daemon.json'))) instanceof Object
}

/**
 * Which runtime a client command works on: the one named (--root, --runtime-dir, AGENT_HUB_ROOT …)
 * first; then the current directory's when its daemon runs (or, to read files, when it exists);
 * then this user's registry: one live daemon is used, several are an error that lists them.
 * `reconfigure` builds the configuration of a registered root with the command's own overrides.
 */
export async function locateRuntime(
  config: HubConfig,
  use: RuntimeUse,
  reconfigure: (root: string, runtimeDir: string) => HubConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{config: HubConfig; settled: boolean}> {
  await checkUsable(config)
  const settled = {config, settled: true}
  if (config.runtimeExplicit || (use === 'daemon' && config.baseExplicit)) return settled
  if (await hasDaemonFile(config.runtimeDir)) return settled
  if (use === 'files' && (await statOrCode(config.runtimeDir)) instanceof Object) return settled
  const scan = await liveEntries(env)
  if (scan.live.length === 1) return {config: reconfigure(scan.live[0]!.root, scan.live[0]!.runtime_dir), settled: true}
  if (scan.live.length > 1) {
    const pick = (e: {root: string; runtime_dir: string}): string =>
      e.runtime_dir === join(e.root, 'runtime') ? `--root ${e.root}` : `--runtime-dir ${e.runtime_dir}`
    throw new HubError(
      'usage',
      `${scan.live.length} hub daemons are running for this user and none for ${config.root}; say which one.`,
      {
        details: {choices: scan.live.map((e) => `${pick(e)}   (pid ${e.pid}, since ${e.started_at})`)},
        hint: 'Add one of these to the command (or set AGENT_HUB_ROOT), or run it in that directory.',
      },
    )
  }

  // Nothing found yet: a caller that waits for a daemon to start (`hub health --wait`) looks again.
  return {config, settled: false}
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
