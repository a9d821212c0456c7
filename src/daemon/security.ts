/**
 * Browser-facing defences (SPEC §5): DNS rebinding (a Host that is not ours), cross-site requests
 * (an Origin that is not loopback), and CORS answered only for loopback origins.
 */

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]'])

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '')
  // Not *.localhost: such names resolve to loopback only where a resolver chooses to, and a
  // rebinding page can claim any of them; the exact names and 127.x addresses are enough.
  return LOOPBACK_NAMES.has(h) || /^127(\.\d{1,3}){3}$/.test(h)
}

/** The hostname part of a Host header (`[::1]:8787` → `::1`). */
export function hostnameOf(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase()
  if (h.startsWith('[')) {
    const end = h.indexOf(']')
    return end > 0 ? h.slice(1, end) : h
  }

  const colon = h.lastIndexOf(':')
  return colon !== -1 && h.indexOf(':') === colon ? h.slice(0, colon) : h
}

export function hostAllowed(hostHeader: string | undefined, boundHost: string): boolean {
  if (!hostHeader) return false
  const name = hostnameOf(hostHeader)
  const bound = boundHost.toLowerCase().replaceAll(/^\[|\]$/g, '')
  return name === bound || isLoopbackHost(name)
}

export function originAllowed(origin: string): boolean {
  if (origin === 'null') return false
  try {
    const url = new URL(origin)
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(url.hostname.replaceAll(/^\[|\]$/g, ''))
    )
  } catch {
    return false
  }
}
