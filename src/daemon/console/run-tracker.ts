/**
 * Runs the console has seen approved or started and not yet seen end, from the live events: the run
 * page of a run that has no record yet (approved and waiting for a slot, or running) shows it live
 * instead of "not found". Bounded, since an end can be missed (a crash).
 */
const MAX_TRACKED = 1000

export interface TrackedRun {
  command: string | undefined
  pendingId: string | undefined
  state: 'approved' | 'running'
}

export class RunTracker {
  private readonly runs = new Map<string, TrackedRun>()

  get(runId: string): TrackedRun | undefined {
    return this.runs.get(runId)
  }

  observe(data: Record<string, unknown>): void {
    const runId = typeof data.run_id === 'string' ? data.run_id : undefined
    if (!runId) return
    const pendingId = typeof data.pending_id === 'string' ? data.pending_id : undefined
    const command = typeof data.command === 'string' ? data.command : undefined
    switch (data.type) {
      case 'command_approved':
      case 'run_started': {
        if (this.runs.size >= MAX_TRACKED) this.runs.delete(this.runs.keys().next().value!)
        this.runs.set(runId, {
          pendingId,
          command: this.runs.get(runId)?.command ?? command,
          state: data.type === 'run_started' ? 'running' : 'approved',
        })
        break
      }

      case 'run_finished':
      case 'run_interrupted': {
        this.runs.delete(runId)
        break
      }

      default: {
        break
      }
    }
  }
}
