/**
 * The one way hub reads `audit.log` (SPEC §7.4): forward and backward, in large chunks, at the byte
 * level, never holding the file. Every consumer (query, stats, verify, follow, event replay, crash
 * recovery, the writer's torn-tail repair) walks the same regions of whole lines, so a torn or
 * invalid line is handled the same way everywhere: the region hands it over like any other line and
 * the consumer skips and counts it; nothing here throws on content.
 *
 * A region is a Buffer of whole lines with its file offset. Its last line lacks a newline only when
 * it is the file's last bytes (torn by a crash, or being written): `terminated` says which. Text is
 * decoded only for the lines a consumer looks at, so a multi-byte character cut by a chunk edge is
 * never decoded in halves: lines are split on `\n` bytes, which never occur inside a UTF-8 sequence.
 */
import {type FileHandle, open} from 'node:fs/promises'

export const DEFAULT_CHUNK = 1 << 20

export const NL = 0x0a
const CR = 0x0d

export interface Region {
  buf: Buffer
  /** File offset of `buf[0]`. */
  offset: number
  /** False when the region's last line is the file's last bytes and has no newline. */
  terminated: boolean
}

export interface ReadOptions {
  /** Read size; tests use small chunks to cross line boundaries. */
  chunkSize?: number
}

interface Utf8Slicer {
  utf8Slice(start: number, end: number): string
}

// Buffer#utf8Slice is what toString('utf8', s, e) calls after its argument checks; calling it
// directly saves about a tenth of a full parse. Kept behind a check in case a runtime lacks it.
export const decode: (buf: Buffer, start: number, end: number) => string =
  typeof (Buffer.prototype as unknown as Partial<Utf8Slicer>).utf8Slice === 'function'
    ? (buf, start, end) => (buf as unknown as Utf8Slicer).utf8Slice(start, end)
    : (buf, start, end) => buf.toString('utf8', start, end)

/** The line's end without a trailing CR (a log edited on Windows); equal to start for an empty line. */
export function lineEnd(buf: Buffer, start: number, end: number): number {
  return end > start && buf[end - 1] === CR ? end - 1 : end
}

export async function openIfExists(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/** A line longer than a chunk, gathered in parts and joined once (not re-copied at every chunk). */
class Carry {
  private length = 0
  private parts: Buffer[] = []

  get empty(): boolean {
    return this.length === 0
  }

  push(part: Buffer): void {
    if (part.length === 0) return
    // Copied: the part may live in a buffer that the next read overwrites.
    this.parts.push(Buffer.from(part))
    this.length += part.length
  }

  /** Joins the parts (plus an optional last one) and empties the carry. */
  take(last?: Buffer): Buffer {
    if (last && last.length > 0) {
      this.parts.push(last)
      this.length += last.length
    }

    const joined = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.length)
    this.parts = []
    this.length = 0
    return joined
  }

  unshift(part: Buffer): void {
    if (part.length === 0) return
    this.parts.unshift(Buffer.from(part))
    this.length += part.length
  }
}

/**
 * Regions of whole lines from `from` (which must be a line start) to `to` (a line start too), or to
 * the end of the file as it is when each read happens. Two buffers take turns: the next read is
 * under way while the consumer scans this region, so the copy from the page cache overlaps the
 * search instead of adding to it.
 * A region's buffer is valid until the consumer asks for the next one.
 */
export async function* forwardRegions(
  handle: FileHandle,
  opts: ReadOptions & {from?: number; to?: number} = {},
): AsyncGenerator<Region, void, undefined> {
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK
  const to = opts.to ?? Number.POSITIVE_INFINITY
  const bufs: [Buffer, Buffer] = [Buffer.allocUnsafe(chunkSize), Buffer.allocUnsafe(chunkSize)]
  let which: 0 | 1 = 0
  let pos = opts.from ?? 0
  const readAt = (buf: Buffer, at: number): Promise<{bytesRead: number}> =>
    at >= to ? Promise.resolve({bytesRead: 0}) : handle.read(buf, 0, Math.min(chunkSize, to - at), at)
  let reading = readAt(bufs[0], pos)
  // The start of a line whose end is in a later chunk, and where it starts in the file.
  const carry = new Carry()
  let carryOffset = pos
  try {
    for (;;) {
      const {bytesRead} = await reading
      if (bytesRead === 0) {
        // The last line had no newline: torn, or still being written. The consumer decides.
        if (!carry.empty) yield {buf: carry.take(), offset: carryOffset, terminated: false}
        return
      }

      const data = bufs[which].subarray(0, bytesRead)
      const dataOffset = pos
      pos += bytesRead
      which = which === 0 ? 1 : 0
      reading = readAt(bufs[which], pos)
      let start = 0
      if (!carry.empty) {
        const nl = data.indexOf(NL)
        if (nl === -1) {
          carry.push(data)
          continue
        }

        yield {buf: carry.take(data.subarray(0, nl + 1)), offset: carryOffset, terminated: true}
        start = nl + 1
      }

      const lastNl = data.lastIndexOf(NL)
      if (lastNl >= start) yield {buf: data.subarray(start, lastNl + 1), offset: dataOffset + start, terminated: true}
      const rest = Math.max(start, lastNl + 1)
      if (rest < bytesRead) {
        carry.push(data.subarray(rest))
        carryOffset = dataOffset + rest
      }
    }
  } finally {
    // A consumer that stops early (or throws) must not leave a read running on a handle it closes.
    await reading.catch(() => {})
  }
}

