/**
 * Destructive pack, runaway processes: loops that only start processes in the background, with nothing
 * that waits, are a fork bomb written as a loop (`while true; do bash & done`). The walker marks the body of
 * a loop that cannot end by its own condition; this rule looks for such a body whose every command ends in
 * `&` (a mention in quotes or a commit message is not a loop, so it is never matched).
 * (Interpreters' endless fork loops, `perl -e 'fork while fork'`, are read in inline-code.ts.)
 */

import {commandRule} from '../rules.js'

const backgroundLoop = commandRule({
  id: 'destructive.process-flood',
  pack: 'destructive',
  decision: 'deny',
  reason: 'starts processes in an endless loop without waiting for any (a fork bomb written as a loop)',
  examples: {
    match: [
      'while true; do bash & done',
      'while :; do sh & done',
      'for ((;;)); do bash & done',
      'while true; do sleep 1000 & done',
      'until false; do yes > /dev/null & done',
      'while [ 1 ]; do python3 x.py & ./x & done',
    ],
    not_match: [
      'while true; do ./server & sleep 5; kill $!; done',
      'while true; do make test; sleep 2; done',
      'for f in *.log; do gzip "$f" & done; wait',
      'while read -r f; do convert "$f" & done < list.txt',
      'echo "while true; do bash & done"',
      "git commit -m 'while true; do sh & done'",
    ],
  },
  check(cmd, env) {
    const {loop} = cmd.raw
    if (loop === null || !cmd.raw.background) return null
    const body = env.commands().filter((c) => c.raw.loop === loop && c.depth === cmd.depth)
    return body.every((c) => c.raw.background)
      ? `${cmd.name} … & on every turn of an endless loop, with nothing that waits`
      : null
  },
})

/** `yes | xargs -P 0 …`: an endless input with no limit on parallel runs. */
const endlessParallel = commandRule({
  id: 'destructive.endless-parallel',
  pack: 'destructive',
  decision: 'deny',
  reason: 'feeds an endless input to xargs or parallel with no limit on processes at once',
  examples: {
    match: ["yes | xargs -P 0 -I{} sh -c 'sleep 9999'", 'yes | xargs -P0 -n1 sleep', 'yes | parallel -j0 sleep 100'],
    not_match: ['yes | head -n 3 | xargs echo', 'ls | xargs -P 0 gzip', 'yes | xargs -n1 -P 4 true'],
  },
  check(cmd, env) {
    // xargs and parallel are unwrapped: the command is what they run, their own words are the raw command's.
    const words = cmd.raw.words.map((w) => w.value)
    const tool = words[0]
    if (cmd.depth > 0 || (tool !== 'xargs' && tool !== 'parallel') || !cmd.viaNames.includes(tool)) return null
    const limit = tool === 'xargs' ? /^(?:-P|--max-procs=?)(.*)$/ : /^(?:-j|--jobs=?|-P)(.*)$/
    const unlimited = words.some((w, i) => {
      const m = limit.exec(w)
      return m !== null && (m[1] === '' ? words[i + 1] : m[1]) === '0'
    })
    if (!unlimited) return null
    const endless = env
      .producers(cmd)
      .find((p) => p.name === 'yes' || (p.name === 'cat' && p.argv.includes('/dev/zero')))
    return endless ? `${endless.name} | ${tool} with no process limit: starts processes without end` : null
  },
})

export const runawayRules = [backgroundLoop, endlessParallel]
