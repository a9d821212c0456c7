/**
 * Destructive pack (SPEC §4.3): deleting outside the workspace, disk and filesystem tools, writing
 * to block devices, power state, fork bombs, killing every process, recursive permission changes
 * outside the workspace. Deleting inside the workspace is the operator's call (`ask`), not a deny.
 */

import type {Cmd} from '../command.js'
import type {Word} from '../words.js'

import {permissionTargets, touches} from '../effects.js'
import {parseOptions} from '../options.js'
import {describePlace, deviceKind, isScratchPath, isWithin, type Place, placeWithin, scratchRoot} from '../paths.js'
import {type CommandRule, commandRule, type RuleEnv} from '../rules.js'
import {databaseRules} from './databases.js'
import {power} from './drives-and-power.js'
import {gitDiscardWork, gitRewriteHistory} from './git.js'
import {infraRules} from './infra.js'

const DELETERS = ['rm', 'rmdir', 'unlink', 'shred', 'srm', 'wipe', 'rimraf', 'del-cli']
/** Destroy whatever their flags: shred and co. overwrite contents, rimraf and del-cli are `rm -rf` by design. */
const ALWAYS_FORCED = new Set(['shred', 'srm', 'wipe', 'rimraf', 'del-cli'])

const CMD_SWITCH = /^\/[sqSQ]$/
const CMD_OUTSIDE = /%\w+%|^[A-Za-z]:|^\\/

const RM_SPEC = {
  short: {
    r: 'recursive',
    R: 'recursive',
    f: 'force',
    d: 'dir',
    i: 'interactive',
    I: 'interactive',
    v: 'verbose',
    u: 'remove',
    z: 'zero',
    n: 'iterations',
    s: 'size',
    x: 'one-fs',
  },
  long: {recursive: 'recursive', force: 'force', dir: 'dir', 'no-preserve-root': 'no-preserve-root', remove: 'remove'},
  shortValue: 'ns',
  longValue: ['iterations', 'size', 'random-source'],
}

/** The place is the workspace or the runtime directory, or holds one of them. */
function holdsHub(place: Place, ws: string, runtime: string): boolean {
  if (place.kind !== 'path') return false
  if (isWithin(ws, place.path) || isWithin(runtime, place.path) || isWithin(place.path, ws)) return true
  // A workspace at /tmp/x/ws makes /tmp/x the hub's corner of the scratch directory, not scratch.
  return [scratchRoot(ws), scratchRoot(runtime)].some((root) => root !== null && isWithin(place.path, root))
}

interface DeleteFacts {
  readonly dangerous: boolean
  /** Places inside a `.git` directory: the repository's own history. */
  readonly history: Place[]
  readonly label: string
  readonly noPreserveRoot: boolean
  readonly outside: Place[]
  readonly unknown: Place[]
}

/**
 * cmd.exe's `rmdir /s /q dir`: the switches are not paths, and `%VAR%`, `C:\` and `\\host` name places
 * outside the workspace (added to `outside`); the other operands are judged as paths.
 */
function cmdOperands(cmd: Cmd, operands: readonly Word[], outside: Place[]): readonly Word[] {
  if (cmd.name !== 'rmdir' || !operands.some((w) => CMD_SWITCH.test(w.value))) return operands
  const rest: Word[] = []
  for (const w of operands) {
    if (CMD_SWITCH.test(w.value)) continue
    if (CMD_OUTSIDE.test(w.raw)) outside.push({kind: 'path', below: false, path: w.raw})
    else rest.push(w)
  }

  return rest
}

/** `rm -rf` style label and where the operands point, computed once per command. */
function deleteFacts(cmd: Cmd, env: RuleEnv): DeleteFacts {
  const parsed = parseOptions(cmd.args, RM_SPEC)
  const recursive = parsed.flags.has('recursive')
  const force = parsed.flags.has('force')
  const letters = `${recursive ? 'r' : ''}${force ? 'f' : ''}`
  const label = `${cmd.name}${letters ? ` -${letters}` : ''}`
  const outside: Place[] = []
  const unknown: Place[] = []
  const history: Place[] = []
  const ws = env.ctx.workspace
  for (const word of cmdOperands(cmd, parsed.operands, outside)) {
    for (const place of env.places(cmd, word)) {
      if (place.kind === 'unknown') unknown.push(place)
      // Scratch space, unless the hub itself lives there (a workspace under /tmp).
      else if (isScratchPath(place) && !holdsHub(place, ws, env.ctx.runtimeDir)) continue
      // Deleting the workspace itself counts as outside: only what lies in it is the project's.
      else if (!placeWithin(place, ws) || (place.kind === 'path' && !place.below && place.path === ws))
        outside.push(place)
      else if (place.kind === 'path' && /(?:^|\/)\.git(?:\/|$)/.test(place.path)) history.push(place)
    }
  }

  // rm -r and rm -f do not stop to ask.
  const dangerous = recursive || force || ALWAYS_FORCED.has(cmd.name)
  return {label, dangerous, noPreserveRoot: parsed.flags.has('no-preserve-root'), outside, unknown, history}
}

