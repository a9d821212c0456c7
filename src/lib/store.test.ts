import {mkdir, mkdtemp, rm, utimes, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {RuntimeStore} from './store.js'

let dir: string
let store: RuntimeStore
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hub-store-'))
  store = new RuntimeStore(dir)
  await store.init()
})
afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

const id = (sec: number, tail = '00000000'): string => `20260101_0000${String(sec).padStart(2, '0')}_${tail}`

async function addRun(runId: string, finishedMs: number): Promise<void> {
  await mkdir(join(dir, 'runs', runId))
  await store.appendRunIndex(runId, new Date(finishedMs))
}

describe('runs index', () => {
  it('gives the newest ids by id even when runs finished out of order', async () => {
    const base = Date.UTC(2026, 0, 1)
    // A long run (oldest id) finishes last; the newest ids finished before it.
    await addRun(id(10), base + 12_000)
    await addRun(id(11), base + 13_000)
    await addRun(id(12), base + 14_000)
    await addRun(id(1), base + 59_000)
    expect(await store.newestRunIdsFromIndex(2)).toEqual([id(12), id(11)])
    expect(await store.newestRunIdsFromIndex(10)).toEqual([id(12), id(11), id(10), id(1)])
    expect(await store.listRunIds()).toEqual([id(12), id(11), id(10), id(1)])
  })

  it('is not trusted when the runs directory changed after it, and is rebuilt from a listing', async () => {
    const base = Date.UTC(2026, 0, 1)
    await addRun(id(10), base + 11_000)
    // A run directory that the index does not know about (made by hand, or a crash before the append).
    await mkdir(join(dir, 'runs', id(20)))
    const earlier = new Date(Date.now() - 5000)
    await utimes(join(dir, 'runs.index'), earlier, earlier)
    expect(await store.newestRunIdsFromIndex(5)).toBeUndefined()
    expect(await store.refreshRunIndex(await store.listRunIds())).toBe(true)
    expect(await store.newestRunIdsFromIndex(5)).toEqual([id(20), id(10)])
  })

  it('is rebuilt at start when it looks fresh but lacks a run (a crash between directory and line)', async () => {
    await addRun(id(10), Date.UTC(2026, 0, 1, 0, 0, 11))
    await mkdir(join(dir, 'runs', id(30)))
    // Equal times, as the kernel's coarse clock gives to a directory and a line made together.
    const same = new Date(Date.now() - 1000)
    await utimes(join(dir, 'runs'), same, same)
    await utimes(join(dir, 'runs.index'), same, same)
    expect(await store.refreshRunIndex(await store.listRunIds())).toBe(true)
    expect(await store.newestRunIdsFromIndex(1)).toEqual([id(30)])
    expect(await store.refreshRunIndex(await store.listRunIds())).toBe(false)
  })

  it('is not used when missing', async () => {
    expect(await store.newestRunIdsFromIndex(3)).toBeUndefined()
    await writeFile(join(dir, 'runs.index'), 'garbage line\n')
    expect(await store.newestRunIdsFromIndex(3)).toEqual([])
  })
})
