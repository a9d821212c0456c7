/**
 * Moving away what everything else stands on (issue 12): the home directory, the file-system root
 * or a directory that holds the workspace. Nothing is deleted, but every program, key and setting
 * that lives there disappears from where it is looked for, and the workspace moves with it.
 */

import {parseOptions} from '../options.js'
import {isWithin} from '../paths.js'
import {commandRule, type CommandRule} from '../rules.js'

export const moveAway = commandRule({
  id: 'destructive.move-away',
  pack: 'destructive',
  decision: 'deny',
  reason: 'moves the home directory, the root or a directory holding the workspace somewhere else',
  programs: ['mv'],
  examples: {
    match: [
      'mv ~ /tmp/old-home',
      'mv $HOME /var/tmp/',
      'mv / /x',
      'mv {workspace} /tmp/old-workspace',
      'mv -f ~/ ~/../x',
    ],
    not_match: ['mv ~/notes.txt ~/archive/', 'mv a.txt b.txt', 'mv ./build /tmp/old-build'],
  },
  check(cmd, env) {
    const {operands} = parseOptions(cmd.args, {shortValue: 'tS', longValue: ['target-directory', 'suffix']})
    // The last operand is the destination (unless -t named it); every other is moved away.
    const t = cmd.args.some((w) => /^-[A-Za-z]*t|^--target-directory/.test(w.value))
    const sources = t ? operands : operands.slice(0, -1)
    for (const w of sources) {
      for (const place of env.places(cmd, w)) {
        if (place.kind === 'home' && place.path === '~' && !place.below) return 'mv of the home directory itself'
        if (place.kind === 'path' && !place.below && isWithin(env.ctx.workspace, place.path))
          return `mv ${place.path}: moves away a directory that holds the workspace`
      }
    }

    return null
  },
})

export const moveRules: readonly CommandRule[] = [moveAway]
