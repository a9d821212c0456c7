/**
 * The queue page: every waiting request, newest first, kept live by the script from `/events`
 * (from the audit seq the page was drawn at, so nothing between drawing and connecting is missed),
 * and the two dialogs every decision goes through: a click or a key opens one, which shows the
 * command again and asks for the optional comment, and only its own button acts.
 */
import type {PendingRequest} from '../../../lib/records.js'

import {type Html, html} from '../html.js'
import {requestCard} from './request.js'

export function decisionDialogs(): Html {
  return html`<dialog id="decide" aria-labelledby="decide-title">
      <form method="dialog">
        <h2 id="decide-title">Decide</h2>
        <pre class="cmd" id="decide-cmd" aria-label="Command you are deciding on"></pre>
        <label for="decide-comment">Comment (optional)</label
        ><textarea id="decide-comment" rows="2" maxlength="1000"></textarea>
        <div class="error" id="decide-error" role="alert" hidden></div>
        <div class="actions">
          <button type="submit" value="confirm" id="decide-confirm">Confirm</button
          ><button type="submit" value="cancel" formnovalidate>Cancel</button>
        </div>
      </form>
    </dialog>
    <dialog id="edit" aria-labelledby="edit-title">
      <form method="dialog">
        <h2 id="edit-title">Edit, then approve</h2>
        <p class="hint">
          The policy checks the edited command again; a refusal stays a refusal. The agent is told that what ran differs
          from what it asked.
        </p>
        <label for="edit-command">Command</label
        ><textarea
          id="edit-command"
          rows="5"
          maxlength="10000"
          required
          spellcheck="false"
          autocapitalize="off"
        ></textarea>
        <label for="edit-cwd">Working directory</label
        ><input id="edit-cwd" maxlength="500" spellcheck="false" autocapitalize="off" />
        <label for="edit-timeout">Timeout (seconds)</label
        ><input id="edit-timeout" type="number" min="1" max="3600" step="1" />
        <label for="edit-comment">Comment (optional)</label
        ><textarea id="edit-comment" rows="2" maxlength="1000"></textarea>
        <div class="refusal" id="edit-error" role="alert" hidden></div>
        <div class="actions">
          <button type="submit" value="confirm" class="approve" id="edit-confirm">Approve edited command</button
          ><button type="submit" value="cancel" formnovalidate>Cancel</button>
        </div>
      </form>
    </dialog>`
}

export function queueBody(pending: PendingRequest[], now: number, total = pending.length): Html {
  const cards = pending.map((r) => requestCard(r, {now, link: true}))
  return html`<h1>Queue <span class="count" id="queue-count">${total} waiting</span></h1>
    ${
      total > pending.length
        ? html`<p class="warn">
            Showing the newest ${pending.length} of ${total} waiting requests; decide some to see the rest, or use
            <code>hub pending</code>.
          </p>`
        : ''
    }
    <p class="hint">
      Keys: <kbd>j</kbd>/<kbd>k</kbd> move, <kbd>a</kbd> approve, <kbd>d</kbd> deny, <kbd>e</kbd> edit — each opens a
      confirmation. New requests appear here by themselves.
    </p>
    <p id="queue-empty" class="hint" ${pending.length > 0 ? html` hidden` : ''}>No requests are waiting.</p>
    <ol class="queue" id="queue" aria-label="Waiting requests">
      ${cards}
    </ol>
    ${decisionDialogs()}`
}
