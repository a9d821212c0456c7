/**
 * Destructive pack, git internals: writing straight into `.git/HEAD`, `index`, `refs/`, `objects/`,
 * `packed-refs` or `logs/` corrupts the repository or rewrites its history behind git's back, and a write to
 * `.git/config` can set `core.fsmonitor`/`core.pager`, which git then runs. Git's own commands are the way to
 * change these; a plain file write to them is refused. (Hooks are judged by what they run, see evaluation.ts.)
 */

import {touches} from '../effects.js'
import {commandRule} from '../rules.js'

const INTERNALS = /(?:^|\/)\.git\/(?:HEAD|ORIG_HEAD|index|config|packed-refs|(?:refs|objects|logs)(?:\/|$))/

export const gitInternals = commandRule({
  id: 'destructive.git-internals',
  pack: 'destructive',
  decision: 'deny',
  reason: "writes straight into the repository's internals (HEAD, index, refs, objects, config)",
  examples: {
    match: ['echo > .git/HEAD', 'echo "[core] fsmonitor = sh x" >> .git/config', 'cp x .git/refs/heads/main'],
    not_match: ['cat .git/HEAD', 'echo build >> .git/info/exclude', 'git config user.name me', 'ls .git/refs'],
  },
  check(cmd, env) {
    for (const t of touches(cmd)) {
      if (!t.write) continue
      for (const place of env.places(cmd, t.word)) {
        if (place.kind !== 'unknown' && INTERNALS.test(place.path)) return `${cmd.name} writes ${place.path}`
      }
    }

    return null
  },
})
