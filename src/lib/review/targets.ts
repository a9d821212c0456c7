/**
 * Which waiting requests `hub approve` and `hub deny` act on (issue 13): ids as typed (whole, or a
 * unique start or end, `id-match.ts`), or `--all` narrowed by `--agent` and `--match`. An ambiguous
 * abbreviation is refused with the candidates and their commands, so the operator sees which to pick.
 */
import type {PendingRequest} from '../records.js'

import {HubError, isHubError} from '../errors.js'
import {matchIds} from '../id-match.js'
import {ID_PATTERN} from '../ids.js'
import {renderPlain} from '../text/render.js'

export interface Selection {
  /** `--agent`: the client kind (claude-code, mcp …) or the agent token's fingerprint. */
  agent?: string | undefined
  all: boolean
  ids: readonly string[]
  /** `--match`: a substring of the command, or `/regex/flags`. */
  match?: string | undefined
}

/** `--match` as a test on a command: `/…/flags` is a regular expression, anything else a substring. */
export function commandMatcher(match: string): (command: string) => boolean {
  const re = /^\/(.+)\/([dgimsuvy]*)$/s.exec(match)
  if (!re) return (command) => command.includes(match)
  let regex: RegExp
  try {
    // The global and sticky flags make `test` stateful between commands; they mean nothing here.
    regex = new RegExp(re[1]!, re[2]!.replaceAll(/[gy]/g, ''))
  } catch (error) {
    throw new HubError(
      'usage',
      `--match ${JSON.stringify(match)} is not a regular expression: ${(error as Error).message}`,
      {
        hint: 'Write /pattern/ for a regular expression (JavaScript syntax) or plain text for a substring.',
      },
    )
  }

  return (command) => regex.test(command)
}

/** Whether a request came from `agent`: its client kind or its token's fingerprint. */
export function fromAgent(req: PendingRequest, agent: string): boolean {
  return req.client === agent || req.actor.token === agent
}

/** Checks the words and flags make sense together before anything is fetched. */
export function checkSelection(s: Selection, verb: string): void {
  if (s.all && s.ids.length > 0)
    throw new HubError('usage', `Give ids or --all, not both.`, {
      hint: `hub ${verb} --all --agent <name> selects by agent.`,
    })
  if (!s.all && s.ids.length === 0)
    throw new HubError('usage', `Which request? Give its id (or a unique start or end of it), or --all.`, {
      hint: 'See the waiting ids with `hub pending`.',
    })
  if (!s.all && (s.agent !== undefined || s.match !== undefined))
    throw new HubError('usage', '--agent and --match narrow --all; add --all.', {
      hint: `hub ${verb} --all --match /pattern/ shows what it would ${verb} and asks first.`,
    })
}

/** Whether the ids can be used as they are, without listing what waits (every one is whole). */
export function allWhole(ids: readonly string[]): boolean {
  return ids.every((id) => ID_PATTERN.test(id.trim()))
}

/**
 * The ids selected among `waiting` (newest first, as `GET /pending` answers), oldest first: the order
 * in which they were asked.
 */
export function selectIds(s: Selection, waiting: readonly PendingRequest[]): string[] {
  if (s.all) {
    const matches = s.match === undefined ? () => true : commandMatcher(s.match)
    return waiting
      .filter((r) => (s.agent === undefined || fromAgent(r, s.agent)) && matches(r.command))
      .map((r) => r.pending_id)
      .reverse()
  }

  return matchIds(
    s.ids,
    waiting.map((r) => r.pending_id),
  )
}

/**
 * For an ambiguous abbreviation: each candidate with its whole command (marked), to print under the
 * error, so the operator sees which request is which before typing more of the id.
 */
export function candidateLines(error: unknown, waiting: readonly PendingRequest[]): string[] | undefined {
  const candidates = isHubError(error) ? error.details?.candidates : undefined
  if (!Array.isArray(candidates)) return undefined
  const byId = new Map(waiting.map((r) => [r.pending_id, r]))
  return candidates.map((id) => `  ${renderPlain(String(id))}  ${renderPlain(byId.get(String(id))?.command ?? '')}`)
}
