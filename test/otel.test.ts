import {readFile} from 'node:fs/promises'
/**
 * The audit as OpenTelemetry log records (issue 16, SPEC §7.8): a real daemon, started by the CLI with
 * the standard OTEL_* variables, exports a full lifecycle to a local OTLP/HTTP receiver; a collector
 * that is not there changes nothing else.
 */
import {createServer, type IncomingHttpHeaders, type Server} from 'node:http'
import {hostname} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type DaemonProcess, hub, readLines, removeRoot, startDaemonProcess, tempRoot, waitFor} from './helpers.js'

type AnyValue = {boolValue?: boolean; doubleValue?: number; intValue?: number | string; stringValue?: string}
interface KeyValue {
  key: string
  value: AnyValue
}
interface OtlpRecord {
  attributes: KeyValue[]
  body?: AnyValue
  eventName?: string
  severityText?: string
  timeUnixNano?: string
}
interface OtlpExport {
  resourceLogs: Array<{resource: {attributes: KeyValue[]}; scopeLogs: Array<{logRecords: OtlpRecord[]}>}>
}

interface Received {
  attrs: Record<string, boolean | number | string | undefined>
  record: OtlpRecord
  resource: Record<string, boolean | number | string | undefined>
}

function plain(kvs: KeyValue[]): Record<string, boolean | number | string | undefined> {
  const out: Record<string, boolean | number | string | undefined> = {}
  for (const {key, value} of kvs)
    out[key] =
      value.stringValue ??
      value.boolValue ??
      value.doubleValue ??
      (value.intValue === undefined ? undefined : Number(value.intValue))
  return out
}

/** A minimal OTLP/HTTP collector: keeps every request to /v1/logs as it came. */
class Receiver {
  readonly bodies: string[] = []
  readonly headers: IncomingHttpHeaders[] = []
  readonly records: Received[] = []
  private server: Server | undefined

  get url(): string {
    const address = this.server!.address() as {port: number}
    return `http://127.0.0.1:${address.port}`
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise((resolve) => {
      this.server?.close(resolve)
    })
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        if (req.method !== 'POST' || req.url !== '/v1/logs') {
          res.writeHead(404).end()
          return
        }

        const text = Buffer.concat(chunks).toString('utf8')
        this.bodies.push(text)
        this.headers.push(req.headers)
        const data = JSON.parse(text) as OtlpExport
        for (const rl of data.resourceLogs) {
          const resource = plain(rl.resource.attributes)
          for (const sl of rl.scopeLogs)
            for (const record of sl.logRecords) this.records.push({attrs: plain(record.attributes), record, resource})
        }

        res.writeHead(200, {'content-type': 'application/json'}).end('{}')
      })
    })
    await new Promise<void>((resolve) => {
      this.server!.listen(0, '127.0.0.1', resolve)
    })
  }
}

/** A port nothing listens on: bound once, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve)
  })
  const {port} = server.address() as {port: number}
  await new Promise((resolve) => {
    server.close(resolve)
  })
  return port
}

const LONG = `echo ${'x'.repeat(300)}`

/** plan → approve → run → record, through the real CLI; returns the request's id. */
async function lifecycle(root: string): Promise<string> {
  const planned = await hub(['plan', LONG, '--note', 'otel lifecycle', '--json'], {root})
  expect(planned.code).toBe(0)
  const id = (JSON.parse(planned.stdout) as {pending_id: string}).pending_id
  const approved = await hub(['approve', id], {root})
  expect(approved.code).toBe(0)
  await waitFor(async () => {
    const lines = await readLines(join(root, 'runtime', 'audit.log'))
    return lines.some((l) => l.event === 'command_executed' && l.pending_id === id)
  }, 'the run recorded')
  return id
}

