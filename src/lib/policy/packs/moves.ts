/**
 * Moving away what everything else stands on (issue 12): the home directory, the file-system root
 * or a directory that holds the workspace. Nothing is deleted, but every program, key and setting
 * that lives there disappears from where it is looked for, and the workspace moves with it.
 */

import type {Cmd} from '../command.js'
import type {Word} from '../words.js'

import {parseOptions} from '../options.js'
import {describePlace, isScratchPath, isWithin, placeWithin} from '../paths.js'
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

/**
 * The operands an archiver deletes once archived (`tar --remove-files`, `zip -m`, `7z a -sdel`,
 * `rar m`), or none when it keeps them.
 */
function archivedAndDeleted(cmd: Cmd): readonly Word[] {
  const {argv} = cmd
  switch (cmd.name) {
    case 'tar':
    case 'bsdtar':
    case 'gtar': {
      if (!argv.includes('--remove-files')) return []
      return parseOptions(cmd.args, {shortValue: 'fCTXbHLgKNV', longValue: ['file', 'directory', 'exclude']}).operands
    }

    case 'zip': {
      if (!argv.some((a) => a === '--move' || /^-[A-Za-z]*m/.test(a))) return []
      // The first operand is the archive; the rest are what it takes in (and then deletes).
      return parseOptions(cmd.args, {shortValue: 'bnPtx', longValue: ['password', 'temp-path']}).operands.slice(1)
    }

    case '7z':
    case '7za':
    case '7zz':
    case 'rar': {
      const [verb, , ...rest] = cmd.args.filter((w) => !w.value.startsWith('-'))
      const deletes = argv.includes('-sdel') || argv.includes('-df') || (cmd.name === 'rar' && verb?.value === 'm')
      return deletes ? rest : []
    }

    default: {
      return []
    }
  }
}

export const archiveAway = commandRule({
  id: 'destructive.archive-and-delete',
  pack: 'destructive',
  decision: 'deny',
  reason: 'archives files outside the workspace and deletes the originals (the way ransomware takes them)',
  programs: ['tar', 'bsdtar', 'gtar', 'zip', '7z', '7za', '7zz', 'rar'],
  examples: {
    match: [
      'tar --remove-files -czf /tmp/a.tgz ~/Documents',
      'zip -r -m /tmp/d.zip ~/Documents',
      'zip -r -P secret --move out.zip /etc/nginx',
      '7z a -sdel /tmp/x.7z ~/Pictures',
      'rar m -hpX /tmp/x.rar ~/work',
    ],
    not_match: ['tar -czf /tmp/a.tgz ~/Documents', 'tar --remove-files -czf logs.tgz ./logs', 'zip -rm out.zip build'],
  },
  check(cmd, env) {
    for (const w of archivedAndDeleted(cmd)) {
      for (const place of env.places(cmd, w)) {
        if (place.kind === 'unknown') return `${cmd.name} deletes what it archives, and ${place.why}`
        if (!isScratchPath(place) && !placeWithin(place, env.ctx.workspace))
          return `${cmd.name} archives and deletes ${describePlace(place)}`
      }
    }

    return null
  },
})

export const moveRules: readonly CommandRule[] = [moveAway, archiveAway]
