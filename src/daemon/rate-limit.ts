/**
 * Per-agent-token request budget (SPEC §5): a sliding window approximated by two fixed windows,
 * which costs two numbers per token and never lets a burst at a window edge double the budget.
 */
export class RateLimiter {
  private readonly windows = new Map<string, {current: number; previous: number; start: number}>()

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Counts one request; returns 0 when allowed, else the seconds to wait. */
  take(key: string, now = Date.now()): number {
    let w = this.windows.get(key)
    if (!w) {
      w = {start: now, current: 0, previous: 0}
      this.windows.set(key, w)
    }

    const elapsed = now - w.start
    if (elapsed >= this.windowMs) {
      const periods = Math.floor(elapsed / this.windowMs)
      w.previous = periods === 1 ? w.current : 0
      w.current = 0
      w.start += periods * this.windowMs
    }

    const weight = 1 - (now - w.start) / this.windowMs
    const estimate = w.previous * weight + w.current
    if (estimate + 1 > this.limit) {
      return Math.max(1, Math.ceil((w.start + this.windowMs - now) / 1000))
    }

    w.current++
    return 0
  }
}
