/**
 * Output of `hub audit --json`: a JSON array of the matching lines' own bytes, written in large
 * chunks, so a 180 MB answer never becomes one string and never floods memory.
 */
const DEFAULT_CHUNK = 1 << 20
const NL = 0x0a

/**
 * Writes a JSON array of raw lines to a stream in large chunks, waiting for the reader when the
 * stream asks (backpressure), so a 180 MB answer never becomes one string and never floods memory.
 */
export class JsonArrayWriter {
  private buf: Buffer
  private count = 0
  private pending: Buffer[] = []
  private used = 0

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly chunkSize = DEFAULT_CHUNK,
  ) {
    this.buf = Buffer.allocUnsafe(chunkSize)
    this.put(Buffer.from('['))
  }

  /** Copies `bytes[start, end)` (they may live in a reused buffer). */
  add(bytes: Buffer, start = 0, end = bytes.length): void {
    // Room for the separator too, so it can be stored byte by byte (cheaper than a copy call).
    if (this.used + 2 > this.buf.length) this.cut()
    if (this.count > 0) this.buf[this.used++] = 0x2c // ,
    this.buf[this.used++] = NL
    this.put(bytes, start, end)
    this.count++
  }

  async end(): Promise<void> {
    this.put(this.count === 0 ? CLOSE_EMPTY : CLOSE)
    await this.flush(true)
  }

  /** Sends what is buffered once a chunk's worth has built up (or always, with force). */
  async flush(force = false): Promise<void> {
    if (force || this.used >= this.chunkSize / 2) this.cut()
    for (const b of this.pending.splice(0)) {
      if (!this.out.write(b)) {
        await new Promise<void>((resolve) => {
          this.out.once('drain', resolve)
        })
      }
    }
  }

  private cut(): void {
    if (this.used === 0) return
    this.pending.push(this.buf.subarray(0, this.used))
    // A fresh buffer: the stream may still hold the old one until it is written.
    this.buf = Buffer.allocUnsafe(this.chunkSize)
    this.used = 0
  }

  private put(bytes: Buffer, start = 0, end = bytes.length): void {
    const n = end - start
    if (this.used + n > this.buf.length) this.cut()
    if (n > this.buf.length) {
      this.pending.push(Buffer.from(bytes.subarray(start, end)))
      return
    }

    // set() on a view warms up faster than Buffer#copy, which matters for a one-shot CLI run.
    this.buf.set(bytes.subarray(start, end), this.used)
    this.used += n
  }
}

const CLOSE = Buffer.from('\n]\n')
const CLOSE_EMPTY = Buffer.from(']\n')
