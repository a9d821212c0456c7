/**
 * Where a path operand points, resolved the way the shell and the kernel would: against each
 * working directory the command may run in, with `.`/`..` collapsed, `~` kept as "the home
 * directory" (outside the workspace, wherever it is), and a glob reduced to the directory its
 * matches must lie under. Nothing here touches the file system: the engine runs on the hot path and
 * judges text, so symbolic links inside the workspace are not followed (see the README).
 */

import path from 'node:path'

import {literalWord, type Word} from './words.js'

export type Place =
  /** `below`: a glob, so only paths strictly under `path` can match. */
  | {readonly below: boolean; readonly kind: 'home'; readonly path: string}
  /** Under the home directory: `path` starts with `~`. */
  | {readonly below: boolean; readonly kind: 'path'; readonly path: string}
  | {readonly kind: 'unknown'; readonly why: string}

const HOME_VAR = /^\$(?:HOME\b|\{HOME\})/
const PWD_VAR = /^\$(?:PWD\b|\{PWD\})/
/**
 * `$TMPDIR/name`: a named entry of the temporary directory. Unset, it is `/name` at the root, a name no
 * system directory has; `$TMPDIR/*`, `$TMPDIR/` or `$TMPDIR/../x` stay unknown.
 */
const TMPDIR_ENTRY = /^\$(?:TMPDIR\b|\{TMPDIR\})(\/(?!\.\.?(?:\/|$))[\w.@+-]+(?:\/(?!\.\.(?:\/|$))[\w.@+-]+)*)\/?$/