async function health(base: string, root: string): Promise<Record<string, unknown>> {
  const token = (await readFile(join(root, 'runtime', 'operator_token.txt'), 'utf8')).trim()
  const res = await fetch(`${base}/health`, {headers: {'x-agent-token': token}})
  return (await res.json()) as Record<string, unknown>
}

async function stopTimed(daemon: DaemonProcess): Promise<{code: null | number; ms: number}> {
  const t0 = Date.now()
  const code = await daemon.stop()
  return {code, ms: Date.now() - t0}
}

describe('audit export to an OTLP/HTTP receiver', () => {
  let root: string
  let daemon: DaemonProcess
  const receiver = new Receiver()

  beforeAll(async () => {
    root = await tempRoot('hub-otel-')
    await receiver.start()
    daemon = await startDaemonProcess(root, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20collector-secret',
      OTEL_SERVICE_NAME: 'hub-otel-test',
      OTEL_BLRP_SCHEDULE_DELAY: '100',
    })
  })
  afterAll(async () => {
    await daemon?.stop('SIGKILL')
    await receiver.close()
    await removeRoot(root)
  })

  it('exports every line of plan → approve → run → record with stable hub.* attributes', async () => {
    const id = await lifecycle(root)
    const audit = await readLines(join(root, 'runtime', 'audit.log'))
    const mine = audit.filter((l) => l.pending_id === id)
    expect(mine.map((l) => l.event)).toEqual(['command_queued', 'command_approved', 'run_started', 'command_executed'])
    const seqs = audit.map((l) => l.seq)
    await waitFor(() => {
      const got = new Set(receiver.records.map((r) => r.attrs['hub.seq']))
      return seqs.every((s) => got.has(s as number))
    }, 'every audit line at the receiver')
    // Once each, and as the local log has it.
    expect(receiver.records.map((r) => r.attrs['hub.seq'])).toEqual(audit.map((l) => l.seq))
    for (const line of audit) {
      const got = receiver.records.find((r) => r.attrs['hub.seq'] === line.seq)!
      expect(got.attrs['hub.event']).toBe(line.event)
      expect(got.record.body?.stringValue).toBe(line.event)
      expect(got.record.eventName).toBe(`hub.${String(line.event)}`)
      expect(BigInt(got.record.timeUnixNano!) / 1_000_000n).toBe(BigInt(Date.parse(String(line.ts))))
      expect(got.attrs['hub.host']).toBe(hostname())
      expect(got.resource['service.name']).toBe('hub-otel-test')
      expect(got.resource['host.name']).toBe(hostname())
    }

    const byEvent = (event: string): Received => receiver.records.find((r) => r.attrs['hub.event'] === event)!
    const queued = byEvent('command_queued')
    const queuedLine = mine[0]!
    expect(queued.attrs).toMatchObject({
      'hub.pending_id': id,
      'hub.decision': queuedLine.decision,
      'hub.agent': queuedLine.agent,
      'hub.note': 'otel lifecycle',
      'hub.command_truncated': true,
      'hub.actor.role': 'agent',
    })
    expect(String(queued.attrs['hub.command'])).toBe(LONG.slice(0, 200))
    expect(queued.attrs['hub.rule'] ?? null).toBe(queuedLine.rule)
    const approved = byEvent('command_approved')
    expect(approved.attrs).toMatchObject({'hub.pending_id': id, 'hub.actor.role': 'operator', 'hub.executor': 'hub'})
    expect(approved.attrs['hub.run_id']).toBe(mine[1]!.run_id)
    const executed = byEvent('command_executed')
    expect(executed.attrs).toMatchObject({
      'hub.pending_id': id,
      'hub.run_id': mine[1]!.run_id,
      'hub.exit_code': 0,
      'hub.timed_out': false,
    })
    expect(typeof executed.attrs['hub.duration_ms']).toBe('number')
    expect(executed.record.severityText).toBe('INFO')
  })

  it('sends the configured headers and never a token, a full command or the output', async () => {
    expect(receiver.headers.every((h) => h.authorization === 'Bearer collector-secret')).toBe(true)
    expect(receiver.headers.every((h) => String(h['content-type']).startsWith('application/json'))).toBe(true)
    const sent = receiver.bodies.join('\n')
    for (const file of ['agent_hub_token.txt', 'operator_token.txt']) {
      const token = (await readFile(join(root, 'runtime', file), 'utf8')).trim()
      expect(token.length).toBeGreaterThan(16)
      expect(sent).not.toContain(token)
    }

    // The command and its output are 300 x's: no more than the audit's 200-character cut leaves.
    expect(sent).not.toContain('x'.repeat(201))
    expect(sent).not.toContain('command_full')
  })

  it('/health reports the export to an operator, and it leaves the status alone', async () => {
    const body = await health(daemon.base, root)
    const audit = await readLines(join(root, 'runtime', 'audit.log'))
    expect(body.telemetry).toMatchObject({
      endpoint: `${receiver.url}/v1/logs`,
      protocol: 'http/json',
      exported: audit.length,
      failed: 0,
      dropped: 0,
      queued: 0,
      last_error: null,
    })
    const anonymous = (await (await fetch(`${daemon.base}/health`)).json()) as Record<string, unknown>
    expect(anonymous.telemetry).toBeUndefined()
  })

  it('a record written while stopping still goes out, and the daemon stops promptly', async () => {
    const planned = await hub(['plan', 'echo stop', '--json'], {root})
    const id = (JSON.parse(planned.stdout) as {pending_id: string}).pending_id
    const {code, ms} = await stopTimed(daemon)
    expect(code).toBe(0)
    expect(ms).toBeLessThan(15_000)
    expect(receiver.records.some((r) => r.attrs['hub.pending_id'] === id)).toBe(true)
  })
})

