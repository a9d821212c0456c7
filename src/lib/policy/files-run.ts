/**
 * Files a tool runs by convention, when this same request wrote them (issue 12, SPEC §4.2 "the
 * engine follows what one request creates and then uses"): the recipes of a Makefile or justfile
 * for `make`/`just`, the scripts of a package.json for `npm install`/`npm run`, a Rakefile for
 * `rake`, and SQL a client reads from a file or a process substitution (`psql -f x.sql`,
 * `psql < <(echo …)`). Each is judged as the commands it stands for.
 */

import type {Analyser} from './analyser.js'
import type {Cmd} from './command.js'

import {analyseInline} from './inline-code.js'
import {redirectedTexts} from './pipe-text.js'
import {optionValue, verbsOf} from './subcommands.js'
import {literalWord, shellQuote} from './words.js'

const SQL_CLIENTS = /^(?:psql|mysql|mariadb|sqlite3?|sqlcmd|clickhouse-client|duckdb|cockroach|cqlsh|pgcli|mycli)$/
const NODE_MANAGERS = /^(?:npm|yarn|pnpm|bun)$/
/** npm verbs that run package.json scripts (lifecycle scripts for installs, the named one for run). */
const RUNS_SCRIPTS =
  /^(?:install|i|ci|add|run|run-script|rum|urn|test|t|start|stop|restart|exec|x|rebuild|pack|publish)$/

/** The text of the first of `names` this request wrote (relative to where the command runs). */
function written(cmd: Cmd, an: Analyser, names: readonly string[]): null | string {
  for (const n of names) {
    const text = an.fileContent(literalWord(n), cmd.cwds)
    if (typeof text === 'string') return text
  }

  return null
}

/** A here-document or here-string the command reads on standard input. */
function literalStdin(cmd: Cmd): null | string {
  for (const r of cmd.raw.redirects) {
    if (r.heredoc) return r.heredoc.body
    if (r.op === '<<<' && r.target?.static) return r.target.value
  }

  return null
}

/** Recipe lines of a Makefile (tab-indented, `@`/`-`/`+` prefixes removed). */
function makeRecipes(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('\t'))
    .map((l) => l.trim().replace(/^[@+-]+/, ''))
    .filter((l) => l !== '')
}

/** Recipe lines of a justfile (indented lines under a recipe header). */
function justRecipes(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => /^[ \t]+\S/.test(l))
    .map((l) => l.trim().replace(/^[@-]+/, ''))
}

function packageScripts(text: string): string[] {
  try {
    const json = JSON.parse(text) as {scripts?: unknown}
    const {scripts} = json
    if (typeof scripts !== 'object' || scripts === null) return []
    return Object.values(scripts).filter((v): v is string => typeof v === 'string')
  } catch {
    return []
  }
}

/** The hooks a git verb runs, by name (SPEC §4.2: a hook the request wrote is code that runs). */
const GIT_HOOKS: Readonly<Record<string, readonly string[]>> = {
  commit: ['pre-commit', 'prepare-commit-msg', 'commit-msg', 'post-commit'],
  push: ['pre-push'],
  checkout: ['post-checkout'],
  switch: ['post-checkout'],
  clone: ['post-checkout'],
  merge: ['pre-merge-commit', 'post-merge'],
  pull: ['post-merge'],
  rebase: ['pre-rebase', 'post-rewrite'],
  am: ['applypatch-msg', 'pre-applypatch', 'post-applypatch'],
}

/** `pip install .`, `pip install -e .`, `pip wheel .`: a project directory given to pip runs its setup.py. */
function pipBuildsHere(cmd: Cmd): boolean {
  const verbs = verbsOf(cmd)
  return /^(?:install|wheel|download)$/.test(verbs[0] ?? '') && cmd.argv.some((a) => a === '.' || a === './')
}

export function filesRun(cmd: Cmd, an: Analyser): void {
  const via = (what: string): string[] => [...cmd.via, `${cmd.name} ${what}`]
  if (cmd.name === 'make' || cmd.name === 'gmake') {
    const file = optionValue(cmd.argv, ['-f', '--file', '--makefile'])
    // `make -f - <<EOF` / `-f /dev/stdin <<< …`: the makefile is the here-document itself.
    const stdin = file === '-' || file === '/dev/stdin' ? literalStdin(cmd) : null
    const text = stdin ?? written(cmd, an, file === undefined ? ['GNUmakefile', 'makefile', 'Makefile'] : [file])
    if (text !== null) for (const line of makeRecipes(text)) an.code(line, via('recipe'), cmd.cwds)
    return
  }

  if (cmd.name === 'just') {
    const file = optionValue(cmd.argv, ['-f', '--justfile'])
    const text = written(cmd, an, file === undefined ? ['justfile', 'Justfile', '.justfile'] : [file])
    if (text !== null) for (const line of justRecipes(text)) an.code(line, via('recipe'), cmd.cwds)
    return
  }

  if (NODE_MANAGERS.test(cmd.name)) {
    const verbs = verbsOf(cmd)
    // `yarn` alone installs; `yarn build` runs a script.
    if (verbs.length > 0 && !RUNS_SCRIPTS.test(verbs[0] as string) && cmd.name === 'npm') return
    const text = written(cmd, an, ['package.json'])
    if (text !== null) for (const s of packageScripts(text)) an.code(s, via('script'), cmd.cwds)
    return
  }

  if (cmd.name === 'git') {
    const hooks = GIT_HOOKS[verbsOf(cmd)[0] ?? ''] ?? []
    for (const hook of hooks) {
      const text = written(cmd, an, [`.git/hooks/${hook}`, `.husky/${hook}`, `.githooks/${hook}`])
      if (text !== null) an.code(text, via(`hook ${hook}`), cmd.cwds)
    }

    return
  }

  if (/^(?:pip3?|uv|pipx)$/.test(cmd.name) && pipBuildsHere(cmd)) {
    const text = written(cmd, an, ['setup.py'])
    if (text !== null) for (const line of analyseInline('python', text).shell) an.code(line, via('setup.py'), cmd.cwds)
    return
  }

  if (cmd.name === 'rake') {
    const file = optionValue(cmd.argv, ['-f', '--rakefile'])
    const text = written(cmd, an, file === undefined ? ['Rakefile', 'rakefile', 'Rakefile.rb'] : [file])
    if (text !== null) for (const line of analyseInline('ruby', text).shell) an.code(line, via('task'), cmd.cwds)
    return
  }

  if (SQL_CLIENTS.test(cmd.name)) {
    const texts = redirectedTexts(cmd, an)
    const file = optionValue(cmd.argv, ['-f', '--file', '-i', '--input-file'])
    if (file !== undefined) {
      const text = written(cmd, an, [file])
      if (text !== null) texts.push(text)
    }

    // Judged as the same SQL given inline, which the database rules read.
    for (const sql of texts) an.code(`psql -c ${shellQuote(sql)}`, via('input'), cmd.cwds)
  }
}
