/** The daemon's TCP listener and the limits that keep it reachable under load. */
import {serve, type ServerType} from '@hono/node-server'

import {HubError} from '../lib/errors.js'

/**
 * Limits that keep the daemon reachable under a flood of connections (issue 10): a client must send
 * its headers within 10 s and its whole request within 30 s (checked every second, not every 30 s),
 * idle keep-alive connections close after 5 s, and past `maxConnections` new TCP connections are
 * closed at once — so half-open connections cannot use up the descriptors, and the operator's Unix
 * socket (a server of its own) stays reachable.
 */
export const CONNECTION_LIMITS = {
  connectionsCheckingInterval: 1000,
  headersTimeout: 10_000,
  keepAliveTimeout: 5000,
  requestTimeout: 30_000,
}

/** Binds the HTTP face on host:port; a port in use fails with a sentence, not a raw EADDRINUSE. */
export function listen(
  app: {fetch: (req: Request) => Promise<Response> | Response},
  host: string,
  port: number,
  maxConnections: number,
): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({fetch: app.fetch, hostname: host, port, serverOptions: CONNECTION_LIMITS}, () =>
      resolve(server),
    )
    ;(server as {maxConnections: number}).maxConnections = maxConnections
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
