/**
 * Starting and stopping the daemon: checks the layout (layout.ts), opens the store (which repairs the
 * audit log and replays it after a crash), loads the policy and the tokens, recovers runs in flight,
 * binds (listen.ts), and writes daemon.json; `close()` undoes it in order.
 */
import type {AddressInfo} from 'node:net'

import {realpath} from 'node:fs/promises'

import type {HubConfig} from '../lib/config.js'
import type {Logger} from '../lib/logger.js'
import type {RuleMatch} from '../lib/policy/types.js'

import {HubError} from '../lib/errors.js'
import {Gateway} from '../lib/gateway.js'
import {recoverInterruptedRuns} from '../lib/recovery.js'
import {registerDaemon, unregisterDaemon} from '../lib/registry.js'
import {RequestViews} from '../lib/request-views.js'
import {detectSandbox, type SandboxStatus} from '../lib/sandbox/index.js'
import {type LocalHubStore, openHistory, openStore} from '../lib/stores/open.js'
import {startTelemetry} from '../lib/telemetry/index.js'
import {ensureTokens, rotateToken, tokenPath, type Tokens} from '../lib/tokens.js'
import {hubVersion} from '../lib/version.js'
import {createApp} from './app.js'
import {createConsole} from './console/index.js'
import {EventBuffer} from './event-stream.js'
import {checkLayout} from './layout.js'
import {CONNECTION_LIMITS, listen} from './listen.js'
import {listenOnSocket} from './operator-socket.js'
import {sandboxRemedy, uncontainedWarning} from './uncontained.js'

export interface RunningDaemon {
  base: string
  close(graceMs?: number): Promise<void>
  gateway: Gateway
  host: string
  port: number
  store: LocalHubStore
  tokens: Tokens
}

const EXPIRY_SWEEP_MS = 5000

async function startHostRuns(
  store: LocalHubStore,
  gateway: Gateway,
  workspace: string,
  log: Logger,
): Promise<() => void> {
  if (!store.shared) return () => {}
  const {PostgresHubStore} = await import('../lib/stores/postgres/store.js')
  if (!(store instanceof PostgresHubStore)) return () => {}
  const {startHostRunner} = await import('../lib/stores/postgres/host-runner.js')
  return startHostRunner(store, gateway, workspace, log)
}

export interface OpenHub {
  app: ReturnType<typeof createApp>
  /** Where browsers reach the daemon, once it listens (the console's login links). */
  base?: string
  /** Stops runs (after the grace period), ends event streams, closes the store. */
  close(graceMs?: number): Promise<void>
  config: HubConfig
  events: EventBuffer
  gateway: Gateway
  runtimeDir: string
  store: LocalHubStore
  tokens: Tokens
  views: RequestViews
  workspace: string
}

/**
 * Everything the daemon is, short of a socket: tests call `app.request()` on the result, and
 * `startDaemon` binds it.
 */