/**
 * Regions of whole lines from the end of the file (or from `end`, which must be just after a newline
 * or the file's end) back to its start: newest region first, each region in file order and ending
 * with its newline, except that the first region can end with an unterminated line (the file's last
 * bytes). A line longer than a chunk is gathered whole.
 */
export async function* backwardRegions(
  handle: FileHandle,
  opts: ReadOptions & {end?: number} = {},
): AsyncGenerator<Region, void, undefined> {
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK
  const size = opts.end ?? (await handle.stat()).size
  let end = size
  // Bytes from `end` on that belong to a line whose start is in an earlier chunk.
  const carry = new Carry()
  // Only the first region yielded can end with the file's unterminated last line.
  let first = true
  const terminatedAt = async (): Promise<boolean> => {
    if (size === 0) return true
    const last = Buffer.alloc(1)
    await handle.read(last, 0, 1, size - 1)
    return last[0] === NL
  }

  const fileTerminated = await terminatedAt()
  while (end > 0) {
    const start = Math.max(0, end - chunkSize)
    const chunk = Buffer.allocUnsafe(end - start)
    let got = 0
    while (got < chunk.length) {
      const {bytesRead} = await handle.read(chunk, got, chunk.length - got, start + got)
      if (bytesRead === 0) break
      got += bytesRead
    }

    const data = chunk.subarray(0, got)
    end = start
    if (start === 0) {
      const buf = carry.empty ? data : Buffer.concat([data, carry.take()])
      if (buf.length > 0) yield {buf, offset: 0, terminated: first ? fileTerminated : true}
      return
    }

    // The part up to the first newline may be the end of a line that starts in an earlier chunk.
    const firstNl = data.indexOf(NL)
    if (firstNl === -1) {
      carry.unshift(data)
      continue
    }

    const rest = data.subarray(firstNl + 1)
    const buf = carry.empty ? rest : Buffer.concat([rest, carry.take()])
    // The end of a line that starts in an earlier chunk, with its newline: regions end at line ends.
    carry.unshift(data.subarray(0, firstNl + 1))
    if (buf.length > 0) {
      yield {buf, offset: start + firstNl + 1, terminated: first ? fileTerminated : true}
      first = false
    }
  }

  if (!carry.empty) yield {buf: carry.take(), offset: 0, terminated: first ? fileTerminated : true}
}

/**
 * Visits each line of a region in file order as `[start, end)` without the newline or a trailing
 * CR; `terminated` is false only for an unterminated last line. Empty lines are skipped (the log
 * never has them, and they carry nothing to count).
 */
export function eachLine(region: Region, visit: (start: number, end: number, terminated: boolean) => void): void {
  const {buf} = region
  const len = buf.length
  let p = 0
  while (p < len) {
    let e = buf.indexOf(NL, p)
    const terminated = e >= 0 || region.terminated
    if (e < 0) e = len
    const stop = lineEnd(buf, p, e)
    if (stop > p) visit(p, stop, terminated)
    p = e + 1
  }
}

/** Same, newest line first; `visit` returns false to stop. Returns false when stopped. */
export function eachLineReverse(
  region: Region,
  visit: (start: number, end: number, terminated: boolean) => boolean,
): boolean {
  const {buf} = region
  let p = buf.length
  let last = true
  if (p > 0 && buf[p - 1] === NL) p--
  while (p >= 0) {
    const s = p === 0 ? 0 : buf.lastIndexOf(NL, p - 1) + 1
    const stop = lineEnd(buf, s, p)
    if (stop > s && !visit(s, stop, last ? region.terminated : true)) return false
    last = false
    if (s === 0) return true
    p = s - 1
  }

  return true
}
