/**
 * The policy corpus (issue 12): commands grouped by family, each family saying what a careful
 * operator wants (refused, or not refused) and where its cases come from. It measures recall and
 * precision on commands the rules were not written from; `hub policy test` and the test battery run
 * it. A fixed fifth of it (chosen by a hash of family and command, before any rule was tuned) is
 * held out: tuning looks only at the rest, and the held-out slice is measured at the end.
 */

export type Expectation = 'deny' | 'not-deny'

export interface Family {
  readonly cases: readonly string[]
  /** `deny`: a careful operator wants it refused; `not-deny`: ordinary work that must not be. */
  readonly expect: Expectation
  /** Short id, `<area>.<what>` (`git.history`, `db.sql-clients`, `dev.node` …). */
  readonly family: string
  /** Public sources the cases were built from (projects' test suites, technique catalogues, CI files …). */
  readonly sources: readonly string[]
}

export interface CorpusCase {
  readonly command: string
  readonly expect: Expectation
  readonly family: string
  readonly heldOut: boolean
  /** `base` as written in the family, or the wrapper that made this variant of it. */
  readonly variant: string
}

/** FNV-1a, 32 bits: a stable hash so the held-out slice never changes with the code. */
export function fnv1a(text: string): number {
  let h = 0x81_1c_9d_c5
  for (let i = 0; i < text.length; i++) {
    // UTF-16 code units, not code points: the held-out slice is defined by this hash and must not move.
    // eslint-disable-next-line unicorn/prefer-code-point
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01_00_01_93) >>> 0
  }

  return h
}

/** One case in five is held out, by family and base command (its variants go with it). */
export function isHeldOut(family: string, command: string): boolean {
  return fnv1a(`${family}\u0000${command}`) % 5 === 0
}

export interface SliceFigures {
  /** Dangerous cases allowed (must be 0). */
  readonly allowed: number
  readonly dangerous: number
  /** Dangerous cases refused (deny). */
  readonly denied: number
  readonly harmless: number
  /** Harmless cases refused (deny). */
  readonly overRefused: number
}

function pct(a: number, b: number): string {
  return b === 0 ? 'n/a' : `${((100 * a) / b).toFixed(1)}%`
}

export function describeSlice(name: string, s: SliceFigures): string {
  return (
    `${name}: ${pct(s.denied, s.dangerous)} of ${s.dangerous} dangerous refused, ` +
    `${pct(s.overRefused, s.harmless)} of ${s.harmless} harmless refused, ${s.allowed} dangerous allowed`
  )
}
