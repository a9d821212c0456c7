/** What a shell word is made of (see words.ts): units with their quoting, and what only the running shell knows. */

import type {SyntaxNode} from './parser.js'

export type DynamicKind = 'arith' | 'cmd' | 'proc' | 'var'

/** A part of a word that only the running shell can produce. */
export interface Dynamic {
  /** For `${X:-default}` / `${X-default}`: the default, when it is literal. */
  readonly fallback?: string | undefined
  /** Walk group of the commands inside `$(…)`, backticks or `<(…)`. */
  readonly group?: number | undefined
  readonly kind: DynamicKind
  /** Parameter name for `var` (`HOME`, `1`, `@` …). */
  readonly name?: string | undefined
  /** For `$(…)`: what it prints when that is knowable without running anything (`$(echo rm)`). */
  readonly output?: string | undefined
}

/** One character (or one atomic expansion) of a word, with its quoting. */
export interface Unit {
  readonly ch: string
  readonly dyn?: Dynamic | undefined
  readonly quoted: boolean
}

export interface Word {
  /** Produced by brace expansion or by splitting on `$IFS`: the source shows it differently. */
  readonly derived: boolean
  /** Unquoted `*`, `?` or `[…]`: the shell may replace it with matching file names. */
  readonly glob: boolean
  /** Set when brace expansion would make more words than the engine reads: why (the word is refused). */
  readonly overflow?: string | undefined
  /** Literal text before the first expansion or unquoted glob character. */
  readonly prefix: string
  /** The whole word is one process substitution: the walk group of the commands producing it. */
  readonly procGroup?: number | undefined
  /** Source text as written. */
  readonly raw: string
  /** No run-time expansion: `value` is exactly what the program receives (pathname expansion aside). */
  readonly static: boolean
  /** Contains `$(…)`, backticks or process substitution. */
  readonly substitution: boolean
  /** Starts with an unquoted `~` (the home directory, which lies outside the workspace). */
  readonly tilde: boolean
  readonly units: readonly Unit[]
  /** Text after quote removal; run-time expansions keep their source text (`$HOME`). */
  readonly value: string
  /** Parameters expanded in it. */
  readonly vars: readonly string[]
}

/** Called for each `$(…)`, backtick and `<(…)`/`>(…)` met while reading a word; returns the walk group. */
export type NestedWalker = (node: SyntaxNode, kind: 'cmd' | 'proc') => number
