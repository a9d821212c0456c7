/**
 * Durations for people (issue 13: `up 241.8s` read badly): the largest two units that matter,
 * `850 ms`, `4.2 s`, `4 min 2 s`, `3 h 5 min`, `2 d 4 h`. Machine output (`--json`, the audit log)
 * keeps its numbers; this is only for what a person reads.
 */

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

export interface DurationOptions {
  /**
   * Whole seconds below a minute (`7 s`, not `7.25 s`): for a counter that ticks once a second, where
   * changing decimals would only flicker.
   */
  wholeSeconds?: boolean
}

/** `850 ms`, `4.25 s`, `42.1 s`, `4 min 2 s`, `3 h 5 min`, `2 d 4 h`; `-` for what is not a duration. */
export function formatDuration(ms: null | number | undefined, opts: DurationOptions = {}): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '-'
  if (opts.wholeSeconds && ms < MINUTE) return `${Math.floor(ms / SECOND)} s`
  if (ms < 10) return `${Number(ms.toFixed(1))} ms`
  if (ms < SECOND) return `${Math.round(ms)} ms`
  // Rounding 59.96 s up to "60.0 s" would read as a minute that the next form writes differently.
  if (ms < 10 * SECOND) return `${(Math.floor(ms / 10) / 100).toFixed(2)} s`
  if (ms < MINUTE) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`
  const total = Math.floor(ms / SECOND)
  const d = Math.floor(total / 86_400)
  const h = Math.floor((total % 86_400) / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  if (ms >= DAY) return h === 0 ? `${d} d` : `${d} d ${h} h`
  if (ms >= HOUR) return m === 0 ? `${h} h` : `${h} h ${m} min`
  return s === 0 ? `${m} min` : `${m} min ${s} s`
}

/** A duration given in seconds (`uptime_seconds`), for people. */
export function formatSeconds(seconds: null | number | undefined, opts: DurationOptions = {}): string {
  return typeof seconds === 'number' ? formatDuration(seconds * SECOND, opts) : '-'
}
