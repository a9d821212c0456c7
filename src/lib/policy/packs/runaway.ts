/**
 * Destructive pack, runaway processes: loops that only start processes in the background, with nothing
 * that waits, are a fork bomb written as a loop (`while true; do bash & done`). The walker marks the body of
 * a loop that cannot end by its own condition; this rule looks for such a body whose every command ends in
 * `&` (a mention in quotes or a commit message is not a loop, so it is never matched).
 * (Interpreters' endless fork loops, `perl -e 'fork while fork'`, are read in inline-code.ts.)
 */

import type {Cmd} from '../command.js'

import {commandRule} from '../rules.js'
import {optionValue} from '../subcommands.js'

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

/** Devices that never run dry. */
const ENDLESS_DEVICE = /^\/dev\/(?:zero|u?random|full)$/

/** From this size on, one file is a disk filled on purpose, not a test fixture. */
const HUGE_BYTES = 10 * 2 ** 30

/** `500G`, `1T`, `2GiB`, `1099511627776` in bytes; NaN when it is not a size. */
function bytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmgtpe]?)(?:i?b)?$/i.exec(text)
  if (!m) return Number.NaN
  return Number(m[1]) * 1024 ** ' kmgtpe'.indexOf((m[2] || ' ').toLowerCase())
}

/** Standard output sent to a file (or /dev/null) rather than down a pipe. */
function stdoutToFile(cmd: Cmd): boolean {
  return cmd.raw.redirects.some((r) => /^(?:>|>>|>\||&>|&>>)$/.test(r.op) && (r.fd === null || r.fd === '1'))
}

const diskFill = commandRule({
  id: 'destructive.disk-fill',
  pack: 'destructive',
  decision: 'deny',
  reason: 'writes without end (or reserves a huge file) until the disk is full, or burns a CPU for nothing',
  programs: ['dd', 'cat', 'yes', 'head', 'fallocate', 'mkfile', 'xfs_mkfile', 'pv'],
  examples: {
    match: [
      'dd if=/dev/zero of=/tmp/fill bs=1M',
      'dd if=/dev/urandom of=~/x.bin',
      'cat /dev/zero > ~/big',
      'yes > /dev/null &',
      'yes "spam" >> out.log',
      'head -c 100G /dev/zero > /tmp/zeros',
      'fallocate -l 500G /tmp/huge.img',
      'mkfile 2t /tmp/x',
    ],
    not_match: [
      'dd if=/dev/zero of=test.img bs=1M count=64',
      'head -c 32 /dev/urandom | base64',
      'yes | npm init',
      'yes y | ./install.sh',
      'fallocate -l 64M swap.test',
      'cat /dev/urandom | head -c 16',
    ],
  },
  check(cmd) {
    const {argv} = cmd
    switch (cmd.name) {
      case 'dd': {
        const input = argv.find((a) => a.startsWith('if='))?.slice(3)
        const output = argv.find((a) => a.startsWith('of='))?.slice(3)
        if (input === undefined || !ENDLESS_DEVICE.test(input) || output === undefined || output.startsWith('/dev/'))
          return null
        return argv.some((a) => a.startsWith('count='))
          ? null
          : `dd if=${input} of=${output} with no count: fills the disk`
      }

      case 'cat':
      case 'pv': {
        const device = argv.find((a) => ENDLESS_DEVICE.test(a))
        return device && stdoutToFile(cmd) ? `${cmd.name} ${device} into a file: writes without end` : null
      }

      case 'yes': {
        return stdoutToFile(cmd) ? 'yes into a file or /dev/null: writes (or spins a CPU) without end' : null
      }

      case 'head': {
        const size = optionValue(argv, ['-c', '--bytes']) ?? ''
        return bytes(size) >= HUGE_BYTES && argv.some((a) => ENDLESS_DEVICE.test(a)) && stdoutToFile(cmd)
          ? `head -c ${size} of an endless device into a file: fills the disk`
          : null
      }

      default: {
        const text =
          cmd.name === 'fallocate' ? optionValue(argv, ['-l', '--length']) : argv.find((a) => !a.startsWith('-'))
        return bytes(text ?? '') >= HUGE_BYTES
          ? `${cmd.name} of ${text ?? ''}: reserves a huge share of the disk`
          : null
      }
    }
  },
})

export const runawayRules = [backgroundLoop, endlessParallel, diskFill]
