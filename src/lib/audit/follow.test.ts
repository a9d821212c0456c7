import {appendFile, mkdtemp, rename, rm, stat, truncate, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import type {AuditLine} from './entry.js'

import {followAuditFile, type FollowOptions} from './follow.js'
import {AuditLog} from './log.js'

let dir: string
let n = 0
const running: Array<{abort: AbortController; done: Promise<void>}> = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hub-audit-follow-'))
})

afterEach(async () => {
  for (const r of running.splice(0)) {
    r.abort.abort()
    await r.done
  }
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms)
  })

const line = (command: string, event = 'command_queued'): string => JSON.stringify({event, command}) + '\n'

interface Following {
  abort: AbortController
  done: Promise<void>
  entries: AuditLine[]
  /** Looks at the file the follower has made so far. */
  passes: Array<{position: number; size: number}>
  skipped: string[]
}

/** Resolves once the follower has fixed its starting point. */
async function follow(path: string, opts: Partial<FollowOptions> = {}): Promise<Following> {
  const abort = new AbortController()
  const entries: AuditLine[] = []
  const skipped: string[] = []
  const passes: Following['passes'] = []
  let ready!: () => void
  const isReady = new Promise<void>((resolve) => {
    ready = resolve
  })
  const done = followAuditFile(
    path,
    {
      pollMs: 20,
      ...opts,
      signal: abort.signal,
      onSkip: (l) => skipped.push(l),
      onReady: ready,
      onPass: (p) => passes.push(p),
    },
    (e) => {
      entries.push(e)
    },
  )
  running.push({abort, done})
  await isReady
  return {entries, skipped, passes, abort, done}
}

async function until(check: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

/** Waits until the follower has read the file as it is now (whatever it delivered from it). */
async function caughtUp(f: Following, path: string): Promise<void> {
  const {size} = await stat(path)
  const from = f.passes.length
  await until(() => f.passes.slice(from).some((p) => p.size >= size), `a look at all ${size} bytes`)
}

const commands = (entries: AuditLine[]): unknown[] => entries.map((e) => e.command)

describe('followAuditFile', () => {
  it('delivers the lines already there, then each new one, and a partial line only once it is whole', async () => {
    const path = join(dir, `a${++n}.log`)
    await writeFile(path, line('one') + line('two'))
    const f = await follow(path)
    await until(() => f.entries.length === 2, 'existing lines')
    await appendFile(path, '{"event":"command_queued","comm')
    await caughtUp(f, path)
    expect(f.entries).toHaveLength(2)
    await appendFile(path, 'and":"three"}\n' + line('four'))
    await until(() => f.entries.length === 4, 'new lines')
    expect(commands(f.entries)).toEqual(['one', 'two', 'three', 'four'])
  })

  it('fromEnd starts after what is there, but keeps a line that was being written', async () => {
    const path = join(dir, `a${++n}.log`)
    await writeFile(path, line('old 1') + line('old 2') + '{"event":"command_queued",')
    const f = await follow(path, {fromEnd: true})
    await caughtUp(f, path)
    expect(f.entries).toHaveLength(0)
    await appendFile(path, '"command":"finished"}\n' + line('new'))
    await until(() => f.entries.length === 2, 'new lines')
    expect(commands(f.entries)).toEqual(['finished', 'new'])
  })

  it('waits for a file that does not exist yet, then reads it from its beginning', async () => {
    const path = join(dir, `a${++n}.log`)
    const f = await follow(path, {fromEnd: true})
    await writeFile(path, line('first') + line('second'))
    await until(() => f.entries.length === 2, 'lines of the new file')
    expect(commands(f.entries)).toEqual(['first', 'second'])
  })

  it('does not glue a torn line that was cut off to the lines written in its place', async () => {
    const path = join(dir, `a${++n}.log`)
    await writeFile(path, line('before'))
    const f = await follow(path)
    await until(() => f.entries.length === 1, 'first line')
    const size = Buffer.byteLength(line('before'))
    await appendFile(path, '{"event":"command_executed","command":"torn by a cra')
    // The follower must have read the torn bytes before they are cut off, or the test proves nothing.
    await caughtUp(f, path)
    expect(f.passes.at(-1)!.position).toBe(size)
    // What the daemon does at its next start: cut the torn bytes off, then append.
    await truncate(path, size)
    await appendFile(path, line('after restart', 'run_interrupted'))
    await until(() => f.entries.length === 2, 'line after the repair')
    await caughtUp(f, path)
    expect(commands(f.entries)).toEqual(['before', 'after restart'])
    expect(f.skipped).toEqual([])
  })

  it('starts over when the file is replaced or truncated', async () => {
    const path = join(dir, `a${++n}.log`)
    await writeFile(path, line('a') + line('b'))
    const f = await follow(path)
    await until(() => f.entries.length === 2, 'first file')
    const other = join(dir, `replacement${n}.log`)
    await writeFile(other, line('x'))
    await rename(other, path)
    await until(() => f.entries.length === 3, 'replaced file')
    await writeFile(path, '')
    const from = f.passes.length
    await until(() => f.passes.slice(from).some((p) => p.size === 0), 'a look at the emptied file')
    await appendFile(path, line('y'))
    await until(() => f.entries.length === 4, 'truncated file')
    expect(commands(f.entries)).toEqual(['a', 'b', 'x', 'y'])
  })

  it('skips lines that are not audit entries and keeps going', async () => {
    const path = join(dir, `a${++n}.log`)
    await writeFile(path, 'garbage\n[1]\n\n' + line('ok'))
    const f = await follow(path)
    await until(() => f.entries.length === 1, 'good line')
    expect(f.skipped).toEqual(['garbage', '[1]'])
  })

  it('follows what the real writer appends, seq by seq', async () => {
    const path = join(dir, `a${++n}.log`)
    const log = await AuditLog.open(path)
    const f = await follow(path, {fromEnd: true})
    for (let i = 0; i < 20; i++) await log.append({event: 'command_queued', command: `c${i}`})
    await log.close()
    await until(() => f.entries.length === 20, 'all appended lines')
    expect(f.entries.map((e) => e.seq)).toEqual(Array.from({length: 20}, (_, i) => i + 1))
  })

  it('resolves when aborted, also while waiting for a slow handler', async () => {
    const path = join(dir, `a${++n}.log`)
    await writeFile(path, line('a') + line('b'))
    const abort = new AbortController()
    const seen: unknown[] = []
    const done = followAuditFile(path, {signal: abort.signal, pollMs: 20}, async (e) => {
      seen.push(e.command)
      abort.abort()
      await sleep(20)
    })
    await done
    expect(seen).toEqual(['a'])
    const already = new AbortController()
    already.abort()
    await followAuditFile(path, {signal: already.signal}, () => {
      throw new Error('no entries after an abort')
    })
  })
})
