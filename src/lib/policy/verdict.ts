/**
 * From the matches found in a request to its verdict: any deny wins, then any ask; `allow` only when
 * every command was allowed by an operator's rule and nothing about it was opaque; no match at all
 * is `ask` (or `deny` in strict mode).
 */

import type {Decision, ParsedCommand, RuleMatch, Verdict} from './types.js'

import {type Cmd, normalisedText} from './command.js'

export interface Found {
  /** Index of the command it is about, or -1 for the whole request. */
  readonly cmd: number
  readonly match: RuleMatch
  readonly network?: false | undefined
  readonly unanalysed?: boolean | undefined
}

export interface DecideOptions {
  /** The request, passed to `onMatch`. */
  readonly command: string
  readonly onMatch?: ((m: RuleMatch, command: string) => void) | undefined
  readonly strict: boolean
}

const RANK: Record<Decision, number> = {deny: 0, ask: 1, allow: 2}

interface Outcome {
  readonly deciding: Found | undefined
  readonly decision: Decision
  readonly reason: string
}

/** No rule denied or asked: allowed when every command is, else an operator decides (strict: refused). */
function withoutObjection(found: readonly Found[], judged: readonly Cmd[], strict: boolean): Outcome {
  const allowedBy = new Map<number, Found>()
  for (const f of found) if (f.match.decision === 'allow' && !allowedBy.has(f.cmd)) allowedBy.set(f.cmd, f)
  const blocked = judged.find((c) => !allowedBy.has(c.index) || c.dynamic || c.unseenArgs)
  if (judged.length > 0 && blocked === undefined) {
    const ids = [...new Set(judged.map((c) => allowedBy.get(c.index)?.match.rule))].join(', ')
    return {decision: 'allow', deciding: allowedBy.get((judged[0] as Cmd).index), reason: `allowed by ${ids}`}
  }

  const unmatched = blocked ?? judged[0]
  const partly = allowedBy.size > 0 && blocked !== undefined
  const what = unmatched ? `\`${unmatched.text.trim()}\`` : 'the request'
  if (strict) {
    const reason = partly ? `strict mode: ${what} is not allowed by any rule` : `strict mode: no rule matched ${what}`
    return {decision: 'deny', deciding: undefined, reason}
  }

  if (!partly) return {decision: 'ask', deciding: undefined, reason: 'no rule matched: an operator decides'}
  const reason =
    blocked?.dynamic || blocked?.unseenArgs
      ? `${what} is allowed by a rule but has parts only known at run time: an operator decides`
      : `not every command is allowed by a rule (${what} is not): an operator decides`
  return {decision: 'ask', deciding: undefined, reason}
}

export function decideVerdict(found: readonly Found[], cmds: readonly Cmd[], opts: DecideOptions): Verdict {
  const judged = cmds.filter((c) => !c.bare)
  const commands: ParsedCommand[] = judged.map((c) => toParsed(c))
  const first = (d: Decision): Found | undefined => found.find((f) => f.match.decision === d)
  const objection = first('deny') ?? first('ask')
  const {decision, deciding, reason} = objection
    ? {decision: objection.match.decision, deciding: objection, reason: objection.match.reason}
    : withoutObjection(found, judged, opts.strict)
  const ordered = [...found].sort((a, b) =>
    a === deciding ? -1 : b === deciding ? 1 : RANK[a.match.decision] - RANK[b.match.decision],
  )
  const matches = ordered.map((f) => f.match)
  if (opts.onMatch) for (const m of matches) opts.onMatch(m, opts.command)
  const verdict: Verdict = {decision, rule: deciding?.match.rule, reason, matches, commands}
  const unanalysed = [...new Set(found.filter((f) => f.unanalysed).map((f) => f.match.reason))]
  if (unanalysed.length > 0) verdict.unanalysed = unanalysed
  if (found.some((f) => f.network === false)) verdict.network = false
  return verdict
}

export function toParsed(cmd: Cmd): ParsedCommand {
  const parsed: ParsedCommand = {
    program: cmd.program,
    args: [...cmd.argv],
    text: cmd.text,
    via: [...cmd.via],
    normalised: normalisedText(cmd),
  }
  if (cmd.opaque !== undefined) parsed.opaque = cmd.opaque
  return parsed
}
