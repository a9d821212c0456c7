/**
 * Memory and CPU of a run's process tree (SPEC §3.2 `peak_rss_mb`, `cpu_ms`), sampled with pidusage
 * while the run lasts.
 */
import {readFile} from 'node:fs/promises'
import pidusage from 'pidusage'

const SAMPLE_INTERVAL_MS = 50

/** Descendants of a process via /proc (Linux); elsewhere just the process itself. */
export async function processTree(pid: number): Promise<number[]> {
  const out = [pid]
  if (process.platform !== 'linux') return out
  for (let i = 0; i < out.length && out.length < 256; i++) {
    try {
      const text = await readFile(`/proc/${out[i]}/task/${out[i]}/children`, 'utf8')
      for (const c of text.split(' ')) if (c.trim()) out.push(Number(c))
    } catch {
      // The process ended between listing and reading: nothing to add.
    }
  }

  return out
}

/** Samples memory and CPU of the command's process tree while it runs. */
export class UsageSampler {
  private busy = false
  private readonly cpuByPid = new Map<number, number>()
  private peakBytes = 0
  private samples = 0
  private timer: NodeJS.Timeout | undefined

  /**
   * @param pid the root of the tree
   * @param countRoot false when the root is not the command (bwrap's init in the sandbox)
   */
  constructor(
    private readonly pid: number,
    private readonly countRoot = true,
  ) {}

  start(): void {
    this.sample()
    this.timer = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS)
    this.timer.unref()
  }

  stop(): {cpuMs: null | number; peakRssMb: null | number} {
    if (this.timer) clearInterval(this.timer)
    if (this.samples === 0) return {peakRssMb: null, cpuMs: null}
    let cpu = 0
    for (const v of this.cpuByPid.values()) cpu += v
    return {peakRssMb: Math.round((this.peakBytes / 1_048_576) * 10) / 10, cpuMs: Math.round(cpu)}
  }

  private async collect(): Promise<void> {
    try {
      const tree = await processTree(this.pid)
      const pids = this.countRoot ? tree : tree.slice(1)
      if (pids.length === 0) return
      // maxage 0 makes pidusage 4 reopen /proc files forever (EMFILE); a short history is harmless.
      const stats = await pidusage(pids, {maxage: 2000})
      let rss = 0
      for (const [pid, s] of Object.entries(stats)) {
        if (!s) continue
        rss += s.memory
        const prev = this.cpuByPid.get(Number(pid)) ?? 0
        if (s.ctime > prev) this.cpuByPid.set(Number(pid), s.ctime)
      }

      this.peakBytes = Math.max(this.peakBytes, rss)
      this.samples++
    } catch {
      // The tree ended mid-sample; earlier samples stand.
    }
  }

  /** One sample at a time; a slow one makes the next tick skip rather than pile up. */
  private sample(): void {
    if (this.busy) return
    this.busy = true
    this.collect().finally(() => {
      this.busy = false
    })
  }
}
