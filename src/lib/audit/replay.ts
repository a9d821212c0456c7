/**
 * The lines after a given seq, for `/events` with `Last-Event-ID` (SPEC §7.3): what a client missed.
 * The start is found by reading back from the end of the log (a reconnecting client has usually
 * missed only the last few lines), checking seqs with the validating scanner rather than parsing;
 * then the lines are read forward from there, streamed, never gathered.
 */
import type {FileHandle} from 'node:fs/promises'

import {type AuditLine, parseEntry} from './entry.js'
import {createLineScanner, NUMBER, SCAN_OK} from './json-scan.js'
import {backwardRegions, DEFAULT_CHUNK, eachLine, eachLineReverse, forwardRegions, openIfExists} from './reader.js'

/** An entry with a seq (hub's own lines). */
export type SeqEntry = AuditLine & {seq: number}

/** The offset of the first line whose seq is above `after` (the file's end when there is none). */
async function startAfter(handle: FileHandle, after: number, chunkSize: number): Promise<number> {
  const scanner = createLineScanner(['seq'])
  let start = (await handle.stat()).size
  let done = false
  for await (const region of backwardRegions(handle, {chunkSize, end: start})) {
    const {buf} = region
    eachLineReverse(region, (s, e) => {
      if (scanner.scan(buf, s, e) !== SCAN_OK || scanner.kind[0] !== NUMBER) return true
      if (scanner.number(buf, 0)! <= after) {
        done = true
        return false
      }

      start = region.offset + s
      return true
    })
    if (done) break
  }

  return start
}

/**
 * Entries with a seq above `after` and at most `upTo`, oldest first. Lines without a seq, or that
 * are not entries, are skipped.
 */
export async function* entriesAfter(
  path: string,
  after: number,
  opts: {chunkSize?: number; upTo?: number} = {},
): AsyncGenerator<SeqEntry, void, undefined> {
  const handle = await openIfExists(path)
  if (!handle) return
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK
  const upTo = opts.upTo ?? Number.POSITIVE_INFINITY
  try {
    const from = await startAfter(handle, after, chunkSize)
    for await (const region of forwardRegions(handle, {chunkSize, from})) {
      const batch: SeqEntry[] = []
      let past = false
      eachLine(region, (s, e, terminated) => {
        if (past || !terminated) return
        const entry = parseEntry(region.buf, s, e)
        if (!entry || typeof entry.seq !== 'number' || entry.seq <= after) return
        if (entry.seq > upTo) past = true
        else batch.push(entry as SeqEntry)
      })
      yield* batch
      if (past) return
    }
  } finally {
    await handle.close()
  }
}
