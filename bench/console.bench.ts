import {spawn} from 'node:child_process'
/**
 * Console speed and weight (issue 15), side by side in one run, against the built daemon with a
 * typical queue (20 requests, a few of them long and multi-line; HUB_BENCH_QUEUE=N for another size):
 *  - bytes the queue page costs a browser (HTML + stylesheet + script, uncompressed): goal < 100 KB;
 *  - the daemon's time to answer the queue page, beside GET /pending (the same data as JSON) and
 *    GET /status;
 *  - first render (first contentful paint, from navigation start) in Chromium: goal < 200 ms.
 *    Skipped, and said so, when there is no Chromium.
 */
import {existsSync} from 'node:fs'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {gunzipSync} from 'node:zlib'
import {request} from 'undici'

const REPO = resolve(new URL('.', import.meta.url).pathname, '..')
const BIN = join(REPO, 'bin', 'run.js')
const CHROMIUM = process.env.HUB_CHROMIUM ?? '/usr/bin/chromium'
const QUEUE = Number(process.env.HUB_BENCH_QUEUE ?? 20)
const ROUNDS = 60

interface Daemon {
  agent: string
  base: string
  operator: string
  stop(): Promise<void>
}

async function startDaemon(root: string): Promise<Daemon> {
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AGENT_HUB_'))),
    AGENT_HUB_ROOT: root,
    AGENT_HUB_LOG_LEVEL: 'WARNING',
  }
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const deadline = Date.now() + 20_000
  let info: undefined | {base: string}
  while (!info) {
    if (Date.now() > deadline) throw new Error('daemon did not start')
    await new Promise((r) => {
      setTimeout(r, 50)
    })
    info = await readFile(join(root, 'runtime', 'daemon.json'), 'utf8').then(
      (t) => JSON.parse(t) as {base: string},
      () => undefined,
    )
  }

  return {
    base: info.base,
    agent: (await readFile(join(root, 'runtime', 'agent_hub_token.txt'), 'utf8')).trim(),
    operator: (await readFile(join(root, 'runtime', 'operator_token.txt'), 'utf8')).trim(),
    stop: () =>
      new Promise((res) => {
        child.once('exit', () => res())
        child.kill('SIGTERM')
      }),
  }
}

