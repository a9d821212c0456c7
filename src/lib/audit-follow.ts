/**
 * Follows audit.log as it grows (`hub tail --file`, SPEC §7.3: following without a daemon).
 *
 * New bytes are found by polling the file's size, with a directory watch (when the platform gives
 * one) only to wake up sooner: watches miss events on some file systems and break when a file is
 * replaced, so they are never the only signal.
 *
 * The position kept is always the start of a line. A last line without its newline (being written,
 * or torn by a crash) is read again on the next wake-up instead of being held in memory, so when the
 * daemon cuts a torn line off at its next start and writes new lines there, the follower reads the new
 * lines and never glues them to the torn bytes. A file that shrinks below that position, or is
 * replaced by another file, is read again from its beginning.
 */
import {type FSWatcher, watch} from 'node:fs'
import {type FileHandle, open, stat} from 'node:fs/promises'
import {basename, dirname} from 'node:path'

import type {AuditLine} from './audit-query.js'

export interface FollowOptions {
  /**
   * Start at the end of the file as it is now (only lines written from now on), like `tail -f`
   * without history. Default false: every line from the beginning, then new ones. A file that does
   * not exist yet is read from its beginning once it appears either way.
   */
  fromEnd?: boolean
  /**
   * Called once the starting point is fixed (with fromEnd: the end as it was then), so a caller can
   * tell that what is written from now on will be seen.
   */
  onReady?: () => void
  /** Told about each line that is not an audit entry (it is skipped). */
  onSkip?: (line: string) => void
  /** How often to look for new bytes when no watch event comes (ms). */
  pollMs?: number
  /** Aborting ends the follow; the returned promise then resolves. */
  signal: AbortSignal
}

/** Called for each new entry in file order; the next line waits for a returned promise. */
export type FollowHandler = (entry: AuditLine, line: string) => Promise<void> | void

const NL = 0x0a
const CHUNK = 1 << 16

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT'
}

/** The offset just after the file's last newline: where a complete line would start next. */
async function endOfLastLine(handle: FileHandle, size: number): Promise<number> {
  let end = size
  while (end > 0) {
    const start = Math.max(0, end - CHUNK)
    const buf = Buffer.allocUnsafe(end - start)
    const {bytesRead} = await handle.read(buf, 0, buf.length, start)
    const nl = buf.subarray(0, bytesRead).lastIndexOf(NL)
    if (nl !== -1) return start + nl + 1
    end = start
  }

  return 0
}

function parseLine(text: string): AuditLine | undefined {
  try {
    const value: unknown = JSON.parse(text)
    if (
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      typeof (value as {event?: unknown}).event === 'string'
    ) {
      return value as AuditLine
    }
  } catch {
    // Skipped below, like any line that is not an audit entry.
  }

  return undefined
}

export async function followAuditFile(path: string, options: FollowOptions, onEntry: FollowHandler): Promise<void> {
  let opts = options
  const {signal} = opts
  const pollMs = opts.pollMs ?? 250
  if (signal.aborted) return

  let handle: FileHandle | undefined
  let ino: number | undefined
  let lineStart = 0
  let buf = Buffer.allocUnsafe(CHUNK)
  let first = true

  let wake: (() => void) | undefined
  const wakeUp = (): void => {
    const w = wake
    wake = undefined
    w?.()
  }

  signal.addEventListener('abort', wakeUp, {once: true})

  let watcher: FSWatcher | undefined
  try {
    const name = basename(path)
    watcher = watch(dirname(path), {persistent: false}, (_event, file) => {
      if (file === null || file === name) wakeUp()
    })
    watcher.on('error', () => {
      watcher?.close()
      watcher = undefined
    })
  } catch {
    // No directory yet, or no watch support here: polling alone still finds every line.
    watcher = undefined
  }

  const closeHandle = async (): Promise<void> => {
    const h = handle
    handle = undefined
    ino = undefined
    await h?.close().catch(() => {})
  }

  /** Opens, reopens or rewinds as the file on disk requires; false when there is nothing to read. */
  const sync = async (): Promise<boolean> => {
    let st
    try {
      st = await stat(path)
    } catch (error) {
      if (!isMissing(error)) throw error
      first = false
      await closeHandle()
      lineStart = 0
      return false
    }

    if (handle && st.ino !== ino) {
      // Replaced (renamed over, or deleted and created again): a new file, read from its start.
      await closeHandle()
      lineStart = 0
    }

    if (!handle) {
      try {
        handle = await open(path, 'r')
      } catch (error) {
        if (isMissing(error)) return false
        throw error
      }

      const opened = await handle.stat()
      ino = opened.ino
      lineStart = first && opts.fromEnd ? await endOfLastLine(handle, opened.size) : 0
      first = false
      return true
    }

    if (st.size < lineStart) lineStart = 0 // truncated below what was read
    return st.size > lineStart
  }

  const readNew = async (): Promise<void> => {
    for (;;) {
      if (!handle || signal.aborted) return
      const base = lineStart
      const {bytesRead} = await handle.read(buf, 0, buf.length, base)
      if (bytesRead === 0) return
      const data = buf.subarray(0, bytesRead)
      let start = 0
      for (let nl = data.indexOf(NL); nl >= 0; nl = data.indexOf(NL, start)) {
        const end = nl > start && data[nl - 1] === 0x0d ? nl - 1 : nl
        const text = data.toString('utf8', start, end)
        start = nl + 1
        // Advanced before the handler runs, so an abort or a throw in it never delivers a line twice.
        lineStart = base + start
        if (text !== '') {
          const entry = parseLine(text)
          if (entry) await onEntry(entry, text)
          else opts.onSkip?.(text)
        }

        if (signal.aborted) return
      }

      if (start === 0) {
        // A full buffer without a newline is one very long line: read it again, whole, into a bigger one.
        if (bytesRead < buf.length) return
        buf = Buffer.allocUnsafe(buf.length * 2)
      } else if (bytesRead < buf.length) {
        // At the end; a partial last line is read again on the next wake-up.
        return
      }
    }
  }

  try {
    while (!signal.aborted) {
      const more = await sync()
      if (opts.onReady) {
        opts.onReady()
        opts = {...opts, onReady: undefined}
      }

      if (more) await readNew()
      if (signal.aborted) break
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wakeUp, pollMs)
        wake = () => {
          clearTimeout(timer)
          resolve()
        }

        if (signal.aborted) wakeUp()
      })
    }
  } finally {
    signal.removeEventListener('abort', wakeUp)
    watcher?.close()
    await closeHandle()
  }
}
