/**
 * The decision behind `hub hook <agent>`: the command goes to the daemon's policy (`POST /plan`
 * with `executor: "agent"`), then to a human when the verdict is ask; only an operator's approval or
 * an operator's allow rule ever answers allow. Everything else — a policy deny, an operator deny,
 * expiry, withdrawal, an edit the agent would not run, an unreachable daemon, our own deadline —
 * answers deny. The post-tool hook reports what the agent says happened.
 */
import type {HubClient} from '../client.js'
import type {RequestStatus} from '../records.js'
import type {HookCall} from './agents.js'
import type {HookState} from './state.js'

import {isHubError} from '../errors.js'

export type Decision = {allow: false; reason: string} | {allow: true; pendingId: string; reason: string}

export interface DecideDeps {
  client: HubClient
  /** Epoch ms by which a decision must be made (below the agent's own hook timeout). */
  deadline: number
  /** Reports progress on stderr (the agents show or log it; never stdout). */
  log: (line: string) => void
  state: HookState
}

/** Time kept back from the deadline to take the request back and answer. */
const RESERVE_MS = 2500

interface PlanAnswer {
  command_sha256?: string
  decision: 'allow' | 'ask' | 'deny'
  pending_id: string
  queued: boolean
  state?: string
}

function deny(reason: string): Decision {
  return {allow: false, reason}
}

function why(error: unknown): string {
  if (isHubError(error)) {
    if (error.code === 'policy_denied') return error.message
    if (error.code === 'daemon_unreachable') return `hub daemon unreachable (${error.message}); refused to be safe`
    if (error.code === 'unauthorized' || error.code === 'forbidden')
      return `hub refused the agent token (${error.message}); refused to be safe`
    return `hub could not decide (${error.code}: ${error.message}); refused to be safe`
  }

  return `hub hook failed (${(error as Error)?.message ?? String(error)}); refused to be safe`
}

async function plan(call: HookCall, d: DecideDeps): Promise<PlanAnswer> {
  const body = {
    command: call.command,
    ...(call.note ? {note: call.note} : {}),
    ...(call.cwd ? {cwd: call.cwd} : {}),
    client: call.agent,
    ...(call.sessionId ? {session_id: call.sessionId} : {}),
    ...(call.toolUseId ? {tool_use_id: call.toolUseId} : {}),
    executor: 'agent' as const,
  }
  return (await d.client.call<PlanAnswer>('POST', '/plan', body)).body
}

/** An approved request is allowed only when the agent would run exactly what the operator approved. */
function verdictOf(status: RequestStatus, call: HookCall): Decision | undefined {
  const id = status.pending_id
  switch (status.state) {
    case 'approved': {
      if (status.edited || status.command !== call.command) {
        return deny(
          `the operator approved an edited command (${JSON.stringify(status.command)}), not this one; ` +
            `propose that command instead (hub request ${id})`,
        )
      }

      return {allow: true, pendingId: id, reason: `approved by the hub operator (request ${id})`}
    }

    case 'pending': {
      return undefined
    }

    case 'expired': {
      return deny(`no operator decided in time: hub request ${id} expired`)
    }

    case 'denied': {
      return deny(`denied by the hub operator${status.reason ? `: ${status.reason}` : ''} (request ${id})`)
    }

    case 'blocked': {
      return deny(`blocked by hub policy${status.reason ? `: ${status.reason}` : ''} (request ${id})`)
    }

    case 'withdrawn': {
      return deny(`hub request ${id} was withdrawn`)
    }

    default: {
      // executed, running, finished, interrupted: not a request this tool call may still run.
      return deny(`hub request ${id} is ${status.state}, not waiting to run`)
    }
  }
}

async function waitForOperator(id: string, call: HookCall, d: DecideDeps): Promise<Decision> {
  d.log(`hub: waiting for an operator to approve ${id} (hub approve ${id})`)
  for (;;) {
    const left = d.deadline - RESERVE_MS - Date.now()
    if (left < 1000) break
    const wait = Math.max(1, Math.min(25, Math.floor(left / 1000)))
    const status = (await d.client.call<RequestStatus>('GET', `/requests/${encodeURIComponent(id)}?wait=${wait}`)).body
    const v = verdictOf(status, call)
    if (v) return v
  }

  // Our own deadline: take the request back so that a late approval cannot allow what nobody runs.
  await d.client
    .call('POST', `/requests/${encodeURIComponent(id)}/withdraw`, {reason: `${call.agent} hook gave up waiting`})
    .catch(() => {})
  return deny(`no operator decision before the hook's deadline; hub request ${id} withdrawn`)
}

/** The pre-tool or approval decision for one shell command. */
export async function decide(call: HookCall, d: DecideDeps): Promise<Decision> {
  try {
    // The approval step of a call whose pre-tool hook already asked: the same request, not a second one.
    if (call.phase === 'permission') {
      const known = await d.state.lookup(call.keys)
      if (known && known.command === call.command) {
        const status = (await d.client.call<RequestStatus>('GET', `/requests/${encodeURIComponent(known.pending_id)}`))
          .body
        const v = verdictOf(status, call)
        if (v) return v
        return await waitForOperator(known.pending_id, call, d)
      }
    }

    const answer = await plan(call, d)
    await d.state.save(call.keys, {pending_id: answer.pending_id, command: call.command}).catch((error: Error) => {
      d.log(`hub: could not note request ${answer.pending_id} for the post-tool hook: ${error.message}`)
    })
    if (!answer.queued) {
      if (answer.state === 'approved')
        return {
          allow: true,
          pendingId: answer.pending_id,
          reason: `allowed by an operator rule (request ${answer.pending_id})`,
        }
      return deny(`hub did not queue request ${answer.pending_id} (${answer.state ?? answer.decision})`)
    }

    return await waitForOperator(answer.pending_id, call, d)
  } catch (error) {
    return deny(why(error))
  }
}

/** The post-tool hook: what the agent says happened, for the run record and `command_executed_by_agent`. */
export async function report(call: HookCall, d: DecideDeps): Promise<void> {
  const known = await d.state.take(call.keys)
  if (!known || !call.outcome) {
    d.log('hub: no hub request for this command (not decided by hub); nothing reported')
    return
  }

  try {
    await d.client.call('POST', `/requests/${encodeURIComponent(known.pending_id)}/outcome`, call.outcome)
  } catch (error) {
    d.log(`hub: could not report the outcome of ${known.pending_id}: ${(error as Error).message}`)
  }
}
