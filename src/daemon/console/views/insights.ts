/** The insights page: the charts with their figures in tables, and the health panel. */
import {decisionsChart, percentileChart, topRulesChart} from '../charts.js'
import {type Html, html, truthful} from '../html.js'
import {DECISIONS, type HourFigures, type InsightSnapshot, MAX_SAMPLES, type Percentiles} from '../insights.js'
import {bytes, count, duration} from './format.js'

export interface HealthFigures {
  activeRuns: number
  auditBytes: number
  diskFree: null | number
  diskTotal: null | number
  memoryMb: number
  pending: number
  runs: number
  sandbox: string
  sandboxReason?: string | undefined
  uptimeSeconds: number
  version: string
  waitingRuns: number
}

function pct(p: Percentiles): string {
  return p.n === 0 ? '—' : `p50 ${duration(p.p50!)}, p95 ${duration(p.p95!)} (${count(p.n)})`
}

function hourTable(hours: HourFigures[]): Html {
  const rows = hours
    .filter((h) => DECISIONS.some((k) => h.counts[k] > 0) || h.run.n > 0 || h.decision.n > 0)
    .map(
      (h) =>
        html`<tr>
          <td>${new Date(h.start).toISOString().slice(11, 13)}:00</td>
          ${DECISIONS.map((k) => html`<td>${h.counts[k]}</td>`)}
          <td>${pct(h.run)}</td>
          <td>${pct(h.decision)}</td>
        </tr>`,
    )
  if (rows.length === 0) return html`<p class="hint">Nothing happened in the last 24 hours.</p>`
  return html`<details>
    <summary>Figures per hour</summary>
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th>Hour (UTC)</th>
            ${DECISIONS.map((k) => html`<th>${k}</th>`)}
            <th>Run duration</th>
            <th>Time to decision</th>
          </tr>
        </thead>
        <tbody>
          ${rows}
        </tbody>
      </table>
    </div>
  </details>`
}

function legend(keys: string[]): Html {
  return html`<p class="legend" aria-hidden="true">
    ${keys.map((k) => html`<span><i class="k-${k}"></i>${k}</span>`)}
  </p>`
}

/** The sandbox by name, or a plain warning (with the reason, when known) that runs are not contained. */
function sandboxCell(h: HealthFigures): Html | string {
  if (h.sandbox !== 'none') return h.sandbox
  const reason = h.sandboxReason ? html`: ${truthful(h.sandboxReason)}` : ''
  return html`<strong>none</strong> — runs are not contained${reason}`
}

export function healthPanel(h: HealthFigures): Html {
  const disk =
    h.diskFree === null || h.diskTotal === null
      ? 'unknown'
      : `${bytes(h.diskFree)} free of ${bytes(h.diskTotal)}${h.diskFree / h.diskTotal < 0.05 ? ' — nearly full' : ''}`
  return html`<section class="panel" aria-labelledby="h-health">
    <h2 id="h-health">Health</h2>
    <dl class="meta">
      <dt>Sandbox</dt>
      <dd>${sandboxCell(h)}</dd>
      <dt>Disk (runtime)</dt>
      <dd>${disk}</dd>
      <dt>Audit log</dt>
      <dd>${bytes(h.auditBytes)}</dd>
      <dt>Runs</dt>
      <dd>${h.activeRuns} running, ${h.waitingRuns} waiting for a slot, ${count(h.runs)} recorded</dd>
      <dt>Queue</dt>
      <dd>${h.pending} waiting for a decision</dd>
      <dt>Daemon</dt>
      <dd>hub ${h.version}, up ${duration(h.uptimeSeconds * 1000)}, ${h.memoryMb} MB</dd>
    </dl>
  </section>`
}

export function insightsBody(s: InsightSnapshot, health: HealthFigures): Html {
  const sampled = s.sampled
    ? html`<p class="hint">Busy hours: percentiles are over the first ${count(MAX_SAMPLES)} samples of each hour.</p>`
    : ''
  return html`<h1>Insights <span class="count">last 24 hours, hours in UTC</span></h1>
    <div class="grid">
      <section class="panel" aria-labelledby="h-dec">
        <h2 id="h-dec">Decisions per hour</h2>
        ${legend([...DECISIONS])}${decisionsChart(s.hours, DECISIONS)}
      </section>
      <section class="panel" aria-labelledby="h-rules">
        <h2 id="h-rules">Rules that block most</h2>
        ${topRulesChart(s.topRules)}
      </section>
      <section class="panel" aria-labelledby="h-run">
        <h2 id="h-run">Run durations</h2>
        ${legend(['p50', 'p95'])}${percentileChart(s.hours, (h) => h.run, 'run durations')}
        <p>Over the window: ${pct(s.run)}</p>
      </section>
      <section class="panel" aria-labelledby="h-ttd">
        <h2 id="h-ttd">Time to decision</h2>
        ${legend(['p50', 'p95'])}${percentileChart(s.hours, (h) => h.decision, 'times to decision')}
        <p>Over the window: ${pct(s.decision)}</p>
      </section>
      ${healthPanel(health)}
    </div>
    ${sampled} ${hourTable(s.hours)}`
}