describe('with the collector unreachable', () => {
  let root: string
  let daemon: DaemonProcess

  beforeAll(async () => {
    root = await tempRoot('hub-otel-down-')
    daemon = await startDaemonProcess(root, {
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `http://127.0.0.1:${await closedPort()}/v1/logs`,
      OTEL_BLRP_SCHEDULE_DELAY: '100',
      // One export gives up after 2 s of retries instead of 10 s, so that the test sees the failure soon.
      OTEL_EXPORTER_OTLP_TIMEOUT: '2000',
    })
  })
  afterAll(async () => {
    await daemon?.stop('SIGKILL')
    await removeRoot(root)
  })

  it('the lifecycle works, the audit is whole and verifies, and /health counts the failures', async () => {
    const t0 = Date.now()
    await lifecycle(root)
    // Nothing waited on the collector: a lifecycle takes what it takes without one (CLI starts dominate).
    expect(Date.now() - t0).toBeLessThan(30_000)
    const audit = await readLines(join(root, 'runtime', 'audit.log'))
    expect(audit.map((l) => l.seq)).toEqual(audit.map((_, i) => i + 1))
    const verify = await hub(['audit', 'verify'], {root})
    expect(verify.code).toBe(0)
    const body = await waitFor(async () => {
      const h = await health(daemon.base, root)
      const t = h.telemetry as {failed: number}
      return t.failed >= audit.length ? h : undefined
    }, 'the failed export counted')
    expect(body.telemetry).toMatchObject({exported: 0, failed: audit.length, last_error: expect.any(String)})
    // Only the contained-runs warning, if any: a collector that is down is no reason to be unhealthy.
    expect((body.reasons as string[]).filter((why) => !why.startsWith('Runs are not contained'))).toEqual([])
    expect(daemon.output()).toMatch(/WARNING \| hub\.otel \| Could not export/)
  })

  it('stops promptly', async () => {
    await hub(['plan', 'echo while-down', '--json'], {root})
    const {code, ms} = await stopTimed(daemon)
    expect(code).toBe(0)
    expect(ms).toBeLessThan(15_000)
  })
})
