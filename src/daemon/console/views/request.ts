/**
 * A waiting request as the operator reviews it: the whole command drawn truthfully (never cut), where
 * it runs, who asked and why, how old it is and when it expires, the policy's explanation with what
 * it could not analyse said loudly, and the three actions. The approval is bound to the SHA-256 of
 * exactly the command drawn here (data-sha256).
 */
import {createHash} from 'node:crypto'

import type {PendingRequest, RequestStatus} from '../../../lib/records.js'

import {type Html, html, join, truthful} from '../html.js'
import {count, relative, utc} from './format.js'

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/** Lines and characters, said when the command is long enough that scrolling could hide part of it. */
function sizeNote(command: string): Html | string {
  const lines = command.split('\n').length
  if (lines < 4 && command.length < 300) return ''
  return html`<p class="hint">
    ${count(lines)} line${lines === 1 ? '' : 's'}, ${count([...command].length)} characters — shown whole; scroll inside
    the box.
  </p>`
}

function notAnalysed(req: PendingRequest): Html | string {
  const reasons = new Set<string>()
  const policy = req.policy as PendingRequest['policy'] & {unanalysed?: unknown}
  if (Array.isArray(policy.unanalysed)) for (const r of policy.unanalysed) if (typeof r === 'string') reasons.add(r)
  for (const c of policy.commands ?? []) if (c.opaque) reasons.add(`${c.text}: ${c.opaque}`)
  if (reasons.size === 0) return ''
  const items = [...reasons].map((r) => html`<li>${truthful(r)}</li>`)
  return html`<div class="warn" role="note">
    <strong>Not analysed:</strong> the policy could not see through part of this command, so it cannot vouch for it.
    <ul>
      ${items}
    </ul>
  </div>`
}

export function explanation(req: PendingRequest): Html {
  const p = req.policy
  const commands = (p.commands ?? []).map((c) => {
    const parsed = c.normalised ?? [c.program ?? '‹unknown›', ...c.args].join(' ')
    const via = c.via.length > 0 ? html` <span class="hint">via ${truthful(c.via.join(' → '))}</span>` : ''
    // The command as the agent wrote it, shown too when it reads differently from the parsed form.
    const written =
      c.text === (c.normalised ?? '')
        ? ''
        : html`<br /><span class="hint">written</span> <code>${truthful(c.text)}</code>`
    const opaque = c.opaque ? html`<br /><strong>not analysed:</strong> ${truthful(c.opaque)}` : ''
    return html`<li><code>${truthful(parsed)}</code>${via}${written}${opaque}</li>`
  })
  const matches = (p.matches ?? []).map(
    (m) =>
      html`<tr>
        <td><span class="badge b-${m.decision}">${m.decision}</span></td>
        <td><code>${m.rule}</code><br /><span class="hint">${m.pack}</span></td>
        <td>
          ${truthful(m.reason)}${
            m.command === undefined ? '' : html`<br /><span class="hint">in</span> <code>${truthful(m.command)}</code>`
          }
        </td>
      </tr>`,
  )
  return html`<details class="why">
    <summary>Policy explanation</summary>
    <p>
      <span class="badge b-${p.decision}">${p.decision}</span>
      ${truthful(p.reason)}${p.rule ? html` (rule <code>${p.rule}</code>)` : ''}
    </p>
    <h3>Commands as parsed (${p.commands?.length ?? 0})</h3>
    ${
      commands.length > 0
        ? html`<ol>
            ${commands}
          </ol>`
        : html`<p class="hint">None found.</p>`
    }
    <h3>Rules that matched (${p.matches?.length ?? 0})</h3>
    ${
      matches.length > 0
        ? html`<div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Decision</th>
                  <th>Rule</th>
                  <th>Reason</th>
                </tr>
              </thead>
              <tbody>
                ${matches}
              </tbody>
            </table>
          </div>`
        : html`<p class="hint">No rule matched.</p>`
    }
    <p class="hint">Evaluated ${utc(p.evaluated_at)}; the policy is evaluated again when you approve.</p>
  </details>`
}

