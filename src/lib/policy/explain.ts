/**
 * Verdicts and self-test results as text for a person (SPEC §4.5). Everything an agent wrote —
 * the command, the parsed words, reasons that quote them — goes through escapeControl, so nothing
 * in a command can move the cursor or hide text on the operator's terminal.
 */

import type {Style} from '../text/style.js'
import type {SelfTestResult} from './self-test.js'
import type {Decision, PolicyContext, Verdict} from './types.js'

import {escapeControl} from '../terminal-escape.js'
import {describeSlice} from './corpus/types.js'
import {isWithin} from './paths.js'

const safe = (text: string): string => escapeControl(text)

function paint(style: Style, decision: Decision, text: string): string {
  if (decision === 'deny') return style.red.bold(text)
  if (decision === 'ask') return style.yellow.bold(text)
  return style.green.bold(text)
}

export function formatVerdict(verdict: Verdict, opts: {ctx: PolicyContext; strict: boolean; style: Style}): string {
  const {style, ctx} = opts
  const lines: string[] = []
  lines.push(
    `${paint(style, verdict.decision, verdict.decision.toUpperCase())}  ${safe(verdict.reason)}`,
    '',
    style.bold(`Commands (${verdict.commands.length})`),
  )
  if (verdict.commands.length === 0) lines.push('  (none found)')
  for (const [i, c] of verdict.commands.entries()) {
    lines.push(
      `  ${i + 1}. ${safe(c.normalised ?? [c.program ?? '<unknown>', ...c.args].join(' '))}`,
      `     ${style.dim('written')}  ${safe(c.text)}`,
    )
    if (c.via.length > 0) lines.push(`     ${style.dim('via')}      ${safe(c.via.join(' → '))}`)
    if (c.opaque !== undefined) lines.push(`     ${style.dim('opaque')}   ${safe(c.opaque)}`)
  }

  lines.push('', style.bold(`Matches (${verdict.matches.length})`))
  if (verdict.matches.length === 0) lines.push('  (no rule matched)')
  for (const m of verdict.matches) {
    lines.push(`  ${paint(style, m.decision, m.decision.padEnd(5))} ${m.rule}  ${safe(m.reason)}`)
    if (m.command !== undefined) lines.push(`        ${style.dim('in')} ${safe(m.command)}`)
  }

  const by =
    verdict.rule ??
    (verdict.decision === 'deny' && opts.strict
      ? 'no rule matched (strict mode blocks it)'
      : 'no rule matched (default: an operator decides)')
  lines.push(
    '',
    `${style.bold('Decided by')} ${by}`,
    `${style.dim('cwd')} ${safe(ctx.cwd)}  ${style.dim('workspace')} ${safe(ctx.workspace)}`,
  )
  if (!isWithin(ctx.cwd, ctx.workspace))
    lines.push(
      style.yellow('note: this cwd is outside the workspace; the daemon refuses such requests (cwd:outside-workspace)'),
    )
  return lines.join('\n')
}

export function formatSelfTest(result: SelfTestResult, style: Style): string {
  const lines: string[] = []
  for (const f of result.failures) {
    const what = f.kind === 'example' ? `example of ${f.rule}` : f.kind === 'corpus' ? 'corpus' : `${f.kind} battery`
    lines.push(
      `${style.red('MISS')} ${what}: ${safe(f.command)}`,
      `     expected ${f.expected}, got ${f.got}: ${safe(f.reason)}`,
    )
  }

  if (lines.length > 0) lines.push('')
  const skipped = result.skipped > 0 ? ` (${result.skipped} battery cases skipped: their pack is switched off)` : ''
  const {corpus, evasion, examples, harmless} = result.counts
  const note = result.corpus.counted ? '' : ' (for information: packs are switched off or strict mode is on)'
  const summary = `policy test: ${result.passed} passed, ${result.failed} failed`
  lines.push(
    `${examples} rule examples, ${evasion} evasion cases, ${harmless} harmless cases, ${corpus} corpus cases${skipped}`,
    `${describeSlice('corpus, tuned slice', result.corpus.tuned)}${note}`,
    `${describeSlice('corpus, held-out slice', result.corpus.heldOut)}${note}`,
    result.failed > 0 ? style.red(summary) : style.green(summary),
  )
  return lines.join('\n')
}
