/**
 * The web console in a real Chromium against the real daemon (issue 15 "Done when"): sign in through
 * `hub open --print-url`, see a request appear without reload, read its explanation, approve, deny
 * with a comment, edit then approve, see an edit into `rm -rf /` refused, search the audit; and
 * screenshots of each page at 1280 and 375 px in test-output/console/.
 */
/* eslint-disable unicorn/prefer-dom-node-text-content --
   Playwright's Locator.innerText (what a person sees), not the DOM property. */
import type {Browser, Page} from 'playwright-core'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {
  call,
  HAVE_CHROMIUM,
  launchBrowser,
  loginUrl,
  operatorToken,
  plan,
  screenshot,
  signIn,
  until,
  warnIfNoChromium,
} from './console-helpers.js'
import {type DaemonProcess, removeRoot, startDaemonProcess, tempRoot} from './helpers.js'

warnIfNoChromium('console browser tests (test/console.test.ts)')

const card = (page: Page, id: string) => page.locator(`#req-${id}`)

describe.skipIf(!HAVE_CHROMIUM)('console in a real browser', () => {
  let root: string
  let daemon: DaemonProcess
  let browser: Browser
  let page: Page
  let opToken: string
  /** A link issued at the start and used only after it expired, at the end. */
  let staleLink: {expires: number; url: string}

  const status = async (id: string): Promise<Record<string, unknown>> =>
    (await call(daemon, 'GET', `/requests/${id}`, {headers: {'x-agent-token': opToken}})).json()

  beforeAll(async () => {
    root = await tempRoot('hub-console-')
    daemon = await startDaemonProcess(root)
    opToken = await operatorToken(root)
    browser = await launchBrowser()
    const url = await loginUrl(root)
    staleLink = {url, expires: Date.now() + 60_000}
  })

  afterAll(async () => {
    await browser?.close()
    await daemon?.stop()
    if (root) await removeRoot(root)
  })

  it('signs in through hub open --print-url, and the code leaves the address bar', async () => {
    ;({page} = await signIn(browser, root))
    expect(page.url()).not.toContain('code=')
    const cookies = await page.context().cookies()
    const session = cookies.find((c) => c.name === 'hub_session')
    expect(session?.httpOnly).toBe(true)
    expect(session?.sameSite).toBe('Strict')
    // The CSRF token is in this origin's storage only, never in a page.
    const csrf = await page.evaluate<null | string>("localStorage.getItem('hub.csrf')")
    expect(csrf).toMatch(/^[\w-]{43}$/)
    expect(await page.content()).not.toContain(csrf)
  })

  it('shows a request queued by hub plan without reload, explains it, approves it and shows its output', async () => {
    const id = await plan(root, String.raw`echo hello-from-hub; printf "col1\tcol2\n"`, 'first request\u202E evil')
    await card(page, id).waitFor({timeout: 20_000})
    // Truthful: the note's RLO is drawn as a mark, not obeyed.
    await expect(card(page, id).locator('dd').filter({hasText: 'first request'}).innerText()).resolves.toContain(
      '⟨U+202E RLO⟩',
    )
    await card(page, id).getByText('Policy explanation').click()
    await card(page, id)
      .getByRole('heading', {name: /Commands as parsed/})
      .waitFor()
    expect(await card(page, id).locator('details.why').innerText()).toContain('echo')
    await screenshot(page, 'queue-1280')

    await card(page, id).getByRole('button', {name: 'Approve', exact: true}).click()
    const dialog = page.getByRole('dialog')
    await dialog.waitFor()
    expect(await dialog.locator('pre').innerText()).toContain('echo hello-from-hub')
    await dialog.getByRole('button', {name: 'Approve and run'}).click()
    const runLink = card(page, id).getByRole('link', {name: /View run/})
    await runLink.waitFor({timeout: 20_000})
    await runLink.click()
    await page.locator('#out-stdout').filter({hasText: 'hello-from-hub'}).waitFor({timeout: 30_000})
    expect(await page.locator('#out-stdout').innerText()).toContain('col1\tcol2')
    await screenshot(page, 'run-1280')
    expect((await status(id)).state).toBe('finished')
  })

  it("follows a running command's output live, then shows its record", async () => {
    await page.goto(new URL('/', daemon.base).href)
    const id = await plan(root, 'for i in $(seq 1 20); do echo tick-$i; sleep 0.5; done')
    await card(page, id).waitFor({timeout: 20_000})
    await card(page, id).getByRole('button', {name: 'Approve', exact: true}).click()
    await page.getByRole('button', {name: 'Approve and run'}).click()
    const runLink = card(page, id).getByRole('link', {name: /View run/})
    await runLink.waitFor({timeout: 20_000})
    await runLink.click()
    await page
      .locator('#live-out')
      .filter({hasText: /tick-\d+/})
      .waitFor({timeout: 20_000})
    await screenshot(page, 'run-live-1280')
    // When the run ends the page shows the record, with the whole output.
    await page.locator('#out-stdout').filter({hasText: 'tick-20'}).waitFor({timeout: 60_000})
  })

  it('denies a request with a comment', async () => {
    await page.goto(new URL('/', daemon.base).href)
    const id = await plan(root, 'echo to-be-denied')
    await card(page, id).waitFor({timeout: 20_000})
    await card(page, id).getByRole('button', {name: 'Deny', exact: true}).click()
    await page.getByLabel('Comment (optional)').first().fill('not today')
    await page.getByRole('button', {name: 'Deny request'}).click()
    await card(page, id).locator('.outcome').filter({hasText: 'Denied'}).waitFor({timeout: 20_000})
    const s = await status(id)
    expect(s.state).toBe('denied')
    expect(s.reason).toBe('not today')
  })

  it('uses the keyboard: j/k move, a asks to confirm before anything happens', async () => {
    const a = await plan(root, 'echo key-one')
    const b = await plan(root, 'echo key-two')
    await card(page, b).waitFor({timeout: 20_000})
    await card(page, a).waitFor({timeout: 20_000})
    await page.locator('body').click({position: {x: 5, y: 5}})
    await page.keyboard.press('j')
    await page.keyboard.press('k')
    await page.keyboard.press('a')
    const dialog = page.getByRole('dialog')
    await dialog.waitFor()
    // Nothing was decided by the key alone.
    expect((await status(b)).state).toBe('pending')
    await page.keyboard.press('Escape')
    await dialog.waitFor({state: 'hidden'})
    expect((await status(a)).state).toBe('pending')
    expect((await status(b)).state).toBe('pending')
  })

  it('edits a request into a harmless command and approves it', async () => {
    const id = await plan(root, 'cat /etc/hostname')
    await card(page, id).waitFor({timeout: 20_000})
    await card(page, id).getByRole('button', {name: 'Edit', exact: true}).click()
    await page.getByRole('textbox', {name: 'Command', exact: true}).fill('echo edited-by-operator')
    await page.getByRole('button', {name: 'Approve edited command'}).click()
    await card(page, id)
      .locator('.outcome')
      .filter({hasText: /Approved with your edit/})
      .waitFor({timeout: 20_000})
    const s = await until('the edited run to finish', async () => {
      const st = await status(id)
      return st.state === 'finished' ? st : undefined
    })
    expect(s.edited).toBe(true)
    expect(s.command).toBe('echo edited-by-operator')
    expect(s.original_command).toBe('cat /etc/hostname')
    const run = await call(daemon, 'GET', `/runs/${String(s.run_id)}`, {headers: {'x-agent-token': opToken}})
    expect(run.json().stdout).toBe('edited-by-operator\n')
  })

  it('refuses an edit into rm -rf / and shows the refusal; the request stays pending', async () => {
    const id = await plan(root, 'echo harmless')
    await card(page, id).waitFor({timeout: 20_000})
    await card(page, id).getByRole('button', {name: 'Edit', exact: true}).click()
    await page.getByRole('textbox', {name: 'Command', exact: true}).fill('rm -rf /')
    await page.getByRole('button', {name: 'Approve edited command'}).click()
    const refusal = page.locator('#edit-error')
    await refusal.waitFor({timeout: 20_000})
    expect(await refusal.innerText()).toMatch(/refused by the policy/i)
    await screenshot(page, 'edit-refused-1280')
    await page.keyboard.press('Escape')
    expect((await status(id)).state).toBe('pending')
  })

  it('searches the audit', async () => {
    await page.goto(new URL('/console/audit', daemon.base).href)
    await page.getByLabel('Command matches (regex)').fill('hello-from-hub')
    await page.getByRole('button', {name: 'Search'}).click()
    await page.waitForURL(/grep=hello-from-hub/)
    const rows = page.locator('#audit-rows tbody tr')
    expect(await rows.count()).toBeGreaterThan(0)
    for (const text of await rows.allInnerTexts()) expect(text).toContain('hello-from-hub')
    expect(await page.locator('#chain').innerText()).toContain('Intact')
    await page.getByLabel('Command matches (regex)').fill('no-such-command-anywhere')
    await page.getByRole('button', {name: 'Search'}).click()
    await page.locator('#audit-none').waitFor()
  })

  it('draws the pages at 1280 and 375 px (screenshots in test-output/console/)', async () => {
    const id = await plan(root, 'for i in 1 2 3; do\n\techo "line $i"\ndone', 'multi-line, with a tab')
    for (const width of [1280, 375]) {
      await page.setViewportSize({width, height: width === 375 ? 812 : 900})
      await page.goto(new URL('/', daemon.base).href)
      await card(page, id).waitFor()
      expect(await card(page, id).locator('pre.cmd').innerText()).toContain('⏎')
      await screenshot(page, `queue-${width}`)
      await page.goto(new URL(`/console/requests/${id}`, daemon.base).href)
      await page.getByText('Policy explanation').click()
      await screenshot(page, `request-${width}`)
      await page.goto(new URL('/console/runs', daemon.base).href)
      await page.locator('tbody tr a').first().click()
      await page.locator('#out-stdout').waitFor()
      await screenshot(page, `run-${width}`)
      await page.goto(new URL('/console/audit', daemon.base).href)
      await screenshot(page, `audit-${width}`)
      await page.goto(new URL('/console/insights', daemon.base).href)
      await page.locator('svg.chart').first().waitFor()
      await screenshot(page, `insights-${width}`)
      // Nothing wider than the screen at 375 px: the page scrolls only downwards.
      if (width === 375) {
        for (const path of ['/', '/console/insights', `/console/requests/${id}`]) {
          await page.goto(new URL(path, daemon.base).href)
          const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')
          expect(overflow, path).toBeLessThanOrEqual(0)
        }
      }
    }

    await page.setViewportSize({width: 1280, height: 900})
  })

  it('refuses a reused login link and an expired one', async () => {
    const context = await browser.newContext()
    const fresh = await context.newPage()
    const url = await loginUrl(root)
    await fresh.goto(url)
    await fresh.waitForURL((u) => u.pathname === '/')
    const again = await context.newPage()
    await again.goto(url)
    await again
      .getByRole('alert')
      .filter({hasText: /already used or has expired/})
      .waitFor({timeout: 20_000})
    // The link from the start of the suite: wait (on the clock, not a fixed sleep) until it has expired.
    await until(
      'the first link to expire',
      async () => (Date.now() > staleLink.expires + 1000 ? true : undefined),
      90_000,
    )
    await again.goto(staleLink.url)
    await again
      .getByRole('alert')
      .filter({hasText: /already used or has expired/})
      .waitFor({timeout: 20_000})
    await context.close()
  }, 120_000)
})
