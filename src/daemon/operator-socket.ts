/**
 * The local CLI's way in (issue 9): a Unix socket in the runtime directory, 0600 inside a 0700
 * directory, so only the daemon's user can connect and no other local user can stand in for the
 * daemon to collect the operator token, as anyone can on a TCP port the daemon has left. It is a
 * server of its own, so a flood on the agents' TCP port (connection caps, half-open clients) never
 * reaches it.
 */
import {createAdaptorServer, type ServerType} from '@hono/node-server'
import {chmod, lstat, unlink} from 'node:fs/promises'
import {connect} from 'node:net'

import type {Logger} from '../lib/logger.js'

import {HubError} from '../lib/errors.js'

/** sun_path holds 108 bytes on Linux and 104 on macOS; keep a margin for the NUL. */
const MAX_SOCKET_PATH = 100

/** Whether something answers on the socket at `path` (a daemon still running on this runtime). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path)
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

/**
 * Listens on `path`; undefined (with a warning) when the path is too long for a socket, in which case
 * the CLI uses TCP. A stale socket from a daemon that died is replaced; a live one is an error.
 */
export async function listenOnSocket(
  app: {fetch: (req: Request) => Promise<Response> | Response},
  path: string,
  log: Logger,
  serverOptions: Record<string, number>,
): Promise<ServerType | undefined> {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    log.warn(`The runtime path is too long for a Unix socket (${path}); the CLI will use TCP.`)
    return undefined
  }

  const existing = await lstat(path).catch(() => undefined)
  if (existing) {
    if (!existing.isSocket())
      throw new HubError('config_invalid', `${path} exists and is not a socket; hub will not replace it.`, {
        hint: 'Move it away, or use another runtime directory.',
      })
    if (await answers(path))
      throw new HubError('config_invalid', `Another hub daemon is running on this runtime directory (${path}).`, {
        hint: 'Stop it first (it removes its socket when it stops), or use another --runtime-dir.',
      })
    await unlink(path)
  }

  const server = createAdaptorServer({fetch: app.fetch, serverOptions})
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => {
      server.off('error', reject)
      resolve()
    })
  })
  // The umask (077) already leaves 0700; a socket needs no execute bit, and 0600 says what is meant.
  await chmod(path, 0o600)
  return server
}
