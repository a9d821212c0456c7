/**
 * Starts, on this host, the runs approved from anywhere (SPEC §7.8): a claim approved on another
 * host's daemon — or on this one's while it was down — waits, not started, until this host's daemon
 * takes it. Woken by approval lines from the shared audit, and by a slow timer in case a line was missed.
 */
import type {Gateway} from '../../gateway.js'
import type {Logger} from '../../logger.js'
import type {ClaimedRequest} from '../../records.js'
import type {PostgresHubStore} from './store.js'

import {requestFields} from '../../request-records.js'
import {resolveCwd} from '../../workspace.js'

const POLL_MS = 2000

/**
 * The approving daemon could not look at this host's workspace: the cwd is checked here, where it
 * runs, and a cwd that now leads outside is refused (recorded interrupted, never run).
 */
async function startOne(store: PostgresHubStore, gateway: Gateway, workspace: string, claimed: ClaimedRequest) {
  const where = await resolveCwd(workspace, claimed.cwd).catch(() => ({outside: claimed.cwd}))
  if ('outside' in where) {
    await store.updateClaim({...claimed, state: 'interrupted'})
    await store.append({
      event: 'run_interrupted',
      ...requestFields(claimed),
      run_id: claimed.run_id,
      reason: 'cwd:outside-workspace',
    })
    return
  }

  await gateway.runs.execute({...claimed, cwd: where.cwd})
}

export function startHostRunner(store: PostgresHubStore, gateway: Gateway, workspace: string, log: Logger): () => void {
  let busy = false
  let again = false
  let stopped = false
  const sweep = (): void => {
    if (stopped) return
    if (busy) {
      again = true
      return
    }

    busy = true
    store
      .takeStartable()
      .then((claims) => {
        for (const claimed of claims) {
          // An agent runs its own approved commands; only hub's runs start here.
          if (claimed.state !== 'running') continue
          log.info(`Starting run ${claimed.run_id} of ${claimed.pending_id}, approved by ${claimed.approved_by.role}`)
          startOne(store, gateway, workspace, claimed).catch((error: Error) =>
            log.error(`Run ${claimed.run_id} failed: ${error.message}`),
          )
        }
      })
      .catch((error: Error) => log.warn(`Could not look for runs to start: ${error.message}`))
      .finally(() => {
        busy = false
        if (again) {
          again = false
          sweep()
        }
      })
  }

  const off = store.onEntry((entry) => {
    // Lines do not say where a request runs: any approval is worth one indexed look.
    if (entry.event === 'command_approved') sweep()
  })
  const timer = setInterval(sweep, POLL_MS)
  timer.unref()
  sweep()
  return () => {
    stopped = true
    off()
    clearInterval(timer)
  }
}
