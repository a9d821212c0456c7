/**
 * Destructive pack, runaway processes: loops that only start processes in the background, with nothing
 * that waits, are a fork bomb written as a loop (`while true; do bash & done`). Shell loops are not
 * commands of their own in the engine's model, so this reads the request's text, after quotes were
 * seen by the parser: a loop header, a body whose every command ends in `&`, and `done`.
 * (Interpreters' endless fork loops, `perl -e 'fork while fork'`, are read in inline-code.ts.)
 */

import {commandRule, textRule} from '../rules.js'

/** `while true|:|[ 1 ]|(( 1 ))`, `until false`, `for ((;;))`, then `do BODY done` with every command backgrounded. */
const BACKGROUND_LOOP = new RegExp(
  String.raw`(?:\b(?:while\s+(?:true|:|\[\s*1\s*\]|\(\(\s*1\s*\)\))|until\s+false)|\bfor\s*\(\(\s*;\s*;\s*\)\))` +
    String.raw`\s*;?\s*do\s+(?:[^;&|\n]+&(?!&)\s*(?:;|\n)?\s*)+done\b`,
)

const backgroundLoop = textRule({
  id: 'destructive.process-flood',
  pack: 'destructive',
  decision: 'deny',
  reason: 'starts processes in an endless loop without waiting for any (a fork bomb written as a loop)',
  pattern: BACKGROUND_LOOP,
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
      'while true; do curl -s localhost:3000/health && break; sleep 1; done',
    ],
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
