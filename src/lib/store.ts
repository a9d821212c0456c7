/**
 * The runtime directory (SPEC §3): where each kind of file lives, and the only code that turns an id
 * into a path. Every id is checked against the id pattern first, so nothing from outside can name a
 * file of its choosing.
 */
import {appendFile, link, mkdir, open, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import type {ClaimedRequest, DaemonInfo, DeniedRequest, PendingRequest, RunRecord} from './records.js'

import {readJsonFile, storageError, TEMP_SUFFIX, tempPathFor, writeFileAtomic, writeJsonAtomic} from './atomic-file.js'
import {HubError} from './errors.js'
import {assertId, idSecond, isId} from './ids.js'

export const AUDIT_FILE = 'audit.log'
export const RUNS_INDEX_FILE = 'runs.index'
const INDEX_ORDER_MARGIN_MS = 5000
export const DAEMON_FILE = 'daemon.json'
export const SOCKET_FILE = 'hub.sock'

export interface RuntimePaths {
  audit: string
  claimed: string
  daemon: string
  denied: string
  pending: string
  root: string
  runs: string
  runsIndex: string
  /** The operator's Unix socket (SPEC §5): the local CLI's way in, reachable by this user only. */
  socket: string
}

export function runtimePaths(runtimeDir: string): RuntimePaths {
  return {
    root: runtimeDir,
    audit: join(runtimeDir, AUDIT_FILE),
    pending: join(runtimeDir, 'pending'),
    claimed: join(runtimeDir, 'claimed'),
    denied: join(runtimeDir, 'denied'),
    runs: join(runtimeDir, 'runs'),
    runsIndex: join(runtimeDir, RUNS_INDEX_FILE),
    daemon: join(runtimeDir, DAEMON_FILE),
    socket: join(runtimeDir, SOCKET_FILE),
  }
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT'
}

/** Ids of `<id>.json` files (or `<id>` directories) in a folder, newest first. */
async function listIds(dir: string, suffix: string): Promise<string[]> {
  let names: string[]
  try {
    // readdir, not an opendir iterator: with 50,000 runs the iterator's promise per entry cost twice
    // as much, and the listing is most of what `hub runs` does.
    names = await readdir(dir)
  } catch (error) {
    if (isMissing(error)) return []
    throw error
  }

  const ids: string[] = []
  for (const name of names) {
    if (suffix && !name.endsWith(suffix)) continue
    const id = suffix ? name.slice(0, -suffix.length) : name
    if (isId(id)) ids.push(id)
  }

  // Ids start with the UTC time, so a reverse string sort is newest first.
  return ids.sort().reverse()
}

/** At most `limit` tasks at once; the rest wait in order. */
class Slots {
  private active = 0
  private readonly waiting: Array<() => void> = []

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) {
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve)
      })
    } else this.active++
    try {
      return await task()
    } finally {
      const next = this.waiting.shift()
      if (next) next()
      else this.active--
    }
  }
}

export class RuntimeStore {
  readonly paths: RuntimePaths
  private readonly buildSlots = new Slots(2)
  private readonly summaryBuilds = new Map<string, Promise<Omit<RunRecord, 'stderr' | 'stdout'> | undefined>>()

  constructor(readonly runtimeDir: string) {
    this.paths = runtimePaths(runtimeDir)
  }

  /**
   * `<run_id> <finished epoch ms> <agent fingerprint or ->`: the third column lets a list show an agent
   * its own runs.
   */
  async appendRunIndex(runId: string, finishedAt: Date, agent?: string): Promise<void> {
    const who = agent && /^[\w:-]{1,64}$/.test(agent) ? agent : '-'
    await appendFile(this.paths.runsIndex, `${assertId(runId, 'run_id')} ${finishedAt.getTime()} ${who}\n`, {
      mode: 0o600,
    })
  }