async function fetchText(
  url: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{bytes: number; headers: Record<string, string | string[] | undefined>; status: number; text: string}> {
  const res = await request(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? headers : {...headers, 'content-type': 'application/json'},
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const raw = Buffer.from(await res.body.arrayBuffer())
  const text = res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString() : raw.toString()
  return {status: res.statusCode, headers: res.headers, text, bytes: raw.length}
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!
}

async function timed(url: string, headers: Record<string, string>): Promise<number[]> {
  const ms: number[] = []
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now()
    const r = await fetchText(url, headers)
    if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status}`)
    ms.push(performance.now() - t0)
  }

  return ms.slice(5)
}

async function firstPaint(base: string, cookie: string): Promise<string | {login: number[]; queue: number[]}> {
  if (!existsSync(CHROMIUM)) return `skipped: no Chromium at ${CHROMIUM}`
  const {chromium} = await import('playwright-core')
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--no-first-run',
    ],
  })
  try {
    const context = await browser.newContext()
    const url = new URL(base)
    await context.addCookies([{name: 'hub_session', value: cookie, domain: url.hostname, path: '/'}])
    const page = await context.newPage()
    const measure = async (path: string): Promise<number[]> => {
      const fcp: number[] = []
      for (let i = 0; i < 12; i++) {
        await page.goto(`${base}${path}`, {waitUntil: 'load'})
        const t = await page.evaluate<null | number>(
          "new Promise((r) => { const e = performance.getEntriesByName('first-contentful-paint')[0]; " +
            'if (e) r(e.startTime); ' +
            'else new PerformanceObserver((l) => r(l.getEntries()[0].startTime))' +
            ".observe({type: 'paint', buffered: true}) })",
        )
        if (t !== null) fcp.push(t)
      }

      return fcp.slice(2)
    }

    // The sign-in page (a few hundred bytes, the same stylesheet and script) is the floor this machine sets.
    return {queue: await measure('/'), login: await measure('/console/login')}
  } finally {
    await browser.close()
  }
}

export async function run(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'hub-bench-console-'))
  const d = await startDaemon(root)
  try {
    const agent = {'x-agent-token': d.agent}
    for (let i = 0; i < QUEUE; i++) {
      const long = i % 5 === 0
      const command = long
        ? Array.from({length: 40}, (_, k) => `echo "step ${k} of a long script" && ls -la /tmp/dir${k}`).join('\n')
        : `npm test -- --filter case-${i} && git status`
      const r = await fetchText(`${d.base}/plan`, agent, {command, note: `request ${i} from the bench`})
      if (r.status !== 200) throw new Error(`plan: HTTP ${r.status} ${r.text}`)
    }

    const link = await fetchText(`${d.base}/console/login-links`, {'x-agent-token': d.operator}, {})
    const {url} = JSON.parse(link.text) as {url: string}
    const code = url.slice(url.indexOf('#code=') + 6)
    const login = await fetchText(`${d.base}/console/login`, {origin: d.base}, {code})
    const cookie = /hub_session=([^;]+)/.exec(String(login.headers['set-cookie']))![1]!
    const session = {cookie: `hub_session=${cookie}`}

    // What a browser sends, and what it is sent back (compressed).
    const browserLike = {...session, 'accept-encoding': 'gzip, deflate, br'}
    const queue = await fetchText(`${d.base}/`, browserLike)
    const assets = [...queue.text.matchAll(/(?:href|src)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]!)
    let total = queue.bytes
    let uncompressed = Buffer.byteLength(queue.text)
    for (const a of assets) {
      const r = await fetchText(`${d.base}${a}`, browserLike)
      total += r.bytes
      uncompressed += Buffer.byteLength(r.text)
    }

    const pageMs = await timed(`${d.base}/`, browserLike)
    const pendingMs = await timed(`${d.base}/pending`, {'x-agent-token': d.operator})
    const statusMs = await timed(`${d.base}/status`, {})
    const fcp = await firstPaint(d.base, cookie)

    const kb = total / 1000
    const rows: Array<[string, string, string, string]> = [
      [
        `queue page, ${QUEUE} requests: HTML + CSS + JS`,
        `${kb.toFixed(1)} KB sent (${(uncompressed / 1000).toFixed(1)} KB unpacked)`,
        '< 100 KB',
        kb < 100 ? 'PASS' : 'FAIL',
      ],
      [
        'GET / (queue page), p50 / p95',
        `${quantile(pageMs, 0.5).toFixed(2)} / ${quantile(pageMs, 0.95).toFixed(2)} ms`,
        '',
        '',
      ],
      ['GET /pending (same data, JSON), p50', `${quantile(pendingMs, 0.5).toFixed(2)} ms`, 'reference', ''],
      ['GET /status, p50', `${quantile(statusMs, 0.5).toFixed(2)} ms`, 'reference', ''],
      ['queue page / JSON ratio (p50)', (quantile(pageMs, 0.5) / quantile(pendingMs, 0.5)).toFixed(2), '', ''],
    ]
    if (typeof fcp === 'string') rows.push(['first render in Chromium', fcp, '< 200 ms', 'SKIPPED'])
    else {
      rows.push(
        [
          'first render of the queue (FCP), p50 / max',
          `${quantile(fcp.queue, 0.5).toFixed(0)} / ${Math.max(...fcp.queue).toFixed(0)} ms`,
          '< 200 ms',
          quantile(fcp.queue, 0.5) < 200 ? 'PASS' : 'FAIL',
        ],
        ['first render of the sign-in page, p50', `${quantile(fcp.login, 0.5).toFixed(0)} ms`, 'reference', ''],
      )
    }

    console.log('\n## console')
    for (const [name, value, goal, verdict] of rows)
      console.log(`${name.padEnd(44)} ${value.padEnd(36)} ${goal.padEnd(10)} ${verdict}`)
  } finally {
    await d.stop()
    await rm(root, {recursive: true, force: true})
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run()
