/**
 * Removing a whole repository's files or history through tools other than `rm -rf .git` (issue 12):
 * `git rm -r -f .` deletes every tracked file and the uncommitted changes in them, and `find … -name
 * .git -delete` (or `-exec rm -rf`, or piped to `xargs rm`) deletes the history of every repository
 * it finds. `git rm --cached` only untracks and stays ask.
 */

import type {Cmd} from '../command.js'

import {commandRule, type CommandRule, type RuleEnv} from '../rules.js'

/** Pathspecs that name the whole tree. */
const WHOLE_TREE = /^(?:\.\/?|\*|\.\/\*|:\/?\*?|:\(top\)\*?|:\/\.)$/
/** git options before the subcommand that take a separate value. */
const GIT_VALUE = /^(?:-C|-c|--git-dir|--work-tree|--namespace|--exec-path|--config-env)$/

function gitRmWholeTree(argv: readonly string[]): null | string {
  let i = 0
  while (i < argv.length && (argv[i] as string).startsWith('-')) i += GIT_VALUE.test(argv[i] as string) ? 2 : 1
  if (argv[i] !== 'rm') return null
  const rest = argv.slice(i + 1)
  let recursive = false
  let force = false
  let cached = false
  let dashes = false
  const specs: string[] = []
  for (const v of rest) {
    if (dashes || !v.startsWith('-')) {
      specs.push(v)
      continue
    }

    switch (v) {
      case '--': {
        dashes = true
        break
      }

      case '--cached': {
        cached = true
        break
      }

      case '--force': {
        force = true
        break
      }

      case '-r':
      case '--recursive': {
        recursive = true
        break
      }

      default: {
        if (/^-[a-zA-Z]+$/.test(v)) {
          if (v.includes('r')) recursive = true
          if (v.includes('f')) force = true
        }
      }
    }
  }

  if (cached || !recursive || !force) return null
  const whole = specs.find((s) => WHOLE_TREE.test(s))
  return whole === undefined ? null : `git rm -r -f ${whole}: deletes every tracked file and the uncommitted changes`
}

/** A find test that names `.git` (`-name .git`, `-path '…/.git'`, `-iname .GIT`). */
const NAME_TEST = /^-(?:name|iname|path|ipath|wholename|iwholename|regex|iregex)$/
const GIT_NAME = /(?:^|[/*])\.git\/?\$?$/i
const DELETERS = /^(?:rm|shred|unlink|rmdir|srm|wipe)$/

function findNamesGit(argv: readonly string[]): boolean {
  return argv.some((v, i) => NAME_TEST.test(v) && GIT_NAME.test(argv[i + 1] ?? ''))
}

function findDeletesGit(argv: readonly string[]): boolean {
  if (!findNamesGit(argv)) return false
  if (argv.includes('-delete')) return true
  return argv.some(
    (v, i) => /^-(?:exec|execdir|ok|okdir)$/.test(v) && DELETERS.test((argv[i + 1] ?? '').replace(/^.*\//, '')),
  )
}

function piped(cmd: Cmd, env: RuleEnv): null | string {
  if (!cmd.viaNames.includes('xargs') && !cmd.viaNames.includes('parallel')) return null
  const finder = env.producers(cmd).find((p) => p.name === 'find' && findNamesGit(p.argv))
  return finder === undefined ? null : `find … -name .git | xargs ${cmd.name}: deletes the repositories' history`
}

export const repositoryRemoval = commandRule({
  id: 'destructive.git-remove-all',
  pack: 'destructive',
  decision: 'deny',
  reason: "deletes every tracked file (git rm -r -f .) or the repositories' history (.git found and deleted)",
  programs: ['git', 'find', 'rm', 'shred', 'unlink'],
  examples: {
    match: [
      'git rm -rf .',
      'git rm -r -f .',
      'git rm -f -r -- .',
      'git -C app rm -rf "*"',
      'find . -name .git -type d -exec rm -rf {} +',
      'find . -name .git -delete',
      String.raw`find / -path '*/.git' -prune -exec rm -rf {} \;`,
      'find . -type d -name .git | xargs rm -rf',
    ],
    not_match: [
      'git rm --cached -r -f .',
      'git rm -r --cached .',
      'git rm old.txt',
      'git rm -rf build/',
      'find . -name .git -type d',
      'find . -name "*.orig" -delete',
      'find . -name .gitkeep -delete',
      'rm -rf node_modules',
    ],
  },
  check(cmd, env) {
    if (cmd.name === 'git') return gitRmWholeTree(cmd.argv)
    if (cmd.name === 'find')
      return findDeletesGit(cmd.argv)
        ? 'find … -name .git with -delete/-exec rm: deletes the history of every repository it finds'
        : null
    return piped(cmd, env)
  },
})

export const gitRemovalRules: readonly CommandRule[] = [repositoryRemoval]
