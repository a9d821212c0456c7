/**
 * Symbolic links a request makes (`ln -s / r`) and then uses (`rm -rf r/`): paths through them are
 * judged where the kernel would take them.
 */
import path from 'node:path'

import type {Cmd} from './command.js'
import type {Word} from './words.js'

import {parseOptions} from './options.js'
import {type Place} from './paths.js'

export class Links {
  /** Link path → the path it points at. */
  private readonly map = new Map<string, string>()

  get size(): number {
    return this.map.size
  }

  /** A path that runs through a link this request made, as the kernel would follow it. */
  follow(p: string): string {
    for (let hops = 0; hops < 8; hops++) {
      let changed = false
      for (const [link, to] of this.map) {
        if (p.startsWith(`${link}/`)) {
          p = to === '/' ? p.slice(link.length) : to + p.slice(link.length)
          changed = true
        }
      }

      if (!changed) break
    }

    return p
  }

  /** Remembers the link `ln -s` makes, when its target and name are visible. */
  note(cmd: Cmd): void {
    const parsed = parseOptions(cmd.args, {shortValue: 'tS', longValue: ['target-directory', 'suffix']})
    if (!parsed.flags.has('-s') && !parsed.flags.has('--symbolic')) return
    const ops = parsed.operands
    const target = ops[0]
    if (target === undefined || !target.static) return
    const linkWord = ops.length >= 2 ? ops.at(-1) : undefined
    for (const cwd of cmd.cwds) {
      if (cwd === '' || cwd.startsWith('~')) continue
      const link = linkWord
        ? linkWord.static
          ? path.posix.resolve(cwd, linkWord.value)
          : undefined
        : path.posix.resolve(cwd, path.posix.basename(target.value))
      if (link === undefined) continue
      // A relative target is read from the link's own directory; `~…` stays the home directory.
      const to = target.tilde
        ? path.posix.normalize(target.value).replace(/\/$/, '')
        : path.posix.resolve(path.posix.dirname(link), target.value)
      if (to !== undefined && to !== link) this.map.set(link, to)
    }
  }

  /** Where a path goes for `program`, through the links (rm removes a link itself, not what it points at). */
  through(place: Place, word: Word, program: string): Place {
    if (place.kind !== 'path') return place
    const own = this.map.get(place.path)
    // `rm -rf r` removes the link itself; `rm -rf r/`, `r/*`, `r/x` — and any other program
    // opening `r` — go through it.
    const onLink = /^(?:rm|unlink|rmdir|mv|ln)$/.test(program)
    let followed = place.path
    if (own === undefined) {
      followed = this.follow(place.path)
    } else if (!onLink || place.below || word.value.endsWith('/') || word.value.endsWith('/.'))
      followed = this.follow(own)
    if (followed === place.path) return place
    return followed.startsWith('~') ? {kind: 'home', path: followed, below: place.below} : {...place, path: followed}
  }
}
