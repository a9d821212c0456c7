/**
 * Durations as people say them (issue 13): `350 ms`, `1.2 s`, `3 min 4 s`, `2 h 5 min`. Precision
 * shrinks as the number grows: nobody reads the milliseconds of a three-minute run.
 */
export function humanDuration(ms: null | number | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '-'
  if (ms < 1000) return `${Math.round(ms)} ms`
  // Rounded first, so that 59.96 s reads `1 min 0 s`, never `60.0 s`.
  const tenths = Math.round(ms / 100)
  if (tenths < 600) return `${(tenths / 10).toFixed(1)} s`
  const seconds = Math.round(ms / 1000)
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`
  const minutes = Math.round(seconds / 60)
  if (minutes < 24 * 60) return `${Math.floor(minutes / 60)} h ${minutes % 60} min`
  const hours = Math.round(minutes / 60)
  return `${Math.floor(hours / 24)} d ${hours % 24} h`
}
