/**
 * Destructive pack, hidden names: a command whose name is built at run time (`$(printf %s r m)`, `$x`)
 * is never allowed and is shown as "not analysed". When its arguments are rm's recursive-force options
 * over a place outside the workspace, the hiding is the attack (`$(echo rm) -rf /` spelled so that no
 * rule sees `rm`): refused, whatever the name turns out to be.
 */

import {describePlace, isScratchPath, placeWithin} from '../paths.js'
import {commandRule} from '../rules.js'

const RECURSIVE = /^-[A-Za-z]*[rR]|^--recursive$/
const FORCE = /^-[A-Za-z]*f|^--force$/

export const hiddenDeleter = commandRule({
  id: 'destructive.hidden-name-deletes',
  pack: 'destructive',
  decision: 'deny',
  reason: "runs a command whose name is hidden until run time with rm's recursive-force options outside the workspace",
  examples: {
    match: ['$(cat name.txt) -rf /', '$CMD -rf ~', '"$(cat name.txt)" -fr /etc', '$tool --recursive --force /usr'],
    not_match: ['$CMD -rf ./build', '$(echo rm) -rf /tmp/cache-123', '$EDITOR notes.txt', '$CC -o app main.c'],
  },
  check(cmd, env) {
    if (cmd.opaque === undefined) return null
    const options = cmd.argv.filter((a) => a.startsWith('-'))
    if (!options.some((a) => RECURSIVE.test(a)) || !options.some((a) => FORCE.test(a))) return null
    for (const w of cmd.args) {
      if (w.value.startsWith('-')) continue
      for (const place of env.places(cmd, w)) {
        if (place.kind !== 'unknown' && !placeWithin(place, env.ctx.workspace) && !isScratchPath(place))
          return `${cmd.opaque}: hidden command name with -rf over ${describePlace(place)}`
      }
    }

    return null
  },
})
