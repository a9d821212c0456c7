/**
 * One part of `hub audit --stats` on a large log, in a worker thread (stats.ts splits the file at
 * line starts and adds the parts up in file order).
 */
import {open} from 'node:fs/promises'
import {parentPort, workerData} from 'node:worker_threads'

import {type RangeFilter, statsOfRange} from './stats.js'

const {path, filter, range} = workerData as {
  filter: RangeFilter
  path: string
  range: {chunkSize: number; from: number; to: number}
}
const handle = await open(path, 'r')
try {
  const part = await statsOfRange(handle, filter, range)
  parentPort!.postMessage(part, [part.durations.buffer as ArrayBuffer])
} finally {
  await handle.close()
}
