/** Figures for people: ages, durations, sizes. The browser refreshes ages in place (data-rel). */

export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '—'
  const abs = Math.abs(ms)
  if (abs < 1000) return `${Math.round(ms)} ms`
  if (abs < 60_000) return `${(ms / 1000).toFixed(abs < 10_000 ? 2 : 1)} s`
  const s = Math.round(abs / 1000)
  const d = Math.floor(s / 86_400)
  const h = Math.floor((s % 86_400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  if (d > 0) return `${d} d ${h} h`
  if (h > 0) return `${h} h ${m} min`
  return `${m} min ${s % 60} s`
}

/** "3 min ago" / "in 23 h 5 min" relative to now. */
export function relative(iso: string, now: number): string {
  const at = Date.parse(iso)
  if (Number.isNaN(at)) return iso
  const diff = at - now
  if (Math.abs(diff) < 1000) return 'now'
  return diff < 0 ? `${duration(-diff)} ago` : `in ${duration(diff)}`
}

export function bytes(n: number): string {
  if (!Number.isFinite(n)) return '—'
  if (n < 1024) return `${n} B`
  if (n < 1_048_576) return `${(n / 1024).toFixed(1)} KiB`
  if (n < 1_073_741_824) return `${(n / 1_048_576).toFixed(1)} MiB`
  return `${(n / 1_073_741_824).toFixed(2)} GiB`
}

export function count(n: number): string {
  return n.toLocaleString('en')
}

/** ISO time shown as `YYYY-MM-DD HH:MM:SS UTC` (the server does not know the browser's zone). */
export function utc(iso: string): string {
  const at = Date.parse(iso)
  if (Number.isNaN(at)) return iso
  return new Date(at).toISOString().replace('T', ' ').slice(0, 19) + ' UTC'
}
