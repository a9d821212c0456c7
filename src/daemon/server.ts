import type {AddressInfo} from 'node:net'

import {serve, type ServerType} from '@hono/node-server'
/**
 * Starting and stopping the daemon: checks the layout, loads the policy and the tokens, repairs the
 * audit log, recovers from a crash, binds, and writes daemon.json; `close()` undoes it in order.
 */
import {mkdir, realpath} from 'node:fs/promises'

import type {HubConfig} from '../lib/config.js'
import type {Logger} from '../lib/logger.js'
import type {RuleMatch} from '../lib/policy/types.js'

import {AuditLog} from '../lib/audit-log.js'
import {HubError} from '../lib/errors.js'
import {Gateway, isInside} from '../lib/gateway.js'
import {replayAuditLog, writeCheckpoint} from '../lib/recovery.js'
import {detectSandbox} from '../lib/sandbox/index.js'
import {RuntimeStore} from '../lib/store.js'
import {ensureTokens, fingerprint, rotateTokenFile, tokenPath, type Tokens} from '../lib/tokens.js'
import {hubVersion} from '../lib/version.js'
import {createApp} from './app.js'
import {createConsole} from './console/index.js'
import {EventBuffer} from './event-stream.js'

export interface RunningDaemon {
  base: string
  close(graceMs?: number): Promise<void>
  gateway: Gateway
  host: string
  port: number
  store: RuntimeStore
  tokens: Tokens
}

const EXPIRY_SWEEP_MS = 5000

/** Start-up refuses a layout where commands could reach hub's own files (SPEC §6.3). */
async function checkLayout(config: HubConfig): Promise<{runtimeDir: string; workspace: string}> {
  await mkdir(config.workspaceDir, {recursive: true})
  await mkdir(config.runtimeDir, {recursive: true, mode: 0o700})
  const workspace = await realpath(config.workspaceDir)
  const runtimeDir = await realpath(config.runtimeDir)
  if (isInside(workspace, runtimeDir)) {
    throw new HubError(
      'config_invalid',
      `The runtime directory ${runtimeDir} lies inside the workspace ${workspace}; commands could read the tokens.`,
      {
        hint: 'Set AGENT_HUB_RUNTIME_DIR or AGENT_HUB_WORKSPACE_DIR so that they do not nest.',
      },
    )
  }

  if (isInside(runtimeDir, workspace)) {
    throw new HubError(
      'config_invalid',
      `The workspace ${workspace} lies inside the runtime directory ${runtimeDir}.`,
      {hint: 'Choose separate directories.'},
    )
  }

  if (config.policyFile) {
    const policy = await realpath(config.policyFile)
    if (isInside(workspace, policy)) {
      throw new HubError(
        'config_invalid',
        `The policy file ${policy} lies inside the workspace ${workspace}; a command could rewrite its own rules.`,
        {
          hint: 'Move the policy file out of the workspace.',
        },
      )
    }
  }

  return {workspace, runtimeDir}
}

function listen(
  app: {fetch: (req: Request) => Promise<Response> | Response},
  host: string,
  port: number,
): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({fetch: app.fetch, hostname: host, port}, () => resolve(server))
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new HubError(
            'config_invalid',
            `Port ${port} on ${host} is already in use (is another hub daemon running?).`,
            {
              hint: 'Stop the other process, or set AGENT_HUB_PORT / --port to a free port.',
            },
          ),
        )
      } else reject(err)
    })
  })
}

export interface OpenHub {
  app: ReturnType<typeof createApp>
  audit: AuditLog
  /** Where browsers reach the daemon, once it listens (the console's login links). */
  base?: string
  /** Stops runs (after the grace period), ends event streams, closes the audit log. */
  close(graceMs?: number): Promise<void>
  config: HubConfig
  events: EventBuffer
  gateway: Gateway
  runtimeDir: string
  store: RuntimeStore
  tokens: Tokens
  workspace: string
}

/**
 * Everything the daemon is, short of a socket: tests call `app.request()` on the result, and
 * `startDaemon` binds it.
 */