export interface CardOptions {
  /**
   * In the queue: the heading links to the request's own page, and the explanation is fetched when
   * opened (it can be long; the queue page stays light). The request page draws it inline.
   */
  link?: boolean
  now: number
}

function lazyExplanation(id: string): Html {
  return html`<details class="why" data-explain="/console/fragments/requests/${id}/explanation">
    <summary>Policy explanation</summary>
    <p class="hint">Loading… (or see <a href="/console/requests/${id}">the request page</a>)</p>
  </details>`
}

export function requestCard(req: PendingRequest, opts: CardOptions): Html {
  const id = req.pending_id
  const sha = req.command_sha256 ?? sha256Hex(req.command)
  const who = [
    html`<span>${req.client ?? 'http'}</span>`,
    html`<span>agent <code>${req.actor?.token ?? '?'}</code></span>`,
    req.session_id ? html`<span>session <code>${truthful(req.session_id)}</code></span>` : '',
    req.host ? html`<span>host ${truthful(req.host)}</span>` : '',
  ]
  const heading = opts.link ? html`<a href="/console/requests/${id}">${id}</a>` : html`${id}`
  return html`<li
    class="req"
    id="req-${id}"
    data-id="${id}"
    data-sha256="${sha}"
    data-timeout="${req.timeout_s}"
    tabindex="-1"
    aria-labelledby="h-${id}"
  >
    <article>
      <div class="req-head">
        <h2 id="h-${id}">${heading}</h2>
        <span class="badge b-${req.policy.decision}">policy: ${req.policy.decision}</span
        ><span class="who">${who}</span>
      </div>
      <pre class="cmd" id="cmd-${id}" aria-label="Command">${truthful(req.command)}</pre>
      ${sizeNote(req.command)}
      <dl class="meta">
        <dt>cwd</dt>
        <dd><code class="cwd">${truthful(req.cwd)}</code></dd>
        ${
          req.note
            ? html`<dt>Note</dt>
                <dd>${truthful(req.note)}</dd>`
            : ''
        }
        <dt>Queued</dt>
        <dd>
          <time datetime="${req.queued_at}" data-rel>${relative(req.queued_at, opts.now)}</time>
          <span class="hint">${utc(req.queued_at)}</span>
        </dd>
        <dt>Expires</dt>
        <dd><time datetime="${req.expires_at}" data-rel>${relative(req.expires_at, opts.now)}</time></dd>
        <dt>Runs</dt>
        <dd>
          ${req.executor === 'agent' ? 'by the agent itself, once approved' : 'by hub'}; timeout ${req.timeout_s}
          s${req.network === false ? '; no network' : ''}
        </dd>
      </dl>
      ${notAnalysed(req)}${opts.link ? lazyExplanation(id) : explanation(req)}
      <div class="actions">
        <button type="button" class="approve" data-act="approve" aria-describedby="h-${id}">Approve</button
        ><button type="button" class="deny" data-act="deny" aria-describedby="h-${id}">Deny</button
        ><button type="button" data-act="edit" aria-describedby="h-${id}">Edit</button>
      </div>
      <p class="outcome" role="status"></p>
    </article>
  </li>`
}

/** A request that is no longer waiting: where it stands, and where its run is. */
export function statusPanel(status: RequestStatus): Html {
  const parts: Html[] = [
    html`<p><span class="badge">${status.state}</span> ${status.reason ? truthful(status.reason) : ''}</p>`,
  ]
  parts.push(html`<pre class="cmd" aria-label="Command">${truthful(status.command)}</pre>`)
  if (status.edited && status.original_command !== undefined)
    parts.push(
      html`<p class="warn">The operator edited this command before approving it. The agent asked for:</p>
        <pre class="cmd" aria-label="Command as asked">${truthful(status.original_command)}</pre>`,
    )
  if (status.run_id)
    parts.push(
      html`<p>
        <a href="/console/runs/${status.run_id}">Run ${status.run_id}</a>${
          status.exit_code === undefined || status.exit_code === null ? '' : html` — exit ${status.exit_code}`
        }
      </p>`,
    )
  return join(parts)
}
