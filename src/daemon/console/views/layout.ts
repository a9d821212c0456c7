/**
 * The page shell: landmarks in a fixed focus order (skip link, navigation, main), the one stylesheet
 * and the one script, both external (the CSP allows no inline script or style), and a live region
 * the script announces changes in.
 */
import {type Html, html} from '../html.js'

export type PageName = 'audit' | 'insights' | 'login' | 'queue' | 'request' | 'run' | 'runs'

export interface Assets {
  css: string
  js: string
}

export interface PageInput {
  assets: Assets
  body: Html
  /** data-* attributes of <body> the script reads (names without the prefix). */
  data?: Record<string, number | string>
  page: PageName
  /** Number of waiting requests, shown in the navigation. */
  pending?: number
  signedIn: boolean
  title: string
}

const NAV: Array<{href: string; label: string; pages: PageName[]}> = [
  {href: '/', label: 'Queue', pages: ['queue', 'request']},
  {href: '/console/runs', label: 'Runs', pages: ['runs', 'run']},
  {href: '/console/audit', label: 'Audit', pages: ['audit']},
  {href: '/console/insights', label: 'Insights', pages: ['insights']},
]

function nav(input: PageInput): Html {
  const items = NAV.map(
    (n) =>
      html`<li>
        <a href="${n.href}" ${n.pages.includes(input.page) ? html` aria-current="page"` : ''}
          >${n.label}${
            n.href === '/' && input.pending !== undefined
              ? html` <span class="count" id="nav-pending">(${input.pending})</span>`
              : ''
          }</a
        >
      </li>`,
  )
  return html`<nav aria-label="Console">
      <ul>
        ${items}
      </ul>
    </nav>
    <div class="end">
      <span id="stream" class="hint" role="status"></span><button type="button" id="logout">Sign out</button>
    </div>`
}

export function page(input: PageInput): string {
  const data = Object.entries(input.data ?? {}).map(([k, v]) => html` data-${k}="${String(v)}"`)
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${input.title} · hub</title>
        <link rel="stylesheet" href="${input.assets.css}" />
        <script src="${input.assets.js}" defer></script>
      </head>
      <body data-page="${input.page}" ${data}>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top"><span class="brand">hub</span>${input.signedIn ? nav(input) : ''}</header>
        <main id="main" tabindex="-1">${input.body}</main>
        <div id="announce" class="sr" aria-live="polite"></div>
      </body>
    </html>`.toString()
}
