/**
 * Whole-or-nothing JSON files (SPEC §3): write a temporary file beside the target, then rename over
 * it, so a reader or a crash never sees half a file. `durable` adds the fsyncs (file, then
 * directory) that make the rename survive a power cut; callers that have another durable record
 * of the same fact (the audit log) can skip them.
 */
import * as fs from 'node:fs'
import {open, readFile, rename, rm} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import {promisify} from 'node:util'

import {HubError} from './errors.js'
import {randomHex} from './random.js'

export const TEMP_SUFFIX = '.tmp'

export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${randomHex(8)}${TEMP_SUFFIX}`)
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/**
 * A failed write means the daemon cannot keep its promises (full disk, read-only runtime dir):
 * callers answer 503 and acknowledge nothing, while reads keep working.
 */
export function storageError(err: unknown, path: string): HubError {
  const {code} = err as NodeJS.ErrnoException
  return new HubError(
    'storage_unavailable',
    `Could not write ${path}${code ? ` (${code})` : ''}; nothing was acknowledged.`,
    {
      hint: 'Check free disk space and that the runtime directory is writable.',
      cause: err,
    },
  )
}

export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  opts: {durable?: boolean; mode?: number} = {},
): Promise<void> {
  try {
    await writeFileAtomicRaw(target, data, opts)
  } catch (error) {
    throw storageError(error, target)
  }
}

// The callback API, promisified: fs/promises wraps every descriptor in a FileHandle object, which
// measured as the largest single cost of a small write on the daemon's hot path.
const openFd = promisify(fs.open)
// fs.write's promisified form resolves with {bytesWritten, buffer}.
const writeFd = promisify(fs.write) as unknown as (fd: number, data: Uint8Array) => Promise<{bytesWritten: number}>
const fsyncFd = promisify(fs.fsync)
const closeFd = promisify(fs.close)

async function writeFileAtomicRaw(
  target: string,
  data: string | Uint8Array,
  opts: {durable?: boolean; mode?: number},
): Promise<void> {
  const temp = tempPathFor(target)
  const bytes = typeof data === 'string' ? Buffer.from(data) : data
  const fd = await openFd(temp, 'wx', opts.mode ?? 0o600)
  try {
    // A regular file takes it in one write, except on a nearly full disk: then the write is short and
    // the next one fails with the real cause (ENOSPC), which is what the caller must report.
    let offset = 0
    while (offset < bytes.length) {
      const {bytesWritten} = await writeFd(fd, bytes.subarray(offset))
      if (bytesWritten === 0) throw Object.assign(new Error(`no progress writing ${temp}`), {code: 'EIO'})
      offset += bytesWritten
    }

    if (opts.durable) await fsyncFd(fd)
  } catch (error) {
    await closeFd(fd).catch(() => {})
    await rm(temp, {force: true}).catch(() => {})
    throw error
  }

  await closeFd(fd)
  try {
    await rename(temp, target)
  } catch (error) {
    await rm(temp, {force: true}).catch(() => {})
    throw error
  }

  if (opts.durable) await fsyncDir(dirname(target))
}

export async function writeJsonAtomic(
  target: string,
  value: unknown,
  opts: {durable?: boolean; mode?: number} = {},
): Promise<void> {
  await writeFileAtomic(target, JSON.stringify(value, null, 2) + '\n', opts)
}

/** Reads a JSON file; undefined when it does not exist. A file that does not parse is an error. */
export async function readJsonFile<T = unknown>(path: string): Promise<T | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }

  return JSON.parse(text) as T
}