  /**
   * Claims a pending request for a run: the complete claimed file is linked into place (link fails
   * if it exists, so the claim is exclusive and the file is never seen half-made), then the pending
   * file is removed. A crash between the two leaves both; recovery keeps the claim.
   */
  async claim(req: ClaimedRequest): Promise<void> {
    const target = this.claimedPath(req.pending_id)
    const temp = tempPathFor(target)
    try {
      await writeFile(temp, JSON.stringify(req, null, 2) + '\n', {flag: 'wx', mode: 0o600})
      await link(temp, target)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST')
        throw new HubError('conflict', `Request ${req.pending_id} was already approved.`)
      throw storageError(error, target)
    } finally {
      await rm(temp, {force: true})
    }

    await rm(this.pendingPath(req.pending_id), {force: true})
  }

  claimedPath(id: string): string {
    return join(this.paths.claimed, `${assertId(id, 'pending_id')}.json`)
  }

  deniedPath(id: string): string {
    return join(this.paths.denied, `${assertId(id, 'pending_id')}.json`)
  }

  /** Creates the runtime layout (owner-only) and removes temporary files a crash left behind. */
  async init(): Promise<{strayTemps: number}> {
    await mkdir(this.paths.root, {recursive: true, mode: 0o700})
    let strayTemps = 0
    for (const dir of [this.paths.pending, this.paths.claimed, this.paths.denied, this.paths.runs]) {
      await mkdir(dir, {recursive: true, mode: 0o700})
      strayTemps += await this.removeTemps(dir)
    }

    strayTemps += await this.removeTemps(this.paths.root)
    return {strayTemps}
  }

  listClaimedIds(): Promise<string[]> {
    return listIds(this.paths.claimed, '.json')
  }

  listDeniedIds(): Promise<string[]> {
    return listIds(this.paths.denied, '.json')
  }

  /** Newest first; a file that vanished between listing and reading (decided meanwhile) is skipped. */
  async listPending(limit = Number.POSITIVE_INFINITY): Promise<PendingRequest[]> {
    const out: PendingRequest[] = []
    for (const id of await this.listPendingIds()) {
      if (out.length >= limit) break
      const req = await this.readPending(id).catch(() => undefined)
      if (req) out.push(req)
    }

    return out
  }

  // Pending requests ---------------------------------------------------------------------------

  listPendingIds(): Promise<string[]> {
    return listIds(this.paths.pending, '.json')
  }

  listRunIds(): Promise<string[]> {
    return listIds(this.paths.runs, '')
  }

  /** Newest first, opening only the records it returns. */
  async listRuns(limit: number, filter?: (r: RunRecord) => boolean): Promise<RunRecord[]> {
    const out: RunRecord[] = []
    for (const id of await this.listRunIds()) {
      if (out.length >= limit) break
      const rec = await this.readRun(id).catch(() => undefined)
      if (rec && (!filter || filter(rec))) out.push(rec)
    }

    return out
  }

  /**
   * The newest `limit` run ids by id, read backwards from the end of the index; undefined when the
   * index cannot be trusted. Lines are in order of completion, and a run's id is from before its
   * completion, so once a line finished before the time of the limit-th best id, no earlier line
   * can hold a newer id.
   */
  async newestRunIdsFromIndex(
    limit: number,
    opts: {agent?: string | undefined; offset?: number | undefined} = {},
  ): Promise<string[] | undefined> {
    if (!(await this.runIndexFresh())) return undefined
    const offset = opts.offset ?? 0
    const want = limit + offset
    const handle = await open(this.paths.runsIndex, 'r').catch(() => undefined)
    if (!handle) return undefined
    try {
      const best: string[] = []
      let position = (await handle.stat()).size
      let carry = ''
      while (position > 0) {
        const length = Math.min(65_536, position)
        position -= length
        const buf = Buffer.alloc(length)
        await handle.read(buf, 0, length, position)
        const lines = (buf.toString('latin1') + carry).split('\n')
        carry = position > 0 ? (lines.shift() ?? '') : ''
        for (let i = lines.length - 1; i >= 0; i--) {
          const [id, finished, agent] = lines[i]!.split(' ')
          if (!isId(id) || (opts.agent !== undefined && agent !== opts.agent)) continue
          // The margin covers runs finishing together and appending in the other order.
          if (best.length >= want && Number(finished) + INDEX_ORDER_MARGIN_MS < idSecond(best[want - 1]!)) {
            return best.slice(offset)
          }

          // Keep `best` sorted newest first and at most `want` long.
          let at = best.length
          while (at > 0 && best[at - 1]! < id) at--
          if (at < want) {
            best.splice(at, 0, id)
            if (best.length > want) best.pop()
          }
        }
      }

      return best.slice(offset)
    } finally {
      await handle.close()
    }
  }

