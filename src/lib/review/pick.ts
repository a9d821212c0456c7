/**
 * The steps `hub approve` and `hub deny` share before deciding (issue 13): find the requests the words
 * name, and for several, show them and have the operator confirm — the confirmation covers exactly
 * the list shown (each approval carries the hash of the command listed).
 */
import type {HubClient} from '../client.js'
import type {ViewOptions} from '../output/request-view.js'
import type {PendingRequest} from '../records.js'

import {HubError} from '../errors.js'
import {allWhole, candidateLines, checkSelection, selectIds, type Selection} from './targets.js'

export interface Picked {
  ids: string[]
  /** The requests as listed, by id, when they were listed (abbreviations, --all). */
  listed: Map<string, PendingRequest>
}

/**
 * The ids the operator means. Whole ids are used as typed (the daemon says if one is not waiting);
 * anything else is matched against the waiting list, and an ambiguous one is refused after the
 * candidates are written to `err`.
 */
export async function pickRequests(
  client: HubClient,
  selection: Selection,
  verb: string,
  opts: {
    err: NodeJS.WritableStream | undefined
    /** List what waits even for whole ids (to show them before a confirmation). */
    list: boolean
  },
): Promise<Picked> {
  checkSelection(selection, verb)
  if (!selection.all && !opts.list && allWhole(selection.ids)) {
    return {ids: [...new Set(selection.ids.map((id) => id.trim()))], listed: new Map()}
  }

  const waiting = await client.pending()
  const listed = new Map(waiting.map((r) => [r.pending_id, r]))
  try {
    return {ids: selectIds(selection, waiting), listed}
  } catch (error) {
    const lines = candidateLines(error, waiting)
    if (lines && opts.err) opts.err.write(`${lines.join('\n')}\n`)
    throw error
  }
}

/**
 * For several requests: lists them and asks once. Without a terminal, `--all` needs `--yes` (nobody
 * could see the list), while ids typed one by one are acted on as before.
 */
export async function confirmMany(
  picked: Picked,
  o: {
    all: boolean
    interactive: boolean
    out: NodeJS.WritableStream
    verb: 'approve' | 'deny'
    view: ViewOptions
    yes: boolean
  },
): Promise<boolean> {
  const s = o.view.style
  const shown = picked.ids.map((id) => picked.listed.get(id)).filter((r): r is PendingRequest => r !== undefined)
  if (!o.interactive) {
    if (o.all && !o.yes)
      throw new HubError(
        'usage',
        `--all ${o.verb === 'approve' ? 'approves' : 'denies'} without showing the list first: add --yes.`,
        {
          hint: `Run it on a terminal to see the list and confirm, or pick ids: hub ${o.verb} <id> <id> …`,
        },
      )
    return true
  }

  // Loaded only to show a list: a whole id given to a script never draws one (issue 13: start-up).
  const [{selectionList}, {renderPlain}, {TerminalPrompt}] = await Promise.all([
    import('../output/request-view.js'),
    import('../text/render.js'),
    import('./keys.js'),
  ])
  if (shown.length > 0) o.out.write(`${selectionList(shown, o.view)}\n`)
  for (const id of picked.ids)
    if (!picked.listed.has(id)) o.out.write(`  ${s.bold(renderPlain(id))}  ${s.dim('(not waiting)')}\n`)
  if (o.yes) return true
  const n = picked.ids.length
  const prompt = new TerminalPrompt(process.stdin, process.stdout)
  const which = n === 1 ? 'this request' : `these ${n} requests`
  const question = `${o.verb === 'approve' ? 'Approve' : 'Deny'} ${which}? ${s.dim('[y yes · n no]')} `
  const answer = await prompt.key(question, ['approve', 'deny'], s.dim('Press y or n.'))
  return answer === 'approve'
}
