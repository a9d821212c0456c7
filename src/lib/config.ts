/**
 * Configuration (SPEC §2): flags beat environment, environment beats defaults, and a bad value stops
 * with a message naming the variable or flag and the value — never a silent fallback.
 */
import {existsSync} from 'node:fs'
import {hostname} from 'node:os'
import {isAbsolute, resolve} from 'node:path'

import {HubError} from './errors.js'
import {LOG_LEVELS, type LogLevel} from './logger.js'

export interface HubConfig {
  agentToken: string | undefined
  /** Where clients find the daemon; explicit when AGENT_HUB_BASE (or --base) was given. */
  base: string
  baseExplicit: boolean
  host: string
  /** This daemon's host name in a team (AGENT_HUB_HOST_NAME, default the machine's): requests it receives run here. */
  hostName: string
  logLevel: LogLevel
  maxConcurrentRuns: number
  /** TCP connections the daemon holds at once (AGENT_HUB_MAX_CONNECTIONS); more are closed on arrival. */
  maxConnections: number
  maxPendingPerAgent: number
  /** Network for runs unless a request or a rule turns it off (AGENT_HUB_NETWORK=on|off). */
  network: boolean
  operatorToken: string | undefined
  outputLimitBytes: number
  /** Extra variable names the operator lets through to commands (AGENT_HUB_PASS_ENV, comma-separated). */
  passEnv: string[]
  pendingTtlSeconds: number
  policyFile: string | undefined
  port: number
  rateLimitRequests: number
  rateLimitWindowSeconds: number
  /** Days that denied, expired and blocked requests are kept (AGENT_HUB_RETENTION_DAYS); 0 keeps them forever. */
  retentionDays: number
  root: string
  runtimeDir: string
  /**
   * Whether the runtime was named (--root, --runtime-dir, AGENT_HUB_ROOT, AGENT_HUB_RUNTIME_DIR); when
   * not, the CLI may look for a running daemon elsewhere (the current directory's, then the registry).
   */
  runtimeExplicit: boolean
  /** Containment of runs (SPEC §6.5): bwrap where usable; `none` runs uncontained (AGENT_HUB_SANDBOX). */
  sandbox: 'bwrap' | 'none'
  sandboxHide: string[]
  /** Extra paths a run may write (AGENT_HUB_SANDBOX_RW) and paths it must not see (AGENT_HUB_SANDBOX_HIDE). */
  sandboxRw: string[]
  shell: string
  /**
   * Where requests, runs and the audit live (AGENT_HUB_STORE / --store): a postgres:// URL, or undefined
   * for the files.
   */
  store: string | undefined
  strict: boolean
  workspaceDir: string
}

/** Values given on the command line; each one names its flag in error messages. */
export interface ConfigOverrides {
  base?: string | undefined
  host?: string | undefined
  logLevel?: string | undefined
  policyFile?: string | undefined
  port?: number | undefined
  root?: string | undefined
  runtimeDir?: string | undefined
  store?: string | undefined
  strict?: boolean | undefined
  workspaceDir?: string | undefined
}

type Env = Record<string, string | undefined>

interface Source {
  /** `AGENT_HUB_PORT` or `--port`: what a person should change. */
  name: string
  value: string
}

function pick(
  flag: boolean | number | string | undefined,
  flagName: string,
  env: Env,
  varName: string,
): Source | undefined {
  if (flag !== undefined) return {value: String(flag), name: flagName}
  const fromEnv = env[varName]
  if (fromEnv !== undefined && fromEnv !== '') return {value: fromEnv, name: varName}
  return undefined
}

function bad(src: Source, why: string): HubError {
  return new HubError('config_invalid', `${src.name}=${JSON.stringify(src.value)} is not valid: ${why}.`, {
    details: {field: src.name},
  })
}