  /** Throws the fitting error for an id that is not pending: conflict when it was decided, else not found. */
  async notPending(id: string): Promise<never> {
    if (await this.exists(this.claimedPath(id))) throw new HubError('conflict', `Request ${id} was already approved.`)
    if (await this.exists(this.deniedPath(id)))
      throw new HubError('conflict', `Request ${id} was already denied or has expired.`)
    throw new HubError('not_found', `No pending request ${id}.`, {hint: 'List waiting requests with `hub pending`.'})
  }

  // Claims: approving creates claimed/<id>.json exclusively, so exactly one claimant can win ------

  pendingPath(id: string): string {
    return join(this.paths.pending, `${assertId(id, 'pending_id')}.json`)
  }

  /**
   * Removes denied, expired and blocked requests decided before `beforeMs` (retention), judged by their
   * id's time so that no file is opened; returns the ids removed.
   */
  async pruneDenied(beforeMs: number): Promise<string[]> {
    const removed: string[] = []
    for (const id of await this.listDeniedIds()) {
      if (idSecond(id) >= beforeMs) continue
      await rm(this.deniedPath(id), {force: true})
      removed.push(id)
    }

    return removed
  }

  readClaimed(id: string): Promise<ClaimedRequest | undefined> {
    return readJsonFile<ClaimedRequest>(this.claimedPath(id))
  }

  readDaemonInfo(): Promise<DaemonInfo | undefined> {
    return readJsonFile<DaemonInfo>(this.paths.daemon).catch(() => undefined)
  }

  readDenied(id: string): Promise<DeniedRequest | undefined> {
    return readJsonFile<DeniedRequest>(this.deniedPath(id))
  }

  readPending(id: string): Promise<PendingRequest | undefined> {
    return readJsonFile<PendingRequest>(this.pendingPath(id))
  }

  // Denied, expired and blocked requests ------------------------------------------------------------

  readRun(runId: string): Promise<RunRecord | undefined> {
    return readJsonFile<RunRecord>(this.recordPath(runId))
  }

  /** Every run the index names, with the agent that asked for it where known (the daemon's counts at start). */
  async readRunIndex(): Promise<Array<{agent: string | undefined; id: string}>> {
    const text = await readFile(this.paths.runsIndex, 'latin1').catch(() => '')
    const out: Array<{agent: string | undefined; id: string}> = []
    for (const line of text.split('\n')) {
      const [id, , agent] = line.split(' ')
      if (isId(id)) out.push({id, agent: agent && agent !== '-' ? agent : undefined})
    }

    return out
  }

  /**
   * The record without its output; built from the record (and kept) for runs written before summaries.
   * Building one reads a record of up to a few MiB, so builds are shared between concurrent readers of
   * the same run and at most two run at once: a burst of list requests cannot multiply memory.
   */
  async readRunSummary(runId: string): Promise<Omit<RunRecord, 'stderr' | 'stdout'> | undefined> {
    const path = this.summaryPath(runId)
    const summary = await readJsonFile<Omit<RunRecord, 'stderr' | 'stdout'>>(path).catch(() => undefined)
    if (summary) return summary
    let building = this.summaryBuilds.get(runId)
    if (!building) {
      building = this.buildSlots.run(async () => {
        const record = await this.readRun(runId).catch(() => undefined)
        if (!record) return undefined
        const {stdout: _o, stderr: _e, ...rest} = record
        await writeJsonAtomic(path, rest).catch(() => {})
        return rest
      })
      this.summaryBuilds.set(runId, building)
      void building.finally(() => this.summaryBuilds.delete(runId)).catch(() => {})
    }

    return building
  }

  recordPath(runId: string): string {
    return join(this.runDir(runId), 'record.json')
  }

