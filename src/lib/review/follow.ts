/**
 * Live output of an approved run for `hub approve` (issue 13): the daemon's `/events?output=1` stream
 * carries `run_output` chunks as the command writes them, then `run_finished` (or `run_interrupted`)
 * once the record is on disk. The stream is opened before the approval is sent, so no chunk is
 * written before anyone listens (the daemon subscribes before it sends the stream's headers, which is
 * when `onOpen` fires); the events are picked by pending id, known before the run id is.
 *
 * The record stays the truth: the result comes from `GET /requests/:id` and `GET /runs/:id`, and the
 * stream only shows what happens meanwhile. When the stream is lost, the caller prints the record.
 */
import type {HubClient, RequestStatus} from '../client.js'
import type {RunRecord} from '../records.js'

export type OutputStream = 'stderr' | 'stdout'

/** How long the stream may lag behind the record before its end is no longer waited for. */
const STREAM_GRACE_MS = 3000

export interface FollowResult {
  /** The run record, when the request ran (absent for an agent-run request or a lost record). */
  record?: RunRecord | undefined
  status: RequestStatus
  /** Whether every chunk was shown: the stream was open before the run and reached its end. */
  streamedAll: boolean
  /** Whether any output was shown live. */
  streamedAny: boolean
}

export class RunFollower {
  private readonly abort = new AbortController()
  private ended = false
  private readonly endPromise: Promise<void>
  private endSeen: (() => void) | undefined
  private failed = false
  private shown = false

  private constructor(
    private readonly client: HubClient,
    private readonly pendingId: string,
    private readonly onOutput: (stream: OutputStream, text: string) => void,
  ) {
    this.endPromise = new Promise((resolve) => {
      this.endSeen = resolve
    })
  }

  /**
   * Opens the stream and resolves once the daemon has it open (or could not open it: the follower
   * then shows nothing live and the record is printed instead).
   */
  static async open(
    client: HubClient,
    pendingId: string,
    onOutput: (stream: OutputStream, text: string) => void,
  ): Promise<RunFollower> {
    const follower = new RunFollower(client, pendingId, onOutput)
    await follower.start()
    return follower
  }

  close(): void {
    this.abort.abort()
    this.endSeen?.()
  }

  /** Waits until the request reaches a final state, showing output meanwhile; then closes the stream. */
  async result(): Promise<FollowResult> {
    try {
      const {record, status} = await this.client.waitForResult(this.pendingId)
      if (!this.ended && !this.failed) {
        // The record is written before its event is sent: give the stream a moment to deliver the rest.
        let timer: NodeJS.Timeout | undefined
        await Promise.race([
          this.endPromise,
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, STREAM_GRACE_MS)
          }),
        ])
        clearTimeout(timer)
      }

      return {record, status, streamedAll: this.ended && !this.failed, streamedAny: this.shown}
    } finally {
      this.close()
    }
  }

  private async pump(opened: () => void): Promise<void> {
    try {
      for await (const ev of this.client.events({output: true, signal: this.abort.signal, onOpen: opened})) {
        if (ev.data.pending_id !== this.pendingId) continue
        if (ev.type === 'run_output') {
          const stream = ev.data.stream === 'stderr' ? 'stderr' : 'stdout'
          if (typeof ev.data.data === 'string' && ev.data.data !== '') {
            this.shown = true
            this.onOutput(stream, ev.data.data)
          }
        } else if (ev.type === 'run_finished' || ev.type === 'run_interrupted') {
          this.ended = true
          this.endSeen?.()
          return
        }
      }

      // The daemon closed the stream (shutdown, token rotation) before the run ended.
      if (!this.ended) this.failed = true
    } catch {
      this.failed = true
    } finally {
      opened()
      this.endSeen?.()
      this.abort.abort()
    }
  }

  private async start(): Promise<void> {
    await new Promise<void>((resolve) => {
      void this.pump(resolve)
    })
  }
}
