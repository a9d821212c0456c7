/**
 * A run's output as it comes, for `hub approve` (issue 13): each chunk marked like every other agent
 * text (control and invisible characters shown as `⟨U+…⟩`; line breaks and tabs kept, as output
 * expects), stderr in yellow, and — on a terminal, while nothing is printed — how long it has run.
 */
import {formatDuration} from '../text/duration.js'
import {renderPlain} from '../text/render.js'

type Style = {dim(s: string): string; yellow(s: string): string}

const CLEAR_LINE = '\r\u001B[K'

export class LiveOutput {
  private atLineStart = true
  private clock: NodeJS.Timeout | undefined
  private readonly started = Date.now()
  private ticking = false

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly status: NodeJS.WriteStream | undefined,
    private readonly style: Style,
  ) {}

  /** Ends the line the output left open, so what follows starts on its own line. */
  endLine(): void {
    this.clearStatus()
    if (!this.atLineStart) this.out.write('\n')
    this.atLineStart = true
  }

  /** Starts the elapsed-time line (only on a terminal, and only while the output is at a line start). */
  startClock(): void {
    if (!this.status?.isTTY || this.clock) return
    this.clock = setInterval(() => {
      if (!this.atLineStart) return
      this.status!.write(`${CLEAR_LINE}${this.style.dim(`… running ${formatDuration(Date.now() - this.started)}`)}`)
      this.ticking = true
    }, 1000)
    this.clock.unref()
  }

  stop(): void {
    if (this.clock) clearInterval(this.clock)
    this.clock = undefined
    this.clearStatus()
  }

  write(stream: 'stderr' | 'stdout', text: string): void {
    this.clearStatus()
    const shown = renderPlain(text, {keepTabs: true, markNewlines: false, multiline: true})
    this.out.write(stream === 'stderr' ? this.style.yellow(shown) : shown)
    this.atLineStart = text.endsWith('\n')
  }

  private clearStatus(): void {
    if (!this.ticking) return
    this.status?.write(CLEAR_LINE)
    this.ticking = false
  }
}
