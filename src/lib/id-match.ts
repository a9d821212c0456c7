/**
 * Ids as people type them (issue 13): the whole id, or any unique start or end of it (`1c8a3f2e`,
 * `20261128_1340`). An abbreviation that fits several waiting requests is refused with the candidates,
 * never guessed: approving the wrong command is worse than typing two more characters.
 */
import {HubError} from './errors.js'
import {ID_PATTERN} from './ids.js'

/** Shorter than this and a suffix is too likely to fit another request by chance. */
export const MIN_ABBREVIATION = 4

/** The id `typed` stands for among `known`; throws not_found or usage (ambiguous) when there is none. */
export function matchId(typed: string, known: readonly string[]): string {
  const t = typed.trim()
  if (ID_PATTERN.test(t)) return t
  if (!/^[\d_a-f]+$/.test(t) || t.length < MIN_ABBREVIATION) {
    throw new HubError(
      'not_found',
      `No request ${JSON.stringify(t.slice(0, 80))}: ` +
        `give a whole id or at least ${MIN_ABBREVIATION} of its first or last characters.`,
      {hint: 'See the waiting ids with `hub pending`.'},
    )
  }

  const hits = known.filter((id) => id.startsWith(t) || id.endsWith(t))
  if (hits.length === 1) return hits[0]!
  if (hits.length === 0) {
    throw new HubError('not_found', `No waiting request starts or ends with ${t}.`, {
      hint: 'It may have been decided already; see `hub denied` and `hub runs`.',
    })
  }

  const shown = hits.slice(0, 5).join(', ')
  throw new HubError('usage', `${t} fits ${hits.length} waiting requests (${shown}${hits.length > 5 ? ', …' : ''}).`, {
    hint: 'Type more of the id.',
    details: {candidates: hits.slice(0, 20)},
  })
}

/** Every typed id resolved, duplicates removed, in the order given. */
export function matchIds(typed: readonly string[], known: readonly string[]): string[] {
  return [...new Set(typed.map((t) => matchId(t, known)))]
}

/** A short handle for an id in a cut mark: its random end, which `matchId` accepts. */
export function shortId(id: string): string {
  return ID_PATTERN.test(id) ? id.slice(-8) : id
}
