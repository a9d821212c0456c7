/**
 * Team mode (SPEC §7.8): an operator approved, on this host, a request that runs on another. The
 * approval is recorded at once; `hub approve` (which waits by default) then waits for the other
 * host's run to finish, woken by the audit lines that reach this daemon from the shared store. If the
 * other host is down, the request stays approved and not started, and the answer says so (202).
 */
import type {ApproveOutcome, Gateway} from '../gateway.js'
import type {ClaimedRequest} from '../records.js'

/** Beyond the command's own timeout: time for the other host to notice and start it. */
const START_MARGIN_MS = 60_000

export async function awaitRunElsewhere(gateway: Gateway, claimed: ClaimedRequest): Promise<ApproveOutcome> {
  const id = claimed.pending_id
  const deadline = Date.now() + claimed.timeout_s * 1000 + START_MARGIN_MS
  const finished = async (): Promise<ApproveOutcome | undefined> => {
    const now = await gateway.store.getClaimed(id)
    if (!now || now.state === 'running' || now.state === 'approved') return undefined
    const record = await gateway.store.getRun(now.run_id)
    return record ? {record} : undefined
  }

  return new Promise<ApproveOutcome>((resolve) => {
    let checking = false
    let again = false
    const done = (outcome: ApproveOutcome): void => {
      gateway.off('change', onChange)
      clearTimeout(timer)
      clearInterval(poll)
      resolve(outcome)
    }

    const check = (): void => {
      if (checking) {
        again = true
        return
      }

      checking = true
      finished()
        .then((outcome) => {
          if (outcome) done(outcome)
          else if (Date.now() > deadline) done({started: claimed})
        })
        .catch(() => {})
        .finally(() => {
          checking = false
          if (again) {
            again = false
            check()
          }
        })
    }

    const onChange = (changed: string): void => {
      if (changed === id) check()
    }

    gateway.on('change', onChange)
    // The lines are the wake-up; a slow look covers a missed one.
    const poll = setInterval(check, 2000)
    const timer = setTimeout(() => done({started: claimed}), Math.max(0, deadline - Date.now()))
    check()
  })
}
