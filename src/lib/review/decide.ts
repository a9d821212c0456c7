/**
 * One request in front of the operator (`hub approve <id>` on a terminal, each step of `hub review`;
 * issue 13): the request whole and truthful, then one key — `y` approve, `n` deny (with an optional
 * reason), `e` edit, `?` the full explanation, and in a review `s` skip and `q` quit.
 *
 * The approval carries the SHA-256 of the command that was shown, so a request that changed meanwhile
 * is refused by the daemon. An edited command is sent as an edit of that request: the daemon checks it
 * with the policy again, and a refusal brings the operator back to the question (the request is still
 * waiting as the agent asked it).
 */
import {createHash} from 'node:crypto'

import type {PendingRequest} from '../records.js'
import type {KeyAction, TerminalPrompt} from './keys.js'

import {isHubError} from '../errors.js'
import {describeEdit, describePending, type ViewOptions} from '../output/request-view.js'
import {renderPlain} from '../text/render.js'
import {editCommand} from './editor.js'

export type Decision =
  | {
      /** The edited command, when the operator changed it. */
      command?: string | undefined
      /** SHA-256 of the command the operator was shown (the agent's, even when edited). */
      command_sha256: string
      kind: 'approve'
    }
  | {kind: 'deny'; reason?: string | undefined}

export type Outcome = 'approved' | 'denied' | 'interrupted' | 'quit' | 'skipped'

export interface DecideOptions {
  /** Carries out the decision. A refusal it throws that the operator can fix is shown and asked again. */
  act(decision: Decision): Promise<void>
  env?: NodeJS.ProcessEnv
  out: NodeJS.WritableStream
  prompt: TerminalPrompt
  /** In `hub review`: `s` skips to the next request and `q` ends the review. */
  review: boolean
  view: ViewOptions
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

/** Errors after which asking again makes sense: an edit the policy or the checks refused. */
function fixable(error: unknown): boolean {
  return isHubError(error) && (error.code === 'policy_denied' || error.code === 'validation_failed')
}

/** Sends an approval; false (after saying why) when the operator can fix the refusal and try again. */
async function tryAct(decision: Decision, o: DecideOptions): Promise<boolean> {
  const s = o.view.style
  try {
    await o.act(decision)
    return true
  } catch (error) {
    if (!fixable(error) || !isHubError(error)) throw error
    o.out.write(`${s.red('Refused:')} ${renderPlain(error.message)}\n`)
    const why = error.code === 'policy_denied' ? 'A deny stays a deny: edit' : 'Edit'
    o.out.write(s.dim(`${why} it again (e), or deny the request (n).`) + '\n')
    return false
  }
}

export async function decide(req: PendingRequest, o: DecideOptions): Promise<Outcome> {
  const s = o.view.style
  const allowed: KeyAction[] = ['approve', 'deny', 'edit', 'explain', ...(o.review ? (['skip', 'quit'] as const) : [])]
  const keys = `y approve · n deny · e edit · ? explain${o.review ? ' · s skip · q quit' : ''}`
  const help = s.dim(`Press one key: ${keys} (Ctrl-C stops).`)
  const shownSha = sha256Hex(req.command)
  let edited: string | undefined
  o.out.write(describePending(req, o.view) + '\n')
  for (;;) {
    const question = `${edited === undefined ? 'Approve?' : 'Approve the edited command?'} ${s.dim(`[${keys}]`)} `
    const action = await o.prompt.key(question, allowed, help)
    switch (action) {
      case 'approve': {
        if (await tryAct({kind: 'approve', command_sha256: shownSha, command: edited}, o)) return 'approved'
        continue
      }

      case 'deny': {
        const reason = await o.prompt.line('Reason (optional; Enter to deny, Ctrl-C to go back): ')
        if (reason === undefined) continue
        await o.act({kind: 'deny', reason: reason.trim() === '' ? undefined : reason.trim()})
        return 'denied'
      }

      case 'edit': {
        const result = await editCommand(edited ?? req.command, o.prompt, o.env)
        if (result.kind === 'edited') {
          edited = result.command === req.command ? undefined : result.command
          o.out.write(describeEdit(req.command, edited, o.view) + '\n')
        } else o.out.write(s.dim(`Not edited: ${result.why}.`) + '\n')
        continue
      }

      case 'explain': {
        o.out.write(describePending(req, {...o.view, explain: true}) + '\n')
        if (edited !== undefined) o.out.write(describeEdit(req.command, edited, o.view) + '\n')
        continue
      }

      case 'interrupt': {
        return 'interrupted'
      }

      case 'skip': {
        return 'skipped'
      }

      default: {
        // `q` and Ctrl-D: stop without deciding.
        return 'quit'
      }
    }
  }
}
