/** Working directories a command may run in after earlier `cd`s. */

import path from 'node:path'

import type {Frame} from './raw-command.js'
import type {Word} from './words.js'

const MAX_CWDS = 8
const UNKNOWN_DIR = ''

/** Where `cd target` from `dir` lands: absolute, `~…`, or '' when it cannot be known. */
export function changeDir(dir: string, target: undefined | Word): string {
  if (target === undefined) return '~'
  if (!target.static || target.glob || target.value === '-') return UNKNOWN_DIR
  const v = target.value
  if (target.tilde) return v.startsWith('~/') || v === '~' ? path.posix.normalize(v) : UNKNOWN_DIR
  if (v.startsWith('/')) return path.posix.resolve(v)
  if (dir === UNKNOWN_DIR) return UNKNOWN_DIR
  if (dir.startsWith('~')) {
    const joined = path.posix.normalize(`${dir}/${v}`)
    return joined.startsWith('~') ? joined : UNKNOWN_DIR
  }

  return path.posix.resolve(dir, v)
}

/**
 * After `cd X` later commands may run in X. Every directory reached is kept as a possibility
 * (a `cd` in one branch of an `if` may or may not have happened), so paths are judged against
 * all of them.
 */
export function trackCd(words: readonly Word[], frame: Frame): void {
  let i = 0
  while (i < words.length && (words[i]?.value === 'builtin' || words[i]?.value === 'command')) i++
  const name = words[i]
  if (name === undefined || !name.static || (name.value !== 'cd' && name.value !== 'pushd')) return
  let target: undefined | Word
  for (const w of words.slice(i + 1)) {
    if (w.static && /^-[LPe@]+$/.test(w.value)) continue
    if (w.value === '--') continue
    target = w
    break
  }

  const next = new Set(frame.cwd.dirs)
  for (const dir of frame.cwd.dirs) next.add(changeDir(dir, target))
  frame.cwd.dirs = next.size > MAX_CWDS ? [...[...next].slice(0, MAX_CWDS - 1), UNKNOWN_DIR] : [...next]
}
