/**
 * Agent and operator tokens (SPEC §5): 32 random bytes, URL-safe, in files of mode 0600 that the
 * daemon creates on first start unless the environment provides them. Tokens are compared in
 * constant time and are only ever shown as a short fingerprint.
 */
import {chmod, open, readFile, stat} from 'node:fs/promises'
import {createRequire} from 'node:module'
import {join} from 'node:path'

import type {Logger} from './logger.js'

import {HubError} from './errors.js'

export type Role = 'agent' | 'operator'

export const TOKEN_FILES: Record<Role, string> = {
  agent: 'agent_hub_token.txt',
  operator: 'operator_token.txt',
}

export interface Tokens {
  agent: string
  operator: string
}

/**
 * node:crypto, loaded when first used: it costs 15–45 ms to load, and a one-shot CLI command only reads
 * a token file (issue 13, speed); the daemon and token rotation hash and generate.
 */
type Crypto = typeof import('node:crypto')
let crypto: Crypto | undefined
const nodeCrypto = (): Crypto => {
  crypto ??= createRequire(import.meta.url)('node:crypto') as Crypto
  return crypto
}

export function generateToken(): string {
  return nodeCrypto().randomBytes(32).toString('base64url')
}

/** Short, stable, non-reversible name for a token, for audit lines and logs. */
export function fingerprint(token: string): string {
  return nodeCrypto().createHash('sha256').update(token).digest('hex').slice(0, 8)
}

export function tokenPath(runtimeDir: string, role: Role): string {
  return join(runtimeDir, TOKEN_FILES[role])
}

function digest(s: string): Buffer {
  return nodeCrypto().createHash('sha256').update(s).digest()
}

/** Constant-time equality that also hides the length of the expected token. */
export function tokensEqual(given: string, expected: string): boolean {
  return nodeCrypto().timingSafeEqual(digest(given), digest(expected))
}

/** Reads a token file; undefined when absent. */
export async function readTokenFile(runtimeDir: string, role: Role): Promise<string | undefined> {
  try {
    const text = (await readFile(tokenPath(runtimeDir, role), 'utf8')).trim()
    return text === '' ? undefined : text
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

async function createTokenFile(path: string): Promise<string> {
  const token = generateToken()
  // 'wx' fails if another process created it first; then the existing file wins.
  const handle = await open(path, 'wx', 0o600)
  try {
    await handle.writeFile(token + '\n')
    await handle.sync()
  } finally {
    await handle.close()
  }

  return token
}

/**
 * Tokens for the daemon: environment first, then the files, creating whichever is missing.
 * A token file that others can read is repaired to 0600 and reported loudly.
 */
export async function ensureTokens(
  runtimeDir: string,
  fromEnv: {agent?: string | undefined; operator?: string | undefined},
  log: Logger,
): Promise<Tokens> {
  const result: Partial<Tokens> = {}
  for (const role of ['agent', 'operator'] as const) {
    const envToken = fromEnv[role]
    if (envToken) {
      result[role] = envToken
      continue
    }

    const path = tokenPath(runtimeDir, role)
    let token = await readTokenFile(runtimeDir, role)
    if (token === undefined) {
      try {
        token = await createTokenFile(path)
        log.info(`Created ${role} token file ${path} (mode 0600)`)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
        token = await readTokenFile(runtimeDir, role)
      }
    }

    if (!token)
      throw new HubError('config_invalid', `The ${role} token file ${path} is empty.`, {
        hint: 'Delete it and start again to create a new token.',
      })
    if (process.platform !== 'win32') {
      const mode = (await stat(path)).mode & 0o777
      if ((mode & 0o077) !== 0) {
        await chmod(path, 0o600)
        log.warn(
          `Token file ${path} was readable by others (mode ${mode.toString(8)}); changed it to 0600. ` +
            'Rotate the token if others may have read it.',
        )
      }
    }

    result[role] = token
  }

  if (result.agent === result.operator) {
    throw new HubError(
      'config_invalid',
      'The agent and operator tokens are the same; an agent could approve its own commands.',
      {
        hint: 'Give AGENT_HUB_TOKEN and AGENT_HUB_OPERATOR_TOKEN different values.',
      },
    )
  }

  return result as Tokens
}

/** Writes a new token for a role (whole-or-nothing, 0600, durable) and returns it. */
export async function rotateTokenFile(runtimeDir: string, role: Role): Promise<string> {
  const token = generateToken()
  // Loaded here: the CLI reads token files on every command and writes one only on rotation.
  const {writeFileAtomic} = await import('./atomic-file.js')
  await writeFileAtomic(tokenPath(runtimeDir, role), token + '\n', {durable: true, mode: 0o600})
  return token
}

/** What a CLI needs to call the daemon: environment first, then the token files (read only). */
export async function findToken(
  runtimeDir: string,
  role: Role,
  fromEnv: string | undefined,
): Promise<string | undefined> {
  if (fromEnv) return fromEnv
  try {
    return await readTokenFile(runtimeDir, role)
  } catch {
    return undefined
  }
}

export interface Rotation {
  file: string
  fingerprint: string
  old: null | string
  role: Role
  /** The new token, for the daemon to switch to; never printed or audited. */
  token: string
}

/**
 * Rotates a token (the one implementation, for the daemon's `POST /tokens/rotate` and for `hub token
 * rotate` with no daemon): a new token file, and a `token_rotated` audit line with fingerprints only.
 */
export async function rotateToken(o: {
  actor: {role: Role; token: string}
  append: (fields: Record<string, unknown> & {event: 'token_rotated'}) => Promise<unknown>
  fromEnv: string | undefined
  role: Role
  runtimeDir: string
}): Promise<Rotation> {
  if (o.fromEnv) {
    const variable = o.role === 'agent' ? 'AGENT_HUB_TOKEN' : 'AGENT_HUB_OPERATOR_TOKEN'
    throw new HubError(
      'conflict',
      `The ${o.role} token comes from ${variable}; change it there and restart the daemon.`,
    )
  }

  const old = await readTokenFile(o.runtimeDir, o.role).catch(() => undefined)
  const token = await rotateTokenFile(o.runtimeDir, o.role)
  const rotation: Rotation = {
    file: tokenPath(o.runtimeDir, o.role),
    fingerprint: fingerprint(token),
    token,
    old: old ? fingerprint(old) : null,
    role: o.role,
  }
  await o.append({event: 'token_rotated', role: o.role, old: rotation.old, new: rotation.fingerprint, actor: o.actor})
  return rotation
}
