/**
 * Charts drawn by the server as inline SVG: no script, no library, no request of their own. Each is
 * an image with a text summary for screen readers, and its figures are also in a table below it.
 * Colours come from classes in the stylesheet (the CSP allows no inline style).
 */
import type {DecisionKind, HourFigures, Percentiles} from './insights.js'

import {type Html, html, join} from './html.js'
import {count, duration} from './views/format.js'

const W = 600
const H = 180
const PAD = {left: 64, right: 8, top: 12, bottom: 26}

function hourLabel(start: number): string {
  return new Date(start).toISOString().slice(11, 13)
}

/** A round upper bound for an axis: 1, 2, 5 × 10^n. */
export function niceMax(value: number): number {
  if (value <= 0) return 1
  const exp = 10 ** Math.floor(Math.log10(value))
  for (const m of [1, 2, 5, 10]) if (m * exp >= value) return m * exp
  return 10 * exp
}

function axes(max: number, format: (v: number) => string, hours: HourFigures[]): Html {
  const innerH = H - PAD.top - PAD.bottom
  const innerW = W - PAD.left - PAD.right
  const ticks = [0, 0.5, 1].map((f) => {
    const y = PAD.top + innerH * (1 - f)
    return html`<line class="ax" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y}" y2="${y}" /><text
        x="${PAD.left - 4}"
        y="${y + 4}"
        text-anchor="end"
        >${format(max * f)}</text
      >`
  })
  const step = innerW / hours.length
  const labels = hours
    .map((h, i) =>
      i % 3 === 0
        ? html`<text x="${(PAD.left + step * i + step / 2).toFixed(1)}" y="${H - 6}" text-anchor="middle"
            >${hourLabel(h.start)}</text
          >`
        : undefined,
    )
    .filter((x): x is Html => x !== undefined)
  return join([...ticks, ...labels])
}

export function decisionsChart(hours: HourFigures[], kinds: readonly DecisionKind[]): Html {
  const totals = hours.map((h) => kinds.reduce((s, k) => s + h.counts[k], 0))
  const max = niceMax(Math.max(0, ...totals))
  const innerH = H - PAD.top - PAD.bottom
  const step = (W - PAD.left - PAD.right) / hours.length
  const bars: Html[] = []
  for (const [i, h] of hours.entries()) {
    let y = PAD.top + innerH
    for (const k of kinds) {
      const n = h.counts[k]
      if (n === 0) continue
      const height = (n / max) * innerH
      y -= height
      bars.push(
        html`<rect
          class="c-${k}"
          x="${(PAD.left + step * i + 1).toFixed(1)}"
          y="${y.toFixed(1)}"
          width="${Math.max(1, step - 2).toFixed(1)}"
          height="${height.toFixed(1)}"
          ><title>${hourLabel(h.start)}:00 UTC: ${n} ${k}</title></rect
        >`,
      )
    }
  }

  const sum = Object.fromEntries(kinds.map((k) => [k, hours.reduce((s, h) => s + h.counts[k], 0)]))
  const tally = kinds.map((k) => `${sum[k]} ${k}`).join(', ')
  const label = `Decisions per hour over the last ${hours.length} hours: ${tally}.`
  return html`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${label}">
    ${axes(max, (v) => String(Math.round(v)), hours)}${join(bars)}
  </svg>`
}

export function topRulesChart(rules: Array<{count: number; rule: string}>): Html {
  if (rules.length === 0) return html`<p class="hint">Nothing was blocked in this window.</p>`
  const rowH = 22
  const height = rules.length * rowH + 8
  const labelW = 230
  const max = Math.max(...rules.map((r) => r.count))
  const rows = rules.map((r, i) => {
    const y = 4 + i * rowH
    const w = ((W - labelW - 50) * r.count) / max
    return html`<text x="${labelW - 6}" y="${y + 15}" text-anchor="end"
        >${r.rule.length > 36 ? r.rule.slice(0, 35) + '…' : r.rule}</text
      ><rect class="c-bar" x="${labelW}" y="${y + 3}" width="${Math.max(1, w).toFixed(1)}" height="${rowH - 8}"
        ><title>${r.rule}: ${r.count}</title></rect
      ><text x="${(labelW + w + 6).toFixed(1)}" y="${y + 15}">${count(r.count)}</text>`
  })
  const label = `Rules that blocked most: ${rules.map((r) => `${r.rule} ${r.count}`).join(', ')}.`
  return html`<svg class="chart" viewBox="0 0 ${W} ${height}" role="img" aria-label="${label}">${join(rows)}</svg>`
}

export function percentileChart(hours: HourFigures[], pick: (h: HourFigures) => Percentiles, what: string): Html {
  const values = hours.flatMap((h) => [pick(h).p50, pick(h).p95]).filter((v): v is number => v !== null)
  if (values.length === 0) return html`<p class="hint">No ${what} in this window.</p>`
  const max = niceMax(Math.max(...values))
  const innerH = H - PAD.top - PAD.bottom
  const step = (W - PAD.left - PAD.right) / hours.length
  const line = (key: 'p50' | 'p95'): Html => {
    const pts: string[] = []
    const dots: Html[] = []
    for (const [i, h] of hours.entries()) {
      const v = pick(h)[key]
      if (v === null) continue
      const x = (PAD.left + step * i + step / 2).toFixed(1)
      const y = (PAD.top + innerH * (1 - v / max)).toFixed(1)
      pts.push(`${x},${y}`)
      dots.push(
        html`<circle class="c-${key === 'p50' ? 'bar' : 'denied'}" cx="${x}" cy="${y}" r="3"
          ><title>${hourLabel(h.start)}:00 UTC ${key} ${duration(v)}</title></circle
        >`,
      )
    }

    return html`<polyline class="l-${key}" points="${pts.join(' ')}" />${join(dots)}`
  }

  return html`<svg
    class="chart"
    viewBox="0 0 ${W} ${H}"
    role="img"
    aria-label="${what}: p50 and p95 per hour (figures in the table below)."
  >
    ${axes(max, (v) => duration(v), hours)}${line('p50')}${line('p95')}
  </svg>`
}
