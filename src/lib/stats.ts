/**
 * Exact summary statistics over a stream of numbers (durations from the audit log). Percentiles are
 * exact, so every value is kept: one float64 each in a growing typed array — 8 bytes a value, about
 * 8 MB for a million executions — rather than a JS array of boxed numbers or an approximate sketch,
 * because an operator comparing `hub audit --stats` with jq expects the same figures.
 */

export interface Summary {
  /** null when there were no values. */
  average: null | number
  count: number
  max: null | number
  min: null | number
  p50: null | number
  p95: null | number
  p99: null | number
  total: number
}

export class NumberSample {
  private n = 0
  private sum = 0
  private values = new Float64Array(1024)

  get count(): number {
    return this.n
  }

  add(value: number): void {
    if (this.n === this.values.length) {
      const grown = new Float64Array(this.values.length * 2)
      grown.set(this.values)
      this.values = grown
    }

    this.values[this.n++] = value
    this.sum += value
  }

  /**
   * Nearest-rank percentiles: p95 is the smallest value that at least 95% of the values are at or
   * below, so it is always a value that was actually seen.
   */
  summary(): Summary {
    const {n} = this
    if (n === 0) return {count: 0, average: null, min: null, p50: null, p95: null, p99: null, max: null, total: 0}
    // A typed array sorts numerically (a plain array would sort as strings).
    const sorted = this.values.subarray(0, n).sort()
    const rank = (p: number): number => sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]!
    return {
      count: n,
      average: this.sum / n,
      min: sorted[0]!,
      p50: rank(0.5),
      p95: rank(0.95),
      p99: rank(0.99),
      max: sorted[n - 1]!,
      total: this.sum,
    }
  }
}