/** Every place a word may name, one per possible working directory for relative paths. */
export function placesOf(word: Word, cwds: readonly string[]): Place[] {
  let text = word.value
  // `$$`, `$!`, `$?`, `$#` are numbers: `/tmp/lock.$$` stays under /tmp whatever the PID.
  if (
    !word.static &&
    word.units.every((u) => u.dyn === undefined || (u.dyn.kind === 'var' && /^[$!?#]$/.test(u.dyn.name ?? '')))
  ) {
    return placesOf(literalWord(word.units.map((u) => (u.dyn ? '0' : u.ch)).join('')), cwds)
  }

  if (!word.static) {
    // `$HOME/x` is as good as `~/x`, `$PWD/x` as `./x`; any other expansion could be anything, even empty.
    const first = word.units[0]?.dyn?.name
    const restStatic = word.units.slice(1).every((u) => u.dyn === undefined)
    const home = first === 'HOME' ? HOME_VAR.exec(text) : null
    const pwd = first === 'PWD' ? PWD_VAR.exec(text) : null
    if (restStatic && home) return [homePlace(`~${text.slice(home[0].length)}`, word.glob)]
    if (restStatic && pwd && !word.glob) return placesOf(literalWord(`.${text.slice(pwd[0].length)}`), cwds)
    const tmp = first === 'TMPDIR' && restStatic && !word.glob ? TMPDIR_ENTRY.exec(text) : null
    // Unset, `$TMPDIR/etc` is /etc: an entry whose name is a top-level directory stays unknown.
    const top = tmp ? `/${(tmp[1] as string).split('/')[1] ?? ''}` : '/'
    if (tmp && !isSystemPath(top, '/nonexistent') && !/^\/(?:home|Users|tmp|mnt|media|snap|Volumes)$/i.test(top))
      return [{kind: 'path', path: `/tmp${tmp[1]}`, below: false}]
    return [{kind: 'unknown', why: `built at run time (${word.raw})`}]
  }

  let below = false
  if (word.glob) {
    const dir = word.prefix.slice(0, word.prefix.lastIndexOf('/') + 1)
    const pattern = text.slice(dir.length)
    // `.*` matches `..` in shells without globskipdots; a literal `..` after a glob climbs back out.
    if (pattern.split('/').some((c) => c === '..' || (c.startsWith('.') && /[*?[]/.test(c)))) {
      return [{kind: 'unknown', why: `a glob that can match .. (${word.raw})`}]
    }

    text = dir || '.'
    below = true
  }

  if (word.tilde) return [homePlace(text, below)]
  if (text.startsWith('/')) return [{kind: 'path', path: path.posix.resolve(text), below}]
  const out: Place[] = []
  for (const cwd of cwds) {
    if (cwd === '') out.push({kind: 'unknown', why: `relative to a directory only known at run time (${word.raw})`})
    else if (cwd.startsWith('~')) out.push(homePlace(`${cwd}/${text}`, below))
    else out.push({kind: 'path', path: path.posix.resolve(cwd, text), below})
  }

  return out
}

function homePlace(text: string, below: boolean): Place {
  if (!text.startsWith('~/') && text !== '~') {
    // `~user/…`: someone's home directory; keep it as written.
    return {kind: 'home', path: text, below}
  }

  const normal = path.posix.normalize(text).replace(/\/$/, '')
  if (!normal.startsWith('~')) return {kind: 'unknown', why: `above the home directory (${text})`}
  return {kind: 'home', path: normal, below}
}

/** `p` is `dir` or lies under it. */
export function isWithin(p: string, dir: string): boolean {
  if (dir === '/') return p.startsWith('/')
  return p === dir || p.startsWith(`${dir}/`)
}

/** Whether every path the place can name lies in `dir` (for a glob: under it). */
export function placeWithin(place: Place, dir: string): boolean {
  return place.kind === 'path' && isWithin(place.path, dir)
}

/** The place could name `target` or something inside it (`..` and globs over an ancestor included). */
export function placeCouldReach(place: Place, target: string): boolean {
  if (place.kind !== 'path') return false
  if (isWithin(place.path, target)) return true
  // An ancestor of the target reaches it only through recursion or a glob.
  return place.below && isWithin(target, place.path)
}

export function describePlace(place: Place): string {
  if (place.kind === 'unknown') return place.why
  return place.below ? `${place.path === '/' ? '' : place.path}/*` : place.path
}

/** Text to match patterns against: the resolved path, or the word itself when it cannot be resolved. */
export function placeText(place: Place, word: Word): string {
  return place.kind === 'unknown' ? word.value : place.path
}

/** Scratch directories anyone may write: deleting something under them is not deleting the machine's. */
const TEMP_DIRS = ['/tmp', '/var/tmp', '/private/tmp', '/private/var/tmp', '/dev/shm']

/** Strictly under a scratch directory, and not everything in it (`/tmp/build`, not `/tmp` or `/tmp/*`). */
export function isScratchPath(place: Place): boolean {
  if (place.kind !== 'path') return false
  return TEMP_DIRS.some((d) => place.path.startsWith(`${d}/`) && !(place.below && place.path === d))
}

/** For a path under a scratch directory, its first level there (`/tmp/hub-x/ws` → `/tmp/hub-x`); else null. */
export function scratchRoot(p: string): null | string {
  for (const d of TEMP_DIRS) {
    if (!p.startsWith(`${d}/`)) continue
    const first = p.slice(d.length + 1).split('/')[0]
    return first ? `${d}/${first}` : null
  }

  return null
}

/** Directories the operating system owns. Writing there changes the machine, not the project. */
const SYSTEM_DIRS = [
  '/etc',
  '/boot',
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/sys',
  '/proc',
  '/root',
  '/var',
  '/opt',
  '/srv',
  '/snap',
  '/System',
  '/Library',
  '/private/etc',
  '/private/var',
]
const SYSTEM_EXCEPTIONS = ['/var/tmp', '/private/var/tmp', '/private/var/folders', '/var/folders']

/** Under a directory the OS owns (never inside the workspace, wherever that lives). */
export function isSystemPath(p: string, workspace: string): boolean {
  if (p === '/') return true
  if (isWithin(p, workspace) || SYSTEM_EXCEPTIONS.some((d) => isWithin(p, d))) return false
  return SYSTEM_DIRS.some((d) => isWithin(p, d))
}

const HARMLESS_DEVICES =
  /^\/dev\/(?:null|zero|full|random|urandom|stdin|stdout|stderr|tty|console|ptmx|fd\/\d+|pts\/\d+|shm(?:\/.*)?)$/
const DISK_DEVICES = new RegExp(
  String.raw`^\/dev\/(?:sd[a-z]|hd[a-z]|vd[a-z]|xvd[a-z]|nvme\d|mmcblk\d|` +
    String.raw`disk\d|rdisk\d|loop\d|md\d|dm-\d|sr\d|mapper\/|mem$|kmem$|port$|` +
    String.raw`nvram$|mtd\d|root$|block\/)`,
)

/** For a path under /dev: whether writing it is harmless, destroys a disk, or is some other device. */
export function deviceKind(p: string): 'disk' | 'harmless' | 'other' | null {
  if (!p.startsWith('/dev/')) return null
  if (HARMLESS_DEVICES.test(p)) return 'harmless'
  if (p.startsWith('/dev/tcp/') || p.startsWith('/dev/udp/')) return 'other'
  return DISK_DEVICES.test(p) ? 'disk' : 'other'
}