export async function openHub(config: HubConfig, log: Logger): Promise<OpenHub> {
  const mainLog = log.child('hub.daemon')
  const {workspace, runtimeDir} = await checkLayout(config)
  // A trial sandbox takes a few spawns: it runs while the store and the policy load.
  const detecting = detectSandbox(config, {workspace}).catch((error: Error): SandboxStatus => ({
    kind: 'none',
    reason: `the sandbox trial failed: ${error.message}`,
  }))
  const store = await openStore(config, runtimeDir, mainLog)

  // Evaluation runs on worker threads, so a hostile command can never hold the event loop (issue 10).
  const {createPolicyPool} = await import('../lib/policy/pool.js')
  const policyLog = log.child('hub.policy')
  const policy = await createPolicyPool({
    file: config.policyFile,
    strict: config.strict,
    onMatch: policyLog.enabled('DEBUG')
      ? (m: RuleMatch, command: string) =>
          policyLog.debug(`match ${m.rule} (${m.decision}) on ${JSON.stringify(m.command ?? command)}: ${m.reason}`)
      : undefined,
  })

  const hub: OpenHub = {} as OpenHub
  let sandbox: SandboxStatus
  try {
    hub.tokens = await ensureTokens(runtimeDir, {agent: config.agentToken, operator: config.operatorToken}, mainLog)
    sandbox = await detecting
    if (sandbox.kind === 'none' && config.strict && config.sandbox === 'bwrap') {
      throw new HubError('config_invalid', `Strict mode refuses to run commands uncontained: ${sandbox.reason}.`, {
        hint: `${sandboxRemedy()}, or leave strict mode.`,
      })
    }
  } catch (error) {
    await policy.close()
    await store.shutdown()
    throw error
  }

  if (sandbox.kind === 'none') {
    // Loud on purpose: every approved command can read the tokens and act as the operator.
    for (const line of uncontainedWarning(sandbox.reason, config.sandbox === 'none')) mainLog.warn(line)
  } else mainLog.info(`Runs are contained with bwrap ${sandbox.version ?? ''} (${sandbox.executable}).`)

  // Subscribed before recovery, so that the lines recovery writes are exported too.
  const telemetry = await startTelemetry(process.env, {
    host: config.hostName,
    log: log.child('hub.otel'),
    subscribe: (listener) => store.onEntry(listener),
    version: hubVersion(),
  }).catch(async (error: unknown) => {
    await policy.close()
    await store.shutdown()
    throw error
  })
  const gateway = new Gateway({
    config,
    host: config.hostName,
    log: log.child('hub.gateway'),
    policy,
    runtimeDir,
    sandbox,
    store,
    workspace,
  })
  const recovered = await recoverInterruptedRuns(store, mainLog)
  if (recovered.interrupted > 0) mainLog.warn(`Recovered ${recovered.interrupted} interrupted run(s).`)
  const expired = await gateway.expireDue()
  if (expired > 0) mainLog.info(`Expired ${expired} request(s) that passed their time while the daemon was down.`)
  // Team mode: runs approved on other hosts (or while this daemon was down) start here, after recovery.
  const stopHostRunner = await startHostRuns(store, gateway, workspace, mainLog)

  const events = new EventBuffer(gateway, (after, upTo) => store.auditSince(after, upTo))
  const views = new RequestViews(gateway)
  // The console reads the audit as `hub audit` does: from the team database in team mode.
  const history = await openHistory({...config, runtimeDir})
  const hubConsole = createConsole({
    history,
    base: () => hub.base,
    events,
    gateway,
    log: log.child('hub.console'),
    runtimeDir,
    tokens: () => hub.tokens,
    version: hubVersion(),
    views,
  })
  const app = createApp({
    config,
    console: hubConsole,
    session: (c) => hubConsole.authenticate(c),
    events,
    gateway,
    log: log.child('hub.http'),
    async rotateToken(role, actor) {
      const rotation = await rotateToken({
        actor,
        append: (fields) => store.append(fields),
        fromEnv: role === 'agent' ? config.agentToken : config.operatorToken,
        role,
        runtimeDir,
      })
      // From this moment the old token is refused (every request reads hub.tokens), and nothing it
      // opened stays open.
      hub.tokens = {...hub.tokens, [role]: rotation.token}
      const closed = rotation.old ? events.closeToken(rotation.old) : 0
      const streams = closed ? `; closed ${closed} event stream(s) opened with the old one` : ''
      mainLog.info(`Rotated the ${role} token (${rotation.old ?? '?'} → ${rotation.fingerprint})${streams}.`)
      return {role, fingerprint: rotation.fingerprint, file: rotation.file}
    },
    runtimeDir,
    telemetry: telemetry && (() => telemetry.status()),
    tokens: () => hub.tokens,
    version: hubVersion(),
    views,
  })
  let closing: Promise<void> | undefined
  Object.assign(hub, {
    app,
    config,
    gateway,
    store,
    events,
    views,
    workspace,
    runtimeDir,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        stopHostRunner()
        events.closeAll()
        await gateway.close(graceMs)
        events.closeAll()
        await store.shutdown()
        await history.close()
        // Last, so that the lines written while stopping go out too; bounded, whatever the collector does.
        await telemetry?.shutdown()
        await policy.close()
      })()
      return closing
    },
  })
  return hub
}

