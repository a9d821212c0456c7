/**
 * Telling loopback from everything else in URLs and host arguments. Only what is certainly this
 * machine counts as loopback (`localhost`, `*.localhost`, 127.0.0.0/8, `::1`); anything odd — user
 * info in the authority, a backslash, a host we cannot parse — counts as remote, because URL
 * parsers disagree on exactly those (curl and WHATWG read `http://127.0.0.1\@evil` differently).
 */

export type Destination =
  | {readonly host: string; readonly kind: 'loopback'}
  | {readonly host: string; readonly kind: 'remote'}
  | {readonly kind: 'local-file'}
  | {readonly kind: 'unknown'; readonly why: string}

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//

/** Classifies a URL or a bare `host[:port][/path]` as curl would read it. */
export function urlDestination(text: string): Destination {
  const m = SCHEME.exec(text)
  let rest = text
  if (m) {
    const scheme = (m[1] as string).toLowerCase()
    if (scheme === 'file') return {kind: 'local-file'}
    rest = text.slice(m[0].length)
  }

  const end = rest.search(/[/?#]/)
  const authority = end < 0 ? rest : rest.slice(0, end)
  return authorityDestination(authority)
}

/** `host`, `host:port`, `[v6]:port`, `user@host` (the last is always treated as remote). */
export function authorityDestination(authority: string): Destination {
  if (authority === '') return {kind: 'unknown', why: 'no host'}
  if (/[@\\\s]/.test(authority)) return {kind: 'remote', host: authority}
  let host = authority
  if (host.startsWith('[')) {
    const close = host.indexOf(']')
    if (close === -1) return {kind: 'remote', host: authority}
    host = host.slice(0, close + 1)
  } else {
    const colon = host.indexOf(':')
    if (colon !== -1) host = host.slice(0, colon)
  }

  return hostDestination(host)
}

/** A bare host name or address. */
export function hostDestination(host: string): Destination {
  return isLoopbackHost(host) ? {kind: 'loopback', host} : {kind: 'remote', host}
}

export function isLoopbackHost(raw: string): boolean {
  const host = raw.toLowerCase().replace(/\.$/, '')
  if (host === 'localhost' || host.endsWith('.localhost')) return true
  if (!/^[0-9a-fx.[\]:]+$/.test(host)) return false
  // Let the WHATWG parser normalise the address forms curl also accepts (127.1, 0x7f.1, 2130706433).
  let hostname: string
  try {
    hostname = new URL(`http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}/`).hostname
  } catch {
    return false
  }

  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)) return true
  return hostname === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(hostname)
}

/** `[user@]host:path` / `host::module` operands of scp, rsync and friends (not `./a:b`, not `C:\`). */
export function remoteSpecHost(operand: string): null | string {
  const m = /^(?:[^@/:]+@)?(\[[^\]]+\]|[^/:[\]]+):/.exec(operand)
  if (!m) return null
  const host = m[1] as string
  if (/^[A-Za-z]$/.test(host)) return null
  return host
}
