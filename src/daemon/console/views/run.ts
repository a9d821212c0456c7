/**
 * A run: what ran, how it ended (exit code, time out, interruption), what it cost, how it was
 * contained, and its output — escaped, drawn truthfully, paged when long, and never cut without
 * saying where and why. A run still going shows its output as it arrives (the script follows
 * `run_output` events).
 */
import type {RunRecord} from '../../../lib/records.js'

import {type Html, html, join, truthful} from '../html.js'
import {bytes, count, duration, utc} from './format.js'

/** Characters of output on one page; a page ends at the last line break inside it when there is one. */
export const OUTPUT_PAGE_CHARS = 64 * 1024

export interface OutputPage {
  end: number
  /** The page cut a line in two (no line break inside the page). */
  splitLine: boolean
  start: number
  text: string
}

/** Page boundaries are found by walking from the start, so page N is the same on every visit. */
export function outputPage(text: string, page: number, size = OUTPUT_PAGE_CHARS): OutputPage & {pages: number} {
  const bounds: Array<{end: number; splitLine: boolean; start: number}> = []
  let start = 0
  while (start < text.length || bounds.length === 0) {
    let end = Math.min(text.length, start + size)
    let splitLine = false
    if (end < text.length) {
      const nl = text.lastIndexOf('\n', end - 1)
      if (nl >= start) end = nl + 1
      else splitLine = true
      // Never split a surrogate pair: the half would show as a lone surrogate mark.
      // charCodeAt, not codePointAt: the question is whether this UTF-16 unit is a high surrogate.
      // eslint-disable-next-line unicorn/prefer-code-point
      const unit = text.charCodeAt(end - 1)
      if (splitLine && unit >= 0xd8_00 && unit <= 0xdb_ff) end--
    }

    bounds.push({start, end, splitLine})
    if (end >= text.length) break
    start = end
  }

  const i = Math.min(Math.max(page, 0), bounds.length - 1)
  const b = bounds[i]!
  return {...b, text: text.slice(b.start, b.end), pages: bounds.length}
}

function streamSection(record: RunRecord, stream: 'stderr' | 'stdout', page: number): Html {
  const text = record[stream]
  const written = record[`${stream}_bytes`]
  const cut = record[`${stream}_truncated`]
  const label = stream === 'stdout' ? 'Standard output' : 'Standard error'
  if (text === '' && !cut)
    return html`<section aria-labelledby="h-${stream}">
      <h2 id="h-${stream}">${label}</h2>
      <p class="hint">Nothing written.</p>
    </section>`
  const p = outputPage(text, page)
  const link = (n: number, what: string): Html =>
    html`<a href="?${stream}=${n}#h-${stream}" rel="${n < page ? 'prev' : 'next'}">${what}</a>`
  const pager =
    p.pages > 1
      ? html`<div class="pager">
          <span
            >Page ${Math.min(page, p.pages - 1) + 1} of ${p.pages} (characters ${count(p.start + 1)}–${count(p.end)} of
            ${count(text.length)})</span
          >${page > 0 ? link(page - 1, 'Previous page') : ''}${page < p.pages - 1 ? link(page + 1, 'Next page') : ''}
        </div>`
      : ''
  return html`<section aria-labelledby="h-${stream}">
    <h2 id="h-${stream}">${label}</h2>
    ${pager}
    <pre class="out" id="out-${stream}" tabindex="0" aria-label="${label}">${truthful(p.text, {output: true})}</pre>
    ${p.splitLine ? html`<p class="hint">This page ends inside a long line; it continues on the next page.</p>` : ''}${
      cut
        ? html`<p class="warn" role="note">
            Output cut at the limit: the command wrote ${bytes(written)} (${count(written)} bytes) to ${stream}; hub
            kept the first ${bytes(Buffer.byteLength(text))} and counted the rest.
          </p>`
        : ''
    }
  </section>`
}

