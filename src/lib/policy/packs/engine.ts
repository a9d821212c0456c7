/**
 * Fail-closed rules raised by the engine itself when it cannot see a command through: they never
 * allow and never pass silently. Listed here with examples so that explanation and `hub policy
 * test` treat them like any other rule. The engine pack cannot be switched off.
 */

import type {EngineRule} from '../rules.js'

export const ENGINE_LIMITS = {
  /** Characters in a request (SPEC §5 allows up to 10,000). */
  maxLength: 10_000,
  /** Syntax nodes in one parse, and in all re-parses of one request together (twice this). */
  maxNodes: 8000,
  /** Nesting depth of the syntax tree. */
  maxDepth: 128,
  /** Levels of code inside code (`bash -c "bash -c '…'"`). */
  maxRecursion: 6,
  /** Simple commands judged for one request. */
  maxCommands: 400,
  /**
   * Parser progress reports for one parse (tree-sitter reports every few hundred steps): a count of
   * work done, never a clock, so the same command gets the same verdict on a busy machine.
   */
  maxParseSteps: 1500,
  /** Words one brace expansion may produce (`{a,b}{c,d}` makes 4); more is refused, not cut short. */
  maxBraceWords: 256,
} as const

function engineRule(rule: Omit<EngineRule, 'kind' | 'pack'>): EngineRule {
  return {kind: 'engine', pack: 'engine', ...rule}
}

export const PARSE_ERROR = engineRule({
  id: 'engine.parse-error',
  decision: 'ask',
  unanalysed: true,
  reason: 'the command does not parse as shell: the engine cannot be sure what would run',
  examples: {
    match: ["echo 'unterminated", 'echo $(', 'if then fi', 'ls 3<>file'],
    not_match: ['ls -la', 'echo "a (b)"'],
  },
})

export const OVER_BUDGET = engineRule({
  id: 'engine.over-budget',
  // Every limit here is one an agent can reach on purpose: refusing is the only answer that cannot be
  // used to push a command past the engine (SPEC §4.2).
  decision: 'deny',
  reason: 'too complex to analyse (too long, too large, too deeply nested or expands too much); simplify or split it',
  examples: {
    match: [
      `echo ${'a '.repeat(5001)}`,
      `echo ${'$(echo '.repeat(140)}x${')'.repeat(140)}`,
      `${'eval '.repeat(8)}ls`,
      `rm -rf / ; echo ${'{a,b}'.repeat(400)}`,
      'echo {a,b,c,d}{a,b,c,d}{a,b,c,d}{a,b,c,d}{a,b}',
    ],
    not_match: ['ls -la', "bash -c 'ls'"],
  },
})

export const OPAQUE_COMMAND = engineRule({
  id: 'engine.opaque-command',
  decision: 'ask',
  unanalysed: true,
  reason:
    'the command name is built at run time (variable, substitution or glob): the engine cannot see which program runs',
  examples: {
    match: ['$CMD --version', '"$X" arg', 'r*m file', '${TOOL:-make} all', '/usr/bin/$P x'],
    not_match: ['ls -la', 'rm ./x', 'echo $CMD', 'X=ls; $X -la', '$(which ls) -la', '$(echo ls) -la', '`printf ls` x'],
  },
})

export const INVISIBLE = engineRule({
  id: 'engine.invisible-chars',
  decision: 'ask',
  reason: 'the command holds control, bidi or zero-width characters: what it shows may not be what runs',
  examples: {
    match: ['ls\u202E -la', 'echo a\u200Bb', 'ls\u001B[2J', 'ls -la\r'],
    not_match: ['ls -la', 'echo "héllo wörld"', String.raw`printf 'a\tb'`],
  },
})

export const NUL_BYTE = engineRule({
  id: 'engine.nul-byte',
  decision: 'deny',
  reason: 'the command holds a NUL byte: the shell would run something other than what is shown',
  examples: {match: ['ls\u0000 -la', 'echo hi\u0000; rm -rf /'], not_match: ['ls -la']},
})

export const engineRules: readonly EngineRule[] = [PARSE_ERROR, OVER_BUDGET, OPAQUE_COMMAND, INVISIBLE, NUL_BYTE]
