/**
 * One request shown whole, for `hub pending --full`, `hub pending <id>`, `hub approve` and `hub review`
 * (issue 13): the command exactly as it will run (a real line break is `⏎` and starts an indented
 * line; a typed `\n` stays the two characters it is), where it runs, the agent's note and the policy's
 * explanation — nothing cut; long prose is wrapped to the terminal.
 */
import type {DeniedRequest, PendingRequest} from '../records.js'

import {formatTime, type Zone, zoneLabel} from '../audit/time-range.js'
import {formatAge, formatIn} from '../terminal.js'
import {renderPlain} from '../text/render.js'
import {displayWidth, fitCell, flexWidths, layoutTable, wrapText} from '../text/table.js'

type Style = {
  bold(s: string): string
  dim(s: string): string
  red(s: string): string
  yellow(s: string): string
}

export interface ViewOptions {
  /** Also list every rule that matched and every simple command the policy found. */
  explain?: boolean
  /** Team mode: this daemon's host; requests of other hosts get a Host column (they run there). */
  hostHere?: string
  style: Style
  width: number | undefined
  zone: Zone
}

const LABEL = 10

function label(name: string): string {
  return `  ${name}:`.padEnd(LABEL + 1)
}

/** Agent text under a label: every line after the first indented to the value column. */
function valueLines(text: string, s: Style): string {
  return renderPlain(text, {multiline: true, indent: ' '.repeat(LABEL + 1), style: s.yellow})
}

function prose(name: string, text: string, o: ViewOptions): string {
  const width = o.width === undefined ? Number.POSITIVE_INFINITY : Math.max(20, o.width - LABEL - 1)
  const lines = wrapText(renderPlain(text), width)
  return label(name) + lines.join('\n' + ' '.repeat(LABEL + 1))
}

/** The time of an ISO stamp in the chosen zone, with how long ago or how soon. */
function when(iso: string, zone: Zone, relative: (d: Date) => string): string {
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) return renderPlain(iso)
  return `${formatTime(ms, zone)} ${zoneLabel(zone, new Date(ms))} (${relative(new Date(ms))})`
}

export function describePending(req: PendingRequest, o: ViewOptions): string {
  const s = o.style
  const client = req.client ? ` (${renderPlain(req.client)})` : ''
  const out: string[] = [
    `${s.bold(req.pending_id)}  ${s.dim(`from ${req.actor.role} ${renderPlain(req.actor.token)}${client}`)}`,
    label('command') + valueLines(req.command, s),
    label('cwd') + renderPlain(req.cwd),
  ]
  if (req.host && req.host !== o.hostHere) out.push(label('host') + `${renderPlain(req.host)} (runs there)`)
  if (req.note) out.push(prose('note', req.note, o))
  const limits = [`timeout ${req.timeout_s}s`]
  if (req.network === false) limits.push('no network')
  if (req.executor === 'agent') limits.push('the agent runs it itself')
  out.push(
    label('runs') + limits.join(', '),
    label('queued') + when(req.queued_at, o.zone, (d) => formatAge(d)),
    label('expires') + when(req.expires_at, o.zone, (d) => formatIn(d)),
    ...policyLines(req.policy, o),
  )
  return out.join('\n')
}

/** The verdict: decision, rule and reason in full; with `explain`, every match and every command seen. */
export function policyLines(policy: PendingRequest['policy'] | undefined, o: ViewOptions): string[] {
  if (!policy) return []
  const s = o.style
  const head = `${policy.decision}${policy.rule ? ` (rule ${renderPlain(policy.rule)})` : ''}`
  const out = [prose('policy', `${head}: ${policy.reason}`, o)]
  const unseen = policy.commands.filter((c) => c.opaque)
  for (const c of unseen) out.push(s.red(`  not analysed: ${renderPlain(c.text)}: ${renderPlain(c.opaque ?? '')}`))
  if (!o.explain) {
    if (policy.commands.length > 1)
      out.push(s.dim(`  ${policy.commands.length} commands inside; ? (or hub policy check) lists them`))
    return out
  }

  for (const c of policy.commands)
    out.push(s.dim(`    · ${renderPlain(c.text)}${c.via.length > 0 ? ` (via ${renderPlain(c.via.join(' → '))})` : ''}`))
  for (const m of policy.matches)
    out.push(s.dim(`    ${m.decision} ${renderPlain(m.rule)} [${renderPlain(m.pack)}]: ${renderPlain(m.reason)}`))
  return out
}