export function runBody(record: RunRecord, pages: {stderr: number; stdout: number}): Html {
  const ended = record.timed_out
    ? html`<span class="badge b-bad">timed out</span>`
    : record.interrupted
      ? html`<span class="badge b-bad">interrupted</span>`
      : record.exit_code === 0
        ? html`<span class="badge b-ok">exit 0</span>`
        : html`<span class="badge b-bad">exit ${String(record.exit_code)}</span>`
  const rows: Html[] = [
    html`<dt>Exit code</dt>
      <dd>${String(record.exit_code)} ${ended}</dd>`,
    html`<dt>Duration</dt>
      <dd>${duration(record.duration_ms)}</dd>`,
    html`<dt>Started</dt>
      <dd>${utc(record.started_at)}</dd>
      <dt>Finished</dt>
      <dd>${utc(record.finished_at)}</dd>`,
    html`<dt>cwd</dt>
      <dd><code>${truthful(record.cwd)}</code></dd>`,
    html`<dt>Resources</dt>
      <dd>
        ${record.peak_rss_mb === null ? 'memory not measured' : `peak ${record.peak_rss_mb} MB`},
        ${record.cpu_ms === null ? 'CPU not measured' : `CPU ${duration(record.cpu_ms)}`}
      </dd>`,
    html`<dt>Sandbox</dt>
      <dd>
        ${
          record.sandbox === undefined
            ? 'not recorded'
            : record.sandbox === 'none'
              ? html`<strong>none</strong> — ran uncontained`
              : record.sandbox
        }${record.network === false ? '; no network' : record.network ? '; network on' : ''}
      </dd>`,
    html`<dt>Approved by</dt>
      <dd>${record.approved_by ? `${record.approved_by.role} ${record.approved_by.token}` : '—'}</dd>`,
    html`<dt>Policy</dt>
      <dd>
        <span class="badge b-${record.policy.decision}">${record.policy.decision}</span>
        ${truthful(record.policy.reason)}
      </dd>`,
  ]
  if (record.pending_id)
    rows.push(
      html`<dt>Request</dt>
        <dd><a href="/console/requests/${record.pending_id}">${record.pending_id}</a></dd>`,
    )
  if (record.note)
    rows.push(
      html`<dt>Note</dt>
        <dd>${truthful(record.note)}</dd>`,
    )
  const {executor} = record as RunRecord & {executor?: unknown}
  if (typeof executor === 'string' && executor !== 'hub')
    rows.push(
      html`<dt>Ran by</dt>
        <dd>${executor} (reported by the agent; output is its excerpt)</dd>`,
    )
  return html`<h1>Run <code>${record.run_id}</code></h1>
    <pre class="cmd" aria-label="Command">${truthful(record.command)}</pre>
    <dl class="meta">${join(rows)}</dl>
    ${streamSection(record, 'stdout', pages.stdout)}${streamSection(record, 'stderr', pages.stderr)}`
}

/** A run that has started and not finished: the script appends its output as it arrives. */
export function runningBody(runId: string, pendingId: string | undefined, command: string | undefined): Html {
  return html`<h1>Run <code>${runId}</code> <span class="badge" id="run-state">running</span></h1>
    ${command === undefined ? '' : html`<pre class="cmd" aria-label="Command">${truthful(command)}</pre>`}
    ${pendingId ? html`<p><a href="/console/requests/${pendingId}">Request ${pendingId}</a></p>` : ''}
    <p class="hint" role="status" id="run-live">
      Output appears as the command writes it; the page shows the record when the run ends.
    </p>
    <h2>Output so far</h2>
    <pre class="out" id="live-out" tabindex="0" aria-label="Output so far"></pre>`
}

export interface RunRow {
  command: string
  duration_ms: number
  exit_code: null | number
  finished_at: string
  interrupted: boolean
  run_id: string
  timed_out: boolean
}

export function runsBody(rows: RunRow[], page: number, hasMore: boolean, total: number): Html {
  const body = rows.map(
    (r) =>
      html`<tr>
        <td><a href="/console/runs/${r.run_id}">${r.run_id}</a></td>
        <td>${r.timed_out ? 'timed out' : r.interrupted ? 'interrupted' : String(r.exit_code)}</td>
        <td>${duration(r.duration_ms)}</td>
        <td>
          <code class="cell">${truthful(r.command.length > 300 ? r.command.slice(0, 300) : r.command)}</code>${
            r.command.length > 300
              ? html` <span class="hint"
                  >(first 300 of ${count(r.command.length)} characters; the run page has all)</span
                >`
              : ''
          }
        </td>
      </tr>`,
  )
  const newer = page > 0 ? html`<a href="?page=${page - 1}" rel="prev">Newer</a>` : ''
  const older = hasMore ? html`<a href="?page=${page + 1}" rel="next">Older</a>` : ''
  return html`<h1>Runs <span class="count">${count(total)} in all</span></h1>
    ${
      rows.length === 0
        ? html`<p class="hint">No runs yet.</p>`
        : html`<div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Run</th>
                  <th>Exit</th>
                  <th>Duration</th>
                  <th>Command</th>
                </tr>
              </thead>
              <tbody>
                ${body}
              </tbody>
            </table>
          </div>`
    }
    <div class="pager">${newer}${older}</div>`
}