// A plain check rather than zod: configuration is read by every command, and loading zod alone
// costs about 70 ms of start-up.
function integer(src: Source | undefined, fallback: number, min: number, max: number): number {
  if (!src) return fallback
  const text = src.value.trim()
  const n = /^-?\d+$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) throw bad(src, `expected a whole number from ${min} to ${max}`)
  return n
}

function boolean(src: Source | undefined, fallback: boolean): boolean {
  if (!src) return fallback
  const v = src.value.trim().toLowerCase()
  if (['1', 'on', 'true', 'yes'].includes(v)) return true
  if (['0', 'false', 'no', 'off'].includes(v)) return false
  throw bad(src, 'expected 1 or 0')
}

function defaultShell(): string {
  return process.platform === 'win32' ? 'powershell' : 'bash'
}

export function resolveConfig(env: Env = process.env, overrides: ConfigOverrides = {}, cwd = process.cwd()): HubConfig {
  const rootSrc = pick(overrides.root, '--root', env, 'AGENT_HUB_ROOT')
  const root = resolve(cwd, rootSrc?.value ?? '.')
  const under = (p: string): string => (isAbsolute(p) ? resolve(p) : resolve(root, p))

  const runtimeSrc = pick(overrides.runtimeDir, '--runtime-dir', env, 'AGENT_HUB_RUNTIME_DIR')
  const runtimeDir = under(runtimeSrc?.value ?? 'runtime')
  const workspaceDir = under(
    pick(overrides.workspaceDir, '--workspace-dir', env, 'AGENT_HUB_WORKSPACE_DIR')?.value ?? 'workspace',
  )

  const hostSrc = pick(overrides.host, '--host', env, 'AGENT_HUB_HOST')
  const host = hostSrc?.value.trim() ?? '127.0.0.1'
  if (hostSrc && !/^[A-Za-z0-9.:\-[\]]{1,253}$/.test(host)) throw bad(hostSrc, 'expected a host name or IP address')
  const port = integer(pick(overrides.port, '--port', env, 'AGENT_HUB_PORT'), 8787, 0, 65_535)

  const baseSrc = pick(overrides.base, '--base', env, 'AGENT_HUB_BASE')
  let base = `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`
  if (baseSrc) {
    let url: URL
    try {
      url = new URL(baseSrc.value)
    } catch {
      throw bad(baseSrc, 'expected a URL such as http://127.0.0.1:8787')
    }

    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad(baseSrc, 'expected an http:// or https:// URL')
    base = url.origin
  }

  const policySrc = pick(overrides.policyFile, '--policy', env, 'AGENT_HUB_POLICY')
  let policyFile: string | undefined
  if (policySrc) {
    policyFile = under(policySrc.value)
    if (!existsSync(policyFile)) throw bad(policySrc, `no file at ${policyFile}`)
  } else {
    const candidate = resolve(root, 'hub.policy.json')
    if (existsSync(candidate)) policyFile = candidate
  }

  const levelSrc = pick(overrides.logLevel, '--log-level', env, 'AGENT_HUB_LOG_LEVEL')
  let logLevel: LogLevel = 'INFO'
  if (levelSrc) {
    const upper = levelSrc.value.trim().toUpperCase()
    const normalised = upper === 'WARN' ? 'WARNING' : upper
    if (!(LOG_LEVELS as readonly string[]).includes(normalised))
      throw bad(levelSrc, `expected one of ${LOG_LEVELS.join(', ')}`)
    logLevel = normalised as LogLevel
  }

  const shellSrc = pick(undefined, '', env, 'AGENT_HUB_SHELL')
  const shell = shellSrc?.value.trim() ?? defaultShell()
  if (shellSrc && !/^[A-Za-z0-9_./\\:-]+$/.test(shell))
    throw bad(shellSrc, 'expected a shell name or path such as bash')

  const passEnvSrc = pick(undefined, '', env, 'AGENT_HUB_PASS_ENV')
  const passEnv = (passEnvSrc?.value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  for (const name of passEnv) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw bad(passEnvSrc!, `${JSON.stringify(name)} is not a variable name`)
  }

  const sandboxSrc = pick(undefined, '', env, 'AGENT_HUB_SANDBOX')
  const sandbox = sandboxSrc?.value.trim().toLowerCase() ?? 'bwrap'
  if (sandbox !== 'bwrap' && sandbox !== 'none') throw bad(sandboxSrc!, 'expected bwrap or none')
  const networkSrc = pick(undefined, '', env, 'AGENT_HUB_NETWORK')
  const paths = (name: string): string[] =>
    (pick(undefined, '', env, name)?.value ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((p) => under(p))

  const token = (name: string): string | undefined => {
    const v = env[name]?.trim()
    if (v === undefined || v === '') return undefined
    if (v.length < 16)
      throw new HubError('config_invalid', `${name} is too short to be a token (at least 16 characters).`, {
        details: {field: name},
      })
    return v
  }

  const storeSrc = pick(overrides.store, '--store', env, 'AGENT_HUB_STORE')
  const storeValue = storeSrc?.value.trim()
  if (storeSrc && storeValue !== 'files' && !/^postgres(?:ql)?:\/\/\S+$/i.test(storeValue ?? ''))
    throw new HubError('config_invalid', `${storeSrc.name} is not valid: expected files or a postgres:// URL.`, {
      // The value may carry a password: it is not repeated.
      details: {field: storeSrc.name},
    })
  const hostNameSrc = pick(undefined, '', env, 'AGENT_HUB_HOST_NAME')
  const hostName = hostNameSrc?.value.trim() ?? hostname()
  if (hostNameSrc && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(hostName))
    throw bad(hostNameSrc, 'expected a host name (letters, digits, dot, dash, underscore)')

  return {
    root,
    runtimeDir,
    runtimeExplicit: rootSrc !== undefined || runtimeSrc !== undefined,
    store: storeValue === 'files' ? undefined : storeValue,
    hostName,
    workspaceDir,
    host,
    port,
    base,
    baseExplicit: baseSrc !== undefined,
    agentToken: token('AGENT_HUB_TOKEN'),
    operatorToken: token('AGENT_HUB_OPERATOR_TOKEN'),
    policyFile,
    strict: boolean(pick(overrides.strict, '--strict', env, 'AGENT_HUB_STRICT_MODE'), false),
    logLevel,
    rateLimitRequests: integer(pick(undefined, '', env, 'AGENT_HUB_RATE_LIMIT_REQUESTS'), 100, 1, 1_000_000),
    rateLimitWindowSeconds: integer(pick(undefined, '', env, 'AGENT_HUB_RATE_LIMIT_WINDOW_SECONDS'), 60, 1, 86_400),
    shell,
    maxConcurrentRuns: integer(pick(undefined, '', env, 'AGENT_HUB_MAX_CONCURRENT_RUNS'), 4, 1, 256),
    pendingTtlSeconds: integer(pick(undefined, '', env, 'AGENT_HUB_PENDING_TTL_SECONDS'), 86_400, 1, 31_536_000),
    maxPendingPerAgent: integer(pick(undefined, '', env, 'AGENT_HUB_MAX_PENDING_PER_AGENT'), 100, 1, 1_000_000),
    outputLimitBytes: integer(pick(undefined, '', env, 'AGENT_HUB_OUTPUT_LIMIT_BYTES'), 1_048_576, 0, 1_073_741_824),
    passEnv,
    maxConnections: integer(pick(undefined, '', env, 'AGENT_HUB_MAX_CONNECTIONS'), 512, 8, 1_000_000),
    retentionDays: integer(pick(undefined, '', env, 'AGENT_HUB_RETENTION_DAYS'), 30, 0, 36_500),
    sandbox,
    network: boolean(networkSrc, true),
    sandboxRw: paths('AGENT_HUB_SANDBOX_RW'),
    sandboxHide: paths('AGENT_HUB_SANDBOX_HIDE'),
  }
}
