/**
 * Shared parts of the console tests: Chromium found (or a loud skip), a daemon with a signed-in
 * browser, and plain HTTP calls with a cookie, as an attacker holding one would make them.
 */
import {existsSync} from 'node:fs'
import {mkdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {type Browser, type BrowserContext, chromium, type Page} from 'playwright-core'
import {request} from 'undici'

import {type DaemonProcess, hub, REPO} from './helpers.js'

export const CHROMIUM = process.env.HUB_CHROMIUM ?? '/usr/bin/chromium'
export const HAVE_CHROMIUM = existsSync(CHROMIUM)
export const SHOTS = join(REPO, 'test-output', 'console')

export function warnIfNoChromium(what: string): void {
  if (HAVE_CHROMIUM) return
  const line = '*'.repeat(100)
  process.stderr.write(
    `\n${line}\n* SKIPPED: ${what}: no Chromium at ${CHROMIUM}.\n` +
      '* Install the Debian package (apt-get install chromium) or set HUB_CHROMIUM to a Chromium binary.\n' +
      `${line}\n\n`,
  )
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
}

export async function loginUrl(root: string): Promise<string> {
  const r = await hub(['open', '--print-url'], {root})
  if (r.code !== 0) throw new Error(`hub open failed (${r.code}): ${r.stderr}`)
  const url = r.stdout.trim().split('\n').at(-1)!
  if (!/\/console\/login#code=[\w-]+$/.test(url)) throw new Error(`unexpected hub open output: ${r.stdout}`)
  return url
}

/** Signs a fresh browser context in through `hub open --print-url`; returns the page on the queue. */
export async function signIn(
  browser: Browser,
  root: string,
  viewport?: {height: number; width: number},
): Promise<{context: BrowserContext; page: Page}> {
  const context = await browser.newContext({viewport: viewport ?? {width: 1280, height: 900}})
  const page = await context.newPage()
  await page.goto(await loginUrl(root))
  await page.waitForURL((u) => u.pathname === '/', {timeout: 20_000})
  await page.getByRole('heading', {name: /^Queue/}).waitFor({timeout: 20_000})
  return {context, page}
}

export async function operatorToken(root: string): Promise<string> {
  return (await readFile(join(root, 'runtime', 'operator_token.txt'), 'utf8')).trim()
}

export async function agentToken(root: string): Promise<string> {
  return (await readFile(join(root, 'runtime', 'agent_hub_token.txt'), 'utf8')).trim()
}

export interface Answer {
  body: string
  headers: Record<string, string | string[] | undefined>
  json: () => Record<string, unknown>
  status: number
}

/** One HTTP call with whatever headers a test (or an attacker) chooses. */
export async function call(
  daemon: DaemonProcess,
  method: 'GET' | 'POST',
  path: string,
  opts: {body?: unknown; headers?: Record<string, string>} = {},
): Promise<Answer> {
  const headers: Record<string, string> = {...opts.headers}
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  const res = await request(daemon.base + path, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  })
  const body = await res.body.text()
  return {status: res.statusCode, headers: res.headers, body, json: () => JSON.parse(body) as Record<string, unknown>}
}

/** Plans a command as the agent (the CLI) and returns its pending id. */
export async function plan(root: string, command: string, note?: string): Promise<string> {
  const args = ['plan', command, '--json', ...(note === undefined ? [] : ['--note', note])]
  const r = await hub(args, {root})
  if (r.code !== 0) throw new Error(`hub plan failed (${r.code}): ${r.stdout}${r.stderr}`)
  return (JSON.parse(r.stdout) as {pending_id: string}).pending_id
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SHOTS, {recursive: true})
  await page.screenshot({path: join(SHOTS, `${name}.png`), fullPage: true})
}

/** Waits for a condition with a generous deadline (a busy machine), never a fixed sleep. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => {
      setTimeout(r, 100)
    })
  }
}