export async function openHub(config: HubConfig, log: Logger): Promise<OpenHub> {
  const mainLog = log.child('hub.daemon')
  const {workspace, runtimeDir} = await checkLayout(config)
  const store = new RuntimeStore(runtimeDir)
  const {strayTemps} = await store.init()
  if (strayTemps > 0) mainLog.warn(`Removed ${strayTemps} temporary file(s) left by an earlier crash.`)

  const {loadPolicy} = await import('../lib/policy/index.js')
  const policyLog = log.child('hub.policy')
  const policy = await loadPolicy({
    file: config.policyFile,
    strict: config.strict,
    onMatch: policyLog.enabled('DEBUG')
      ? (m: RuleMatch, command: string) =>
          policyLog.debug(`match ${m.rule} (${m.decision}) on ${JSON.stringify(m.command ?? command)}: ${m.reason}`)
      : undefined,
  })

  const hub: OpenHub = {} as OpenHub
  hub.tokens = await ensureTokens(runtimeDir, {agent: config.agentToken, operator: config.operatorToken}, mainLog)
  const audit = await AuditLog.open(store.paths.audit, mainLog)
  const sandbox = await detectSandbox(config)
  if (sandbox.kind === 'none') {
    mainLog.warn(
      `Runs are NOT contained: ${sandbox.reason ?? 'no sandbox'}. Approved commands run as ${process.env.USER ?? 'this user'}, with this user's files.`,
    )
  }
  const gateway = new Gateway({
    sandbox,
    config,
    store,
    audit,
    policy,
    log: log.child('hub.gateway'),
    workspace,
    runtimeDir,
  })
  await replayAuditLog(store, audit.lastSeq, mainLog)
  const recovered = await gateway.recover()
  if (recovered.interrupted > 0) mainLog.warn(`Recovered ${recovered.interrupted} interrupted run(s).`)
  const expired = await gateway.expireDue()
  if (expired > 0) mainLog.info(`Expired ${expired} request(s) that passed their time while the daemon was down.`)

  const events = new EventBuffer(gateway, store.paths.audit)
  const hubConsole = createConsole({
    auditPath: store.paths.audit,
    auditSeq: () => audit.lastSeq,
    auditSize: () => audit.size,
    base: () => hub.base,
    config,
    events,
    gateway,
    log: log.child('hub.console'),
    runtimeDir,
    store,
    tokens: () => hub.tokens,
    version: hubVersion(),
  })
  const app = createApp({
    console: hubConsole,
    config,
    gateway,
    store,
    events,
    log: log.child('hub.http'),
    version: hubVersion(),
    tokens: () => hub.tokens,
    auditSize: () => audit.size,
    auditSeq: () => audit.lastSeq,
    auditFailure: () => audit.writeFailure,
    async rotateToken(role, actor) {
      const fromEnv = role === 'agent' ? config.agentToken : config.operatorToken
      if (fromEnv) {
        throw new HubError(
          'conflict',
          `The ${role} token comes from ${role === 'agent' ? 'AGENT_HUB_TOKEN' : 'AGENT_HUB_OPERATOR_TOKEN'}; change it there and restart the daemon.`,
        )
      }

      const old = hub.tokens[role]
      const token = await rotateTokenFile(runtimeDir, role)
      // From this moment the old token is refused: every request reads hub.tokens.
      hub.tokens = {...hub.tokens, [role]: token}
      await audit.append({event: 'token_rotated', role, old: fingerprint(old), new: fingerprint(token), actor})
      mainLog.info(`Rotated the ${role} token (${fingerprint(old)} → ${fingerprint(token)}).`)
      return {role, fingerprint: fingerprint(token), file: tokenPath(runtimeDir, role)}
    },
  })
  let closing: Promise<void> | undefined
  Object.assign(hub, {
    app,
    config,
    gateway,
    store,
    audit,
    events,
    workspace,
    runtimeDir,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        events.closeAll()
        await gateway.close(graceMs)
        events.closeAll()
        await audit.close()
        await writeCheckpoint(store, audit.lastSeq).catch((error: Error) =>
          mainLog.warn(`Could not write the checkpoint: ${error.message}`),
        )
      })()
      return closing
    },
  })
  return hub
}

export async function startDaemon(config: HubConfig, log: Logger): Promise<RunningDaemon> {
  const mainLog = log.child('hub.daemon')
  mainLog.info(`hub ${hubVersion()} starting (pid ${process.pid})`)
  const hub = await openHub(config, log)
  const {store, gateway, runtimeDir, workspace} = hub

  const server = await listen(hub.app, config.host, config.port).catch(async (error: unknown) => {
    await hub.close(0)
    throw error
  })
  const address = server.address() as AddressInfo
  const {port} = address
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host
  const base = `http://${hostForUrl}:${port}`
  hub.base = base
  await store.writeDaemonInfo({
    pid: process.pid,
    host: config.host,
    port,
    started_at: new Date().toISOString(),
    version: hubVersion(),
    base,
  })

  const described = gateway.policy.describe()
  mainLog.info(`Runtime: ${runtimeDir}`)
  mainLog.info(`Workspace: ${workspace}`)
  mainLog.info(
    `Tokens: ${config.agentToken ? 'agent from AGENT_HUB_TOKEN' : tokenPath(runtimeDir, 'agent')}, ${config.operatorToken ? 'operator from AGENT_HUB_OPERATOR_TOKEN' : tokenPath(runtimeDir, 'operator')}`,
  )
  mainLog.info(
    `Policy: ${described.file ?? 'built-in packs only'} (${described.packs.join(', ')}; ${described.rules} rules${described.strict ? '; strict' : ''})`,
  )
  mainLog.info(`Token required: True`)
  mainLog.info(`Listening on ${base}`)

  const sweep = setInterval(
    () => {
      gateway.expireDue().catch((error: Error) => mainLog.error(`Expiry sweep failed: ${error.message}`))
    },
    Math.min(EXPIRY_SWEEP_MS, config.pendingTtlSeconds * 1000),
  )
  sweep.unref()

  let closing: Promise<void> | undefined
  const close = (graceMs = 10_000): Promise<void> => {
    closing ??= (async () => {
      mainLog.info('Shutting down: no new requests; waiting for running commands.')
      clearInterval(sweep)
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
      await hub.close(graceMs)
      if ('closeAllConnections' in server) server.closeAllConnections()
      await stopped
      await store.removeDaemonInfo()
      mainLog.info('Stopped.')
    })()
    return closing
  }

  return {
    host: config.host,
    port,
    base,
    gateway,
    store,
    get tokens() {
      return hub.tokens
    },
    close,
  }
}
