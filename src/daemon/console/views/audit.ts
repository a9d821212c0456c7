/**
 * The audit page: `hub audit`'s filters (event, since/until, grep, client, agent) as a plain GET form,
 * the matching lines newest first and paged, and the state of the hash chain.
 */
import type {AuditLine} from '../../../lib/audit/entry.js'
import type {ChainState} from '../audit-source.js'

import {CLIENT_KINDS} from '../../../lib/records.js'
import {type Html, html, join, truthful} from '../html.js'
import {count, duration, utc} from './format.js'

export interface AuditForm {
  agent: string
  client: string
  events: string[]
  grep: string
  since: string
  until: string
}

function detail(line: AuditLine): Html {
  const parts: Html[] = []
  if (typeof line.decision === 'string')
    parts.push(html`<span class="badge b-${line.decision}">${line.decision}</span>`)
  if (typeof line.exit_code === 'number' || line.exit_code === null)
    parts.push(html`exit ${String(line.exit_code)}${line.timed_out ? ' (timed out)' : ''}`)
  if (typeof line.duration_ms === 'number') parts.push(html`${duration(line.duration_ms)}`)
  if (typeof line.rule === 'string') parts.push(html`rule <code>${line.rule}</code>`)
  if (typeof line.reason === 'string' && line.reason) parts.push(html`${truthful(line.reason)}`)
  if (typeof line.note === 'string' && line.note)
    parts.push(html`<span class="hint">note:</span> ${truthful(line.note)}`)
  if (typeof line.role === 'string') parts.push(html`role ${line.role}`)
  return join(parts.map((p, i) => (i === 0 ? p : html` · ${p}`)))
}

function commandCell(line: AuditLine): Html | string {
  const full = typeof line.command_full === 'string' ? line.command_full : undefined
  const command = full ?? (typeof line.command === 'string' ? line.command : undefined)
  if (command === undefined) return ''
  const note =
    full === undefined && command.length >= 200
      ? html` <span class="hint">(the log keeps the first 200 characters)</span>`
      : ''
  return html`<code class="cell">${truthful(command)}</code>${note}`
}

function idCell(line: AuditLine): Html | string {
  const run = typeof line.run_id === 'string' ? line.run_id : undefined
  const pending = typeof line.pending_id === 'string' ? line.pending_id : undefined
  const links: Html[] = []
  if (pending) links.push(html`<a href="/console/requests/${pending}">${pending}</a>`)
  if (run && run !== pending && line.event !== 'command_blocked')
    links.push(html`run <a href="/console/runs/${run}">${run}</a>`)
  return join(links.map((l, i) => (i === 0 ? l : html`<br />${l}`)))
}

function who(line: AuditLine): Html {
  const actor = line.actor as undefined | {role?: unknown; token?: unknown}
  const client = typeof line.client === 'string' ? line.client : ''
  const role =
    actor && typeof actor.role === 'string' ? html` ${actor.role} <code>${String(actor.token ?? '')}</code>` : ''
  return html`${client}${role}`
}

export function chainPanel(chain: ChainState): Html {
  if (chain.missing)
    return html`<div class="panel">
      <h2>Hash chain</h2>
      <p class="hint">No audit log yet.</p>
    </div>`
  const extra = chain as ChainState & {key?: unknown; keyed?: unknown}
  return html`<div class="panel" id="chain">
    <h2>Hash chain</h2>
    ${
      chain.ok
        ? html`<p class="okbox">Intact: ${count(chain.lines)} lines, the last at seq ${chain.last_seq}.</p>`
        : html`<p class="refusal" role="alert">
            <strong>Broken</strong> at line
            ${chain.first_break?.line ?? '?'}${
              chain.first_break?.seq === null || chain.first_break?.seq === undefined
                ? ''
                : html` (seq ${chain.first_break.seq})`
            }:
            ${chain.first_break?.reason ?? 'unknown reason'}. Lines before it are intact up to seq ${chain.last_seq}.
          </p>`
    }${typeof extra.key === 'string' ? html`<p class="hint">Key: ${extra.key}</p>` : ''}
    <p class="hint">Checked ${utc(chain.checked_at)}, as <code>hub audit verify</code> does.</p>
  </div>`
}

export function auditBody(input: {
  chain: ChainState
  error?: string | undefined
  events: readonly string[]
  form: AuditForm
  hasOlder: boolean
  missing: boolean
  page: number
  query: string
  rows: AuditLine[]
  skipped: number
}): Html {
  const f = input.form
  const eventOptions = input.events.map(
    (e) => html`<option value="${e}" ${f.events.includes(e) ? html` selected` : ''}>${e}</option>`,
  )
  const clientOptions = ['', ...CLIENT_KINDS].map(
    (c) => html`<option value="${c}" ${f.client === c ? html` selected` : ''}>${c === '' ? 'any' : c}</option>`,
  )
  const rows = input.rows.map(
    (l) =>
      html`<tr>
        <td data-label="Time">
          <time datetime="${String(l.ts ?? '')}">${typeof l.ts === 'string' ? utc(l.ts) : ''}</time><br /><span
            class="hint"
            >#${String(l.seq ?? '')}</span
          >
        </td>
        <td data-label="Event">${l.event}</td>
        <td data-label="Request / run">${idCell(l)}</td>
        <td data-label="Who">${who(l)}</td>
        <td data-label="Detail">${detail(l)}</td>
        <td data-label="Command">${commandCell(l)}</td>
      </tr>`,
  )
  const base = input.query ? `?${input.query}&` : '?'
  const skipped =
    input.skipped > 0 ? html`<p class="warn">${count(input.skipped)} lines could not be read and were skipped.</p>` : ''
  return html`<h1>Audit</h1>
    <form class="filters" method="get" action="/console/audit" role="search" aria-label="Filter the audit log">
      <label
        >Event<select name="event" multiple size="3">
          ${eventOptions}
        </select></label
      >
      <label>Since<input name="since" value="${f.since}" placeholder="1h, 7d, 2025-01-15T14:30" /></label>
      <label>Until<input name="until" value="${f.until}" placeholder="same forms as since" /></label>
      <label
        >Command matches (regex)<input name="grep" value="${f.grep}" spellcheck="false" autocapitalize="off"
      /></label>
      <label
        >Client<select name="client">
          ${clientOptions}
        </select></label
      >
      <label
        >Agent (token fingerprint)<input name="agent" value="${f.agent}" spellcheck="false" autocapitalize="off"
      /></label>
      <div><button type="submit">Search</button> <a href="/console/audit">Clear</a></div>
    </form>
    ${input.error ? html`<p class="error" role="alert">${input.error}</p>` : ''} ${skipped}
    ${
      input.missing
        ? html`<p class="hint">No audit log yet.</p>`
        : input.rows.length === 0
          ? html`<p class="hint" id="audit-none">No line matches.</p>`
          : html`<div class="table-wrap">
              <table id="audit-rows" class="stack">
                <caption class="sr">
                  Matching audit lines, newest first
                </caption>
                <thead>
                  <tr>
                    <th>Time (UTC)</th>
                    <th>Event</th>
                    <th>Request / run</th>
                    <th>Who</th>
                    <th>Detail</th>
                    <th>Command</th>
                  </tr>
                </thead>
                <tbody>
                  ${rows}
                </tbody>
              </table>
            </div>`
    }
    <div class="pager">
      ${input.page > 0 ? html`<a href="${base}page=${input.page - 1}" rel="prev">Newer</a>` : ''}${
        input.hasOlder ? html`<a href="${base}page=${input.page + 1}" rel="next">Older</a>` : ''
      }
    </div>
    ${chainPanel(input.chain)}`
}