const deleteOutside = commandRule({
  id: 'destructive.delete-outside-workspace',
  pack: 'destructive',
  decision: 'deny',
  reason: 'deletes files outside the workspace',
  programs: DELETERS,
  examples: {
    match: [
      'rm -rf /',
      'rm -rf /etc',
      'rm -fr ~',
      'rm -r -f ../../..',
      'rm --recursive --force /tmp/../etc',
      'rm -rf /*',
      '/usr/bin/rm -rf /var',
      'rm -rf --no-preserve-root /',
      'rm /etc/passwd',
      'shred -u ~/.bash_history',
      'rmdir /srv/x',
      'rm -rf -- /home',
      'rm -rf /tmp',
      'rm -rf /tmp/*',
      'rm -rf .git',
      'rmdir /s /q %USERPROFILE%',
      'npx rimraf ~/projects',
    ],
    not_match: [
      'rm -rf ./build',
      'rm -rf build dist',
      'rm notes.txt',
      'rm -rf *',
      'rm -rf "$DIR"',
      'echo rm -rf /',
      'rm -rf /tmp/build-cache',
      'rm -f /tmp/lock.$$',
      'rmdir /s /q node_modules',
      String.raw`rmdir /S /Q .\dist`,
      'npx rimraf dist coverage',
    ],
  },
  check(cmd, env) {
    const facts = deleteFacts(cmd, env)
    if (facts.noPreserveRoot) return `${facts.label} --no-preserve-root: removes the whole file system`
    const first = facts.outside[0]
    if (first === undefined) {
      const git = facts.history[0]
      return git ? `${facts.label} ${describePlace(git)}: deletes the repository's history` : null
    }

    return `${facts.label} outside the workspace: ${describePlace(first)}`
  },
})

const deleteUnresolvable = commandRule({
  id: 'destructive.delete-unresolvable-path',
  pack: 'destructive',
  decision: 'deny',
  reason:
    'forced or recursive delete of a path built at run time: ' +
    'an empty or hostile value could point anywhere (`$DIR/` becomes `/`)',
  programs: DELETERS,
  examples: {
    match: ['rm -rf $DIR', 'rm -rf "$BUILD/"', 'rm -rf ./$X', 'rm -rf $(cat list)', 'rm -rf .*', 'cd $X && rm -rf *'],
    not_match: ['rm -rf ./build', 'rm $FILE', 'rm -rf /etc'],
  },
  check(cmd, env) {
    const facts = deleteFacts(cmd, env)
    const first = facts.unknown[0]
    if (!facts.dangerous || first === undefined || first.kind !== 'unknown') return null
    return `${facts.label} of a path the engine cannot resolve: ${first.why} — it could point outside the workspace`
  },
})

const deleteUnseen = commandRule({
  id: 'destructive.delete-unseen-operands',
  pack: 'destructive',
  decision: 'ask',
  reason: 'forced or recursive delete of paths supplied at run time (xargs): the engine cannot see them',
  programs: DELETERS,
  examples: {
    match: ['find . -name "*.o" | xargs rm -f', 'cat list | xargs rm -rf'],
    not_match: ['rm -rf ./build', 'ls | xargs echo'],
  },
  check(cmd, env) {
    if (!cmd.unseenArgs) return null
    return deleteFacts(cmd, env).dangerous
  },
})