  /**
   * Rewrites the index from a listing (the daemon's, at start) when it is missing, older than the
   * runs directory, or lacks a run: file times are coarse, so a crash between a run's directory and
   * its index line can leave an index that looks fresh.
   */
  async refreshRunIndex(idsNewestFirst: string[]): Promise<boolean> {
    const known = new Map((await this.readRunIndex()).map((e) => [e.id, e.agent]))
    if ((await this.runIndexFresh()) && idsNewestFirst.every((id) => known.has(id))) return false
    // Rewritten from the listing, keeping the agent of every run the old index knew.
    const lines = [...idsNewestFirst].reverse().map((id) => `${id} ${idSecond(id)} ${known.get(id) ?? '-'}\n`)
    await writeFileAtomic(this.paths.runsIndex, lines.join(''))
    return true
  }

  // Runs -------------------------------------------------------------------------------------------

  async removeClaimed(id: string): Promise<void> {
    await rm(this.claimedPath(id), {force: true})
  }

  async removeDaemonInfo(): Promise<void> {
    await rm(this.paths.daemon, {force: true})
  }

  async removeDenied(id: string): Promise<void> {
    await rm(this.deniedPath(id), {force: true})
  }

  async removePending(id: string): Promise<void> {
    await rm(this.pendingPath(id), {force: true})
  }

  runDir(runId: string): string {
    return join(this.paths.runs, assertId(runId, 'run_id'))
  }

  /** A run without its output: what lists read, so that a list never loads megabytes of output. */
  summaryPath(runId: string): string {
    return join(this.runDir(runId), 'summary.json')
  }

  // The runs index ---------------------------------------------------------------------------------
  //
  // Listing 50,000 run directories is most of what `hub runs --last 10` would cost, so the daemon
  // also appends `<run_id> <finished epoch ms>` to runs.index after each record. The index is only
  // a shortcut: a reader trusts it only when it was written after the runs directory last changed
  // (a run directory made or removed since makes the directory newer), and falls back to listing.

  /** Undoes a claim whose approval could not be recorded: the request is pending again, as it was. */
  async unclaim(req: PendingRequest): Promise<void> {
    await this.writePending(req)
    await rm(this.claimedPath(req.pending_id), {force: true})
  }

  async writeClaimed(req: ClaimedRequest, durable = false): Promise<void> {
    await writeJsonAtomic(this.claimedPath(req.pending_id), req, {durable})
  }

  async writeDaemonInfo(info: DaemonInfo): Promise<void> {
    await writeJsonAtomic(this.paths.daemon, info)
  }

  async writeDenied(req: DeniedRequest, durable = false): Promise<void> {
    await writeJsonAtomic(this.deniedPath(req.pending_id), req, {durable})
  }

  // daemon.json ------------------------------------------------------------------------------------

  async writePending(req: PendingRequest, durable = false): Promise<void> {
    await writeJsonAtomic(this.pendingPath(req.pending_id), req, {durable})
  }

  async writeRun(record: RunRecord, durable = false): Promise<void> {
    await mkdir(this.runDir(record.run_id), {recursive: true, mode: 0o700}).catch((error: unknown) => {
      throw storageError(error, this.runDir(record.run_id))
    })
    await writeJsonAtomic(this.recordPath(record.run_id), record, {durable})
    // The summary is a derived copy: the record is the truth, and a missing summary is rebuilt from it.
    const {stdout: _o, stderr: _e, ...summary} = record
    await writeJsonAtomic(this.summaryPath(record.run_id), summary).catch(() => {})
  }

  private async exists(path: string): Promise<boolean> {
    try {
      await stat(path)
      return true
    } catch {
      return false
    }
  }

  private async removeTemps(dir: string): Promise<number> {
    let count = 0
    for (const name of await readdir(dir)) {
      if (name.startsWith('.') && name.endsWith(TEMP_SUFFIX)) {
        await rm(join(dir, name), {force: true})
        count++
      }
    }

    return count
  }

  private async runIndexFresh(): Promise<boolean> {
    try {
      const [dir, index] = await Promise.all([stat(this.paths.runs), stat(this.paths.runsIndex)])
      return index.mtimeMs >= dir.mtimeMs
    } catch {
      return false
    }
  }
}
