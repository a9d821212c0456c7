/**
 * The client's HTTP on Node's own `http` module (issue 13, speed): loading undici cost about 160 ms
 * of every CLI command, and its keep-alive timers held a finished command open for 200 ms more. A
 * one-shot command needs one request over one socket (TCP or the operator's Unix socket) and nothing
 * left behind when it is done.
 */
import {Agent as HttpAgent, request as httpRequest, type IncomingMessage} from 'node:http'
import {createRequire} from 'node:module'

// node:https brings TLS with it; the local CLI talks plain HTTP over the operator socket, so it is
// loaded only for an https:// base.
type Https = typeof import('node:https')
let https: Https | undefined
const loadHttps = (): Https => {
  https ??= createRequire(import.meta.url)('node:https') as Https
  return https
}

export interface TransportOptions {
  /** Time to connect, in ms. */
  connectTimeoutMs: number
  socketPath?: string | undefined
}

export interface SendOptions {
  body?: string | undefined
  headers: Record<string, string>
  method: 'GET' | 'POST'
  signal?: AbortSignal | undefined
  /** Longest silence before the answer's headers and between body chunks; 0 after headers for streams. */
  timeoutMs: number
}

export interface Answer {
  headers: IncomingMessage['headers']
  status: number
  /** The body as it arrives (for event streams). */
  stream: IncomingMessage
  /** The whole body as text. */
  text(): Promise<string>
}

/** An error with the `code` callers map to `daemon_unreachable` (ETIMEDOUT, ECONNREFUSED …). */
function codedError(message: string, code: string): Error & {code: string} {
  return Object.assign(new Error(message), {code})
}

export class HttpTransport {
  private readonly agent: HttpAgent
  private readonly secure: boolean

  constructor(
    private readonly base: string,
    private readonly opts: TransportOptions,
  ) {
    this.secure = base.startsWith('https:')
    const agentOpts = {keepAlive: true, maxSockets: 8}
    this.agent = this.secure ? new (loadHttps().Agent)(agentOpts) : new HttpAgent(agentOpts)
  }

  /** Ends every socket at once: nothing keeps the process alive after this. */
  close(): void {
    this.agent.destroy()
  }

  /** One request; resolves with the answer's head once it arrives (the body is read by the caller). */
  send(path: string, o: SendOptions): Promise<Answer> {
    const url = new URL(this.base + path)
    return new Promise<Answer>((resolve, reject) => {
      const req = (this.secure ? loadHttps().request : httpRequest)({
        agent: this.agent,
        headers: o.body === undefined ? o.headers : {...o.headers, 'content-length': Buffer.byteLength(o.body)},
        hostname: url.hostname.replaceAll(/^\[|\]$/g, ''),
        method: o.method,
        path: url.pathname + url.search,
        port: url.port,
        ...(this.opts.socketPath === undefined ? {} : {socketPath: this.opts.socketPath}),
        ...(o.signal ? {signal: o.signal} : {}),
      })
      // Connecting has its own, shorter limit: a daemon that is not there should be said fast.
      const connectTimer = setTimeout(
        () => req.destroy(codedError(`no connection within ${this.opts.connectTimeoutMs} ms`, 'ETIMEDOUT')),
        this.opts.connectTimeoutMs,
      )
      req.on('socket', (socket) => {
        if ((socket as {connecting?: boolean}).connecting) socket.once('connect', () => clearTimeout(connectTimer))
        else clearTimeout(connectTimer)
      })
      req.setTimeout(o.timeoutMs, () =>
        req.destroy(codedError(`no answer within ${Math.round(o.timeoutMs / 1000)} s`, 'UND_ERR_HEADERS_TIMEOUT')),
      )
      req.on('error', (error) => {
        clearTimeout(connectTimer)
        reject(error)
      })
      req.on('response', (res) => {
        clearTimeout(connectTimer)
        resolve({
          headers: res.headers,
          status: res.statusCode ?? 0,
          stream: res,
          text: () => readText(res),
        })
      })
      req.end(o.body)
    })
  }
}

function readText(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    res.on('data', (c: Buffer) => chunks.push(c))
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    res.on('error', reject)
    res.on('aborted', () => reject(codedError('the daemon closed the connection mid-answer', 'ECONNRESET')))
  })
}