/** `xargs -a list rm -rf`, `xargs rm -rf < list`: the paths come from a file the request does not show. */
const deleteFromFile = commandRule({
  id: 'destructive.delete-from-unseen-file',
  pack: 'destructive',
  decision: 'deny',
  reason: 'forced or recursive delete of paths read from a file (xargs -a): what it deletes is not shown',
  programs: DELETERS,
  examples: {
    match: ['xargs -a list.txt rm -rf', 'xargs --arg-file=paths rm -rf', 'xargs -0 -a l rm -f', 'xargs rm -rf < list'],
    not_match: ['xargs -a list.txt echo', 'xargs -a list.txt rm', 'echo ./build | xargs rm -rf', 'rm -rf ./build'],
  },
  check(cmd, env) {
    if (!cmd.unseenArgs || !cmd.viaNames.includes('xargs')) return null
    const fromFile =
      cmd.wrapperFiles.some((f) => !f.write) ||
      cmd.raw.redirects.some((r) => r.op === '<' && r.target !== null && r.target.procGroup === undefined)
    return fromFile && deleteFacts(cmd, env).dangerous
  },
})

const findDelete = commandRule({
  id: 'destructive.find-delete-outside-workspace',
  pack: 'destructive',
  decision: 'deny',
  reason: 'find -delete outside the workspace',
  programs: ['find'],
  examples: {
    match: ['find / -delete', 'find ~ -name "*.log" -delete', 'find .. -type f -delete'],
    not_match: ['find . -name "*.tmp" -delete', 'find / -name passwd'],
  },
  check(cmd, env) {
    if (!cmd.argv.includes('-delete')) return null
    const starts = []
    for (const w of cmd.args) {
      if (/^[-(!]/.test(w.value)) break
      starts.push(w)
    }

    if (starts.length === 0) return null
    for (const w of starts) {
      for (const place of env.places(cmd, w)) {
        if (place.kind === 'unknown') return `find -delete under a path the engine cannot resolve: ${place.why}`
        if (!placeWithin(place, env.ctx.workspace)) return `find -delete outside the workspace: ${describePlace(place)}`
      }
    }

    return null
  },
})

const DISK_TOOLS = new Set([
  'mkfs',
  // macOS: newfs_msdos, newfs_hfs, newfs_apfs, newfs_exfat.
  'newfs',
  'newfs_msdos',
  'newfs_hfs',
  'newfs_apfs',
  'newfs_exfat',
  'mke2fs',
  'mkswap',
  'mkdosfs',
  'mkntfs',
  'mkexfatfs',
  'fdisk',
  'sfdisk',
  'cfdisk',
  'gdisk',
  'sgdisk',
  'cgdisk',
  'parted',
  'partprobe',
  'wipefs',
  'blkdiscard',
  'badblocks',
  'hdparm',
  'sdparm',
  'zpool',
  'lvremove',
  'vgremove',
  'pvremove',
  'lvreduce',
  'mdadm',
  'cryptsetup',
  'dmsetup',
  'diskutil',
  'fsck',
  'e2fsck',
  'tune2fs',
  'resize2fs',
  'debugfs',
  'xfs_repair',
  'btrfs',
  'zfs',
  'format',
  'diskpart',
])

const diskTools = commandRule({
  id: 'destructive.disk-tools',
  pack: 'destructive',
  decision: 'deny',
  reason: 'disk, partition or filesystem tool',
  examples: {
    match: [
      'mkfs.ext4 /dev/sda1',
      'mkfs -t xfs /dev/nvme0n1',
      'fdisk /dev/sda',
      'parted /dev/sda mklabel gpt',
      'wipefs -a /dev/sdb',
      'sudo mkswap /dev/sdc',
      'diskutil eraseDisk JHFS+ X disk2',
    ],
    not_match: ['df -h', 'lsblk', 'du -sh .'],
  },
  check(cmd) {
    if (DISK_TOOLS.has(cmd.name) || /^mkfs\./.test(cmd.name) || /^fsck\./.test(cmd.name))
      return `disk, partition or filesystem tool: ${cmd.name}`
    return null
  },
})

const deviceWrite = commandRule({
  id: 'destructive.write-to-device',
  pack: 'destructive',
  decision: 'deny',
  reason: 'writes to a disk or memory device',
  examples: {
    match: [
      'dd if=/dev/zero of=/dev/sda bs=1M',
      '> /dev/sda',
      'cat image.iso > /dev/sdb',
      'echo x | tee /dev/nvme0n1',
      'cp disk.img /dev/mmcblk0',
      'shred /dev/sda',
      'dd if=x of=/dev/mem',
    ],
    not_match: [
      'echo hi > /dev/null',
      'ls 2>/dev/null',
      'dd if=/dev/zero of=./blank.img bs=1M count=1',
      'cat /dev/urandom | head -c 16',
    ],
  },
  check(cmd, env) {
    for (const t of touches(cmd)) {
      if (!t.write) continue
      for (const place of env.places(cmd, t.word)) {
        if (place.kind === 'path' && deviceKind(place.path) === 'disk') return `writes to the device ${place.path}`
      }
    }

    return null
  },
})

const forkBomb = commandRule({
  id: 'destructive.fork-bomb',
  pack: 'destructive',
  decision: 'deny',
  reason: 'fork bomb: a function that starts copies of itself in a pipeline or in the background',
  examples: {
    match: [':(){ :|:& };:', 'bomb() { bomb | bomb & }; bomb', 'f(){ f & f & }; f'],
    not_match: ['f() { echo hi; }; f', 'retry() { make || retry; }'],
  },
  check(cmd) {
    const {fn} = cmd.raw
    if (fn === null || cmd.program !== fn) return null
    return cmd.raw.background || cmd.raw.slots.length > 0
  },
})

const killAll = commandRule({
  id: 'destructive.kill-all',
  pack: 'destructive',
  decision: 'deny',
  reason: 'kills every process the user can signal',
  programs: ['kill', 'killall5', 'pkill', 'killall'],
  examples: {
    match: ['kill -9 -1', 'kill -- -1', 'kill -KILL -1', 'killall5 -9', 'pkill -u "$USER"', 'killall -u dev'],
    not_match: ['kill 1234', 'kill -1 1234', 'kill %1', 'pkill -f my-test-server'],
  },
  check(cmd) {
    if (cmd.name === 'killall5') return true
    if (cmd.name === 'pkill' || cmd.name === 'killall') {
      const parsed = parseOptions(cmd.args, {
        shortValue: 'sugtPGUFcaen',
        long: {},
        longValue: ['signal', 'user', 'group', 'uid', 'terminal', 'parent', 'pgroup', 'session'],
      })
      // A pattern that matches any command line (`pkill -f .`) is every process too.
      if (parsed.operands.some((w) => /^(?:\.\*?|\^|\.\+|\S?\*)$/.test(w.value)))
        return `${cmd.name} matches every process`
      return (parsed.flags.has('-u') || parsed.flags.has('--user') || parsed.flags.has('-U')) &&
        parsed.operands.length === 0
        ? `${cmd.name} of every process of a user`
        : null
    }

    // kill [-s SIG | -SIG] [--] pid…: the first dash word is the signal, later `-1` means "every process".
    let i = 0
    const a = cmd.argv
    if (a[0] === '-s' || a[0] === '-n') i = 2
    else if (a[0] !== undefined && a[0].startsWith('-') && a[0] !== '--') i = 1
    if (a[i] === '--') i++
    return a.slice(i).includes('-1') ? 'kill -1: signals every process' : null
  },
})

const recursivePerms = commandRule({
  id: 'destructive.recursive-permissions-outside-workspace',
  pack: 'destructive',
  decision: 'deny',
  reason: 'recursive permission or ownership change outside the workspace',
  programs: ['chmod', 'chown', 'chgrp', 'setfacl', 'chattr'],
  examples: {
    match: ['chmod -R 777 /', 'chown -R nobody ~', 'chmod --recursive 000 /home', 'chgrp -R staff ../..'],
    not_match: ['chmod -R u+w ./build', 'chmod +x ./run.sh', 'chown -R me ./dist'],
  },
  check(cmd, env) {
    if (!cmd.args.some((w) => /^-[A-Za-z]*R[A-Za-z]*$|^--recursive$/.test(w.value))) return null
    for (const w of permissionTargets(cmd)) {
      for (const place of env.places(cmd, w)) {
        if (!placeWithin(place, env.ctx.workspace))
          return `${cmd.name} -R outside the workspace: ${describePlace(place)}`
      }
    }

    return null
  },
})

export const destructivePack: readonly CommandRule[] = [
  deleteOutside,
  deleteUnresolvable,
  deleteUnseen,
  deleteFromFile,
  findDelete,
  diskTools,
  deviceWrite,
  power,
  forkBomb,
  killAll,
  recursivePerms,
  gitDiscardWork,
  gitRewriteHistory,
  ...databaseRules,
  ...infraRules,
]