export async function startDaemon(config: HubConfig, log: Logger): Promise<RunningDaemon> {
  const mainLog = log.child('hub.daemon')
  // Whatever the daemon creates is its user's alone, whatever umask it was started with (issue 10).
  process.umask(0o077)
  mainLog.info(`hub ${hubVersion()} starting (pid ${process.pid})`)
  const hub = await openHub(config, log)
  const {store, gateway, runtimeDir, workspace} = hub

  const server = await listen(hub.app, config.host, config.port, config.maxConnections).catch(
    async (error: unknown) => {
      await hub.close(0)
      throw error
    },
  )
  const socketServer = await listenOnSocket(hub.app, store.files.paths.socket, mainLog, CONNECTION_LIMITS).catch(
    async (error: unknown) => {
      server.close()
      await hub.close(0)
      throw error
    },
  )
  const address = server.address() as AddressInfo
  const {port} = address
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host
  const base = `http://${hostForUrl}:${port}`
  hub.base = base
  const startedAt = new Date().toISOString()
  const socket = socketServer ? store.files.paths.socket : undefined
  await store.files.writeDaemonInfo({
    pid: process.pid,
    host: config.host,
    port,
    started_at: startedAt,
    version: hubVersion(),
    base,
    ...(socket ? {socket} : {}),
  })
  // After daemon.json, which the entry must agree with: the user's CLI finds this daemon from any directory.
  const registered = await registerDaemon({
    root: await realpath(config.root).catch(() => config.root),
    runtime_dir: runtimeDir,
    pid: process.pid,
    base,
    ...(socket ? {socket} : {}),
    started_at: startedAt,
    version: hubVersion(),
  }).then(
    (path) => {
      mainLog.info(`Registered for this user's hub commands in any directory: ${path}`)
      return path
    },
    (error: Error) => {
      mainLog.warn(
        `Could not register in this user's daemon registry (${error.message}); ` +
          `hub commands find this daemon only in ${config.root} or with --root.`,
      )
      return undefined
    },
  )

  const described = gateway.policy.describe()
  mainLog.info(`Runtime: ${runtimeDir}`)
  mainLog.info(`Workspace: ${workspace}`)
  const agentToken = config.agentToken ? 'agent from AGENT_HUB_TOKEN' : tokenPath(runtimeDir, 'agent')
  const operatorToken = config.operatorToken
    ? 'operator from AGENT_HUB_OPERATOR_TOKEN'
    : tokenPath(runtimeDir, 'operator')
  mainLog.info(`Tokens: ${agentToken}, ${operatorToken}`)
  const rules = `${described.rules} rules${described.strict ? '; strict' : ''}`
  mainLog.info(`Policy: ${described.file ?? 'built-in packs only'} (${described.packs.join(', ')}; ${rules})`)
  mainLog.info(`Token required: True`)
  mainLog.info(`Listening on ${base}${socketServer ? ` (operator CLI: ${store.files.paths.socket})` : ''}`)

  // Retention (AGENT_HUB_RETENTION_DAYS): denied/ does not grow forever.
  const prune = (): void => {
    if (config.retentionDays === 0) return
    store
      .pruneDenied(Date.now() - config.retentionDays * 86_400_000, {role: 'operator', token: 'retention'})
      .then(
        (n) =>
          n > 0 && mainLog.info(`Retention: removed ${n} denied request(s) older than ${config.retentionDays} days.`),
      )
      .catch((error: Error) => mainLog.warn(`Retention pruning failed: ${error.message}`))
  }

  prune()
  const pruner = setInterval(prune, 3_600_000)
  pruner.unref()
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
      clearInterval(pruner)
      const servers = socketServer ? [server, socketServer] : [server]
      const stopped = Promise.all(
        servers.map(
          (srv) =>
            new Promise<void>((resolve) => {
              srv.close(() => resolve())
            }),
        ),
      )
      await hub.close(graceMs)
      for (const srv of servers) if ('closeAllConnections' in srv) srv.closeAllConnections()
      await stopped
      // The registry entry first (it points at daemon.json); the socket file itself goes with close();
      // daemon.json last, so a CLI never finds one without the other.
      if (registered) await unregisterDaemon(registered, process.pid).catch(() => {})
      await store.files.removeDaemonInfo()
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
