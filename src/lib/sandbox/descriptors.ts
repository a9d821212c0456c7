/**
 * No descriptor the daemon inherited reaches a run (SPEC §6.5, issue 10). Node opens everything of
 * its own close-on-exec and marks the first few inherited descriptors too, but one above that (a
 * pipe a supervisor passed as fd 40, a leaked socket of the shell that started the daemon) stays
 * open across exec, through bwrap, into every command. Neither Node nor bwrap can close descriptors
 * between fork and exec, so the daemon closes them itself, once, at start: from then on everything
 * it opens is close-on-exec.
 */
import {closeSync, readdirSync, readFileSync} from 'node:fs'

const O_CLOEXEC = 0o200_0000

/** Flags of an open descriptor from /proc/self/fdinfo, or undefined once it is gone. */
function descriptorFlags(fd: number): number | undefined {
  try {
    const m = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))
    return m ? Number.parseInt(m[1]!, 8) : undefined
  } catch {
    return undefined
  }
}

/**
 * Closes every descriptor above 2 that would survive an exec, except Node's own IPC channel (its
 * parent talks to it; Node marks it close-on-exec when it sits low, as `fork` puts it). Linux only:
 * elsewhere there is no /proc to tell inherited descriptors from Node's, and no bwrap either.
 */
export function closeInheritedDescriptors(): {closed: number[]; kept: number[]} {
  const closed: number[] = []
  const kept: number[] = []
  if (process.platform !== 'linux') return {closed, kept}
  let names: string[]
  try {
    names = readdirSync('/proc/self/fd')
  } catch {
    return {closed, kept}
  }

  const channel = (process.channel as undefined | {fd?: number})?.fd
  for (const name of names) {
    const fd = Number(name)
    if (!Number.isInteger(fd) || fd <= 2) continue
    const flags = descriptorFlags(fd)
    // Gone (the directory listing's own descriptor) or already close-on-exec.
    if (flags === undefined || (flags & O_CLOEXEC) !== 0) continue
    if (fd === channel) {
      kept.push(fd)
      continue
    }

    try {
      closeSync(fd)
      closed.push(fd)
    } catch {
      // Closed meanwhile: nothing to do.
    }
  }

  return {closed, kept}
}