/** A denied, expired, withdrawn or blocked request in full. */
export function describeDenied(d: DeniedRequest, o: ViewOptions): string {
  const what = {expired: 'expired', operator: 'denied', policy: 'blocked by policy', withdrawn: 'withdrawn'}[d.by]
  const age = when(d.denied_at, o.zone, (x) => formatAge(x))
  const out = [
    `${o.style.bold(d.pending_id)}  ${o.style.red(what)}  ${o.style.dim(age)}`,
    label('command') + valueLines(d.command, o.style),
    label('cwd') + renderPlain(d.cwd),
  ]
  if (d.note) out.push(prose('note', d.note, o))
  out.push(prose('reason', d.reason || '(none given)', o))
  // The rule that refused it; for a request an operator decided, the verdict that sent it to them.
  if (d.policy?.rule && d.by === 'policy') out.push(label('rule') + renderPlain(d.policy.rule))
  else if (d.policy?.rule)
    out.push(label('policy') + `${renderPlain(d.policy.decision)} (rule ${renderPlain(d.policy.rule)})`)
  if (d.denied_by) out.push(label('by') + `${d.denied_by.role} ${renderPlain(d.denied_by.token)}`)
  const asked = new Date(d.ts * 1000)
  const queued = Number.isNaN(asked.getTime()) ? '' : `, queued ${when(asked.toISOString(), o.zone, formatAge)}`
  out.push(
    label('from') +
      `${d.actor.role} ${renderPlain(d.actor.token)}${d.client ? ` (${renderPlain(d.client)})` : ''}${queued}`,
  )
  return out.join('\n')
}

/**
 * An operator's edit, before it is approved: the command that would run instead, whole, beside the
 * one the agent asked for, so the difference is seen before `y`.
 */
export function describeEdit(original: string, edited: string | undefined, o: ViewOptions): string {
  const s = o.style
  if (edited === undefined) return s.dim('  The command is back to what the agent asked.')
  return [
    label('edited') + valueLines(edited, s),
    s.dim(label('was')) + valueLines(original, s),
    s.dim('  The policy checks the edited command again when you approve it.'),
  ].join('\n')
}

/**
 * What a bulk `hub approve`/`hub deny` is about to act on, oldest first: one entry per request with
 * who asked and the command whole (continuation lines indented under it), so a confirmation is given
 * to exactly what is listed.
 */
export function selectionList(list: readonly PendingRequest[], o: ViewOptions): string {
  const s = o.style
  return list
    .map((r) => {
      const who = `${r.actor.role} ${renderPlain(r.actor.token)}${r.client ? ` (${renderPlain(r.client)})` : ''}`
      const command = renderPlain(r.command, {multiline: true, indent: '    ', style: s.yellow})
      return `  ${s.bold(r.pending_id)}  ${s.dim(who)}\n    ${command}`
    })
    .join('\n')
}

/** The pending table: every column to the terminal's width, the command cut only with a mark. */
export function pendingTable(list: PendingRequest[], o: ViewOptions): string {
  // A Client column once any request came through an integration (a hook, MCP) rather than the plain API:
  // the operator should know which agent is asking.
  const clientOf = (r: PendingRequest): string => r.client ?? 'http'
  const showClient = list.some((r) => clientOf(r) !== 'http')
  const columns = [
    {head: 'PendingId'},
    {head: 'Queued'},
    ...(showClient ? [{head: 'Client'}] : []),
    {head: 'Command', flex: 3, min: 20},
    {head: 'Note', flex: 1, min: 8},
    {head: 'Policy', flex: 1, min: 8},
  ]
  const policyOf = (r: PendingRequest): string =>
    r.policy.rule ? `${r.policy.decision}: ${r.policy.rule}` : r.policy.decision
  const natural = [
    24,
    Math.max(6, ...list.map((r) => formatAge(new Date(r.queued_at)).length)),
    ...(showClient ? [Math.max(6, ...list.map((r) => displayWidth(renderPlain(clientOf(r)))))] : []),
    Math.max(7, ...list.map((r) => displayWidth(renderPlain(r.command)))),
    Math.max(4, ...list.map((r) => displayWidth(renderPlain(r.note)))),
    Math.max(6, ...list.map((r) => displayWidth(renderPlain(policyOf(r))))),
  ]
  const w = flexWidths(columns, natural, o.width)
  const c = showClient ? 1 : 0
  const rows = list.map((r) => [
    r.pending_id,
    formatAge(new Date(r.queued_at)),
    ...(showClient ? [renderPlain(clientOf(r))] : []),
    fitCell(r.command, w[2 + c], `hub pending ${r.pending_id.slice(-8)}`),
    fitCell(r.note, w[3 + c]),
    fitCell(policyOf(r), w[4 + c]),
  ])
  // Team mode: a Host column once any request runs on a host other than this one.
  if (list.some((r) => r.host !== undefined && r.host !== o.hostHere)) {
    columns.splice(1, 0, {head: 'Host'})
    for (const [i, row] of rows.entries()) row.splice(1, 0, renderPlain(list[i]?.host ?? ''))
  }

  return layoutTable(columns, rows, o.style.bold)
}
