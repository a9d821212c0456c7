/**
 * The per-user daemon registry (issue 13): `hub serve` leaves one small file where this user's CLI
 * looks when the current directory has no running daemon, so `cd /tmp && hub pending` finds it.
 *
 * Where: `$XDG_RUNTIME_DIR/hub/` when that is set (a per-login tmpfs the system empties), else
 * `~/.local/state/hub/`. One entry per runtime directory, named by a hash of its real path, so a
 * restarted daemon replaces its own entry and two daemons never overwrite each other's.
 *
 * Trust (issue 9: never send a token to an address someone else wrote): an entry only points at a
 * runtime directory; the address still comes from that runtime's own daemon.json. An entry counts
 * only when its directory and file belong to this user and nobody else may write them, its daemon
 * is alive, and the daemon.json it points to belongs to this user and names the same pid and
 * address. Entries whose daemon is gone are removed as they are found.
 */
import {lstat, mkdir, readdir, readFile, rm} from 'node:fs/promises'
import {createRequire} from 'node:module'
import {homedir} from 'node:os'
import {join} from 'node:path'

export interface RegistryEntry {
  base: string
  pid: number
  /** The daemon's real root directory (what `--root` takes to pick it). */
  root: string
  runtime_dir: string
  socket?: string | undefined
  started_at: string
  version: string
}

/** Where this user's registry is: `$XDG_RUNTIME_DIR/hub`, else `~/.local/state/hub`. */
export function registryDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_RUNTIME_DIR
  // XDG says a relative value must be ignored.
  if (xdg && xdg.startsWith('/')) return join(xdg, 'hub')
  return join(env.HOME && env.HOME.startsWith('/') ? env.HOME : homedir(), '.local', 'state', 'hub')
}

/** The entry's file name for a runtime directory (its real path): the same runtime, the same file. */
export function entryFile(runtimeDir: string): string {
  // node:crypto when needed (the daemon registering): loading it costs a CLI command 15–45 ms (issue 13).
  const {createHash} = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto')
  return `${createHash('sha256').update(runtimeDir).digest('hex').slice(0, 32)}.json`
}

const uid = (): number | undefined => (typeof process.getuid === 'function' ? process.getuid() : undefined)

/** Owned by this user and not writable by group or others (on systems with owners). */
function ownedAndPrivate(s: {mode: number; uid: number}): boolean {
  const me = uid()
  if (me === undefined) return true
  return s.uid === me && (s.mode & 0o022) === 0
}

/**
 * Writes this daemon's entry; returns its path. Throws when the registry directory cannot be made
 * private to this user (the caller logs it: a daemon runs without an entry rather than not at all).
 */
export async function registerDaemon(entry: RegistryEntry, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir = registryDir(env)
  await mkdir(dir, {recursive: true, mode: 0o700})
  const s = await lstat(dir)
  if (!s.isDirectory() || !ownedAndPrivate(s))
    throw new Error(`${dir} is not a directory of this user's that only this user may write`)
  const path = join(dir, entryFile(entry.runtime_dir))
  // Loaded here: the CLI reads the registry on every command and never writes it.
  const {writeJsonAtomic} = await import('./atomic-file.js')
  await writeJsonAtomic(path, entry, {mode: 0o600})
  return path
}

/** Removes an entry on shutdown, unless another daemon has taken its place meanwhile. */
export async function unregisterDaemon(path: string, pid: number): Promise<void> {
  const current = await readEntry(path).catch(() => undefined)
  if (current && current.pid !== pid) return
  await rm(path, {force: true})
}

function isEntry(v: unknown): v is RegistryEntry {
  const e = v as null | Partial<RegistryEntry>
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.root === 'string' &&
    e.root.startsWith('/') &&
    typeof e.runtime_dir === 'string' &&
    e.runtime_dir.startsWith('/') &&
    typeof e.base === 'string' &&
    Number.isSafeInteger(e.pid) &&
    (e.pid ?? 0) > 0 &&
    (e.socket === undefined || typeof e.socket === 'string') &&
    typeof e.started_at === 'string' &&
    typeof e.version === 'string'
  )
}

async function readEntry(path: string): Promise<RegistryEntry | undefined> {
  const parsed: unknown = JSON.parse(await readFile(path, 'utf8'))
  return isEntry(parsed) ? parsed : undefined
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    // ESRCH: gone. EPERM: the pid is another user's process now, so not this user's daemon.
    return false
  }
}

/** Why the daemon.json an entry points to does not back it up; undefined when it does. */
async function disagreement(e: RegistryEntry): Promise<string | undefined> {
  const path = join(e.runtime_dir, 'daemon.json')
  let s
  try {
    s = await lstat(path)
  } catch {
    return `${path} is gone`
  }

  if (!s.isFile() || !ownedAndPrivate(s)) return `${path} is not this user's own file`
  let info: {base?: unknown; pid?: unknown; socket?: unknown}
  try {
    info = JSON.parse(await readFile(path, 'utf8')) as typeof info
  } catch {
    return `${path} does not parse`
  }

  if (info.pid !== e.pid || info.base !== e.base || (info.socket ?? undefined) !== (e.socket ?? undefined))
    return `${path} names another daemon`
  return undefined
}

export interface RegistryScan {
  dir: string
  live: RegistryEntry[]
  /** Entries left aside and why (not trusted, not parsed), for an error message. */
  skipped: string[]
}

/** The live, trusted entries of this user's registry, oldest first; stale ones are removed on the way. */
export async function liveEntries(env: NodeJS.ProcessEnv = process.env): Promise<RegistryScan> {
  const dir = registryDir(env)
  const scan: RegistryScan = {dir, live: [], skipped: []}
  let names: string[]
  try {
    const s = await lstat(dir)
    if (!s.isDirectory() || !ownedAndPrivate(s)) {
      scan.skipped.push(`${dir} is not a directory only this user may write; it is not read`)
      return scan
    }

    names = await readdir(dir)
  } catch {
    return scan
  }

  await Promise.all(
    names
      .filter((n) => /^[0-9a-f]{32}\.json$/.test(n))
      .map(async (name) => {
        const path = join(dir, name)
        try {
          const s = await lstat(path)
          if (!s.isFile() || !ownedAndPrivate(s)) {
            scan.skipped.push(`${path} is not this user's own private file`)
            return
          }

          const e = await readEntry(path)
          if (!e) {
            scan.skipped.push(`${path} is not a registry entry`)
            return
          }

          // A dead daemon, or a live pid whose runtime says otherwise (the pid was reused): stale.
          if (!alive(e.pid) || (await disagreement(e)) !== undefined) {
            await rm(path, {force: true})
            return
          }

          scan.live.push(e)
        } catch {
          // Removed meanwhile, or half-read: not an entry to use.
        }
      }),
  )
  scan.live.sort((a, b) => a.started_at.localeCompare(b.started_at) || a.root.localeCompare(b.root))
  return scan
}
