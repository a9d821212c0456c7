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

import {type AuditLine, parseEntry} from './entry.js'
import {backwardRegions, eachLine, forwardRegions} from './reader.js'

export interface FollowOptions {
  /**
   * Start at the end of the file as it is now (only lines written from now on), like `tail -f`
   * without history. Default false: every line from the beginning, then new ones. A file that does
   * not exist yet is read from its beginning once it appears either way.
   */
  fromEnd?: boolean
  /**
   * Told after each look at the file: the offset where the next line starts, and the file's size
   * when the look began (every byte below it was read). Lets a caller wait until a write was seen.
   */
  onPass?: (pass: {position: number; size: number}) => void
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

const CHUNK = 1 << 16

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT'
}

/** The offset just after the file's last newline: where a complete line would start next. */
async function endOfLastLine(handle: FileHandle, size: number): Promise<number> {
  for await (const region of backwardRegions(handle, {chunkSize: CHUNK, end: size})) {
    const nl = region.buf.lastIndexOf(0x0a)
    if (nl !== -1) return region.offset + nl + 1
  }

  return 0
}

export async function followAuditFile(path: string, options: FollowOptions, onEntry: FollowHandler): Promise<void> {
  let opts = options
  const {signal} = opts
  const pollMs = opts.pollMs ?? 250
  if (signal.aborted) return

  let handle: FileHandle | undefined
  let ino: number | undefined
  let lineStart = 0
  let first = true
  let seenSize = 0

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
      seenSize = opened.size
      lineStart = first && opts.fromEnd ? await endOfLastLine(handle, opened.size) : 0
      first = false
      return true
    }

    if (st.size < lineStart) lineStart = 0 // truncated below what was read
    seenSize = st.size
    return st.size > lineStart
  }

  /** Delivers the whole lines after lineStart; a partial last line is read again on the next wake-up. */
  const readNew = async (): Promise<void> => {
    if (!handle) return
    for await (const region of forwardRegions(handle, {chunkSize: CHUNK, from: lineStart})) {
      const lines: Array<[number, number]> = []
      eachLine(region, (s, e, terminated) => {
        if (terminated) lines.push([s, e])
      })
      for (const [s, e] of lines) {
        if (signal.aborted) return
        const next = region.offset + region.buf.indexOf(0x0a, e) + 1
        // Advanced before the handler runs, so an abort or a throw in it never delivers a line twice.
        lineStart = next
        const entry = parseEntry(region.buf, s, e)
        if (entry) await onEntry(entry, region.buf.toString('utf8', s, e))
        else opts.onSkip?.(region.buf.toString('utf8', s, e))
      }

      // Blank lines carry nothing, but the position moves past them too.
      if (region.terminated) lineStart = region.offset + region.buf.length
      if (signal.aborted) return
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
      if (handle) opts.onPass?.({position: lineStart, size: seenSize})
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
