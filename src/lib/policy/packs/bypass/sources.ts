/** Bypass pack: where the code a command runs comes from (pipes, fetchers' downloads, script operands). */

import type {Cmd} from '../../command.js'
import type {RuleEnv} from '../../rules.js'
import type {Word} from '../../words.js'

import {
  FETCHERS,
  interpreterOf,
  interpreterReadsStdin,
  isDecoder,
  redirectTouches,
  writtenWords,
} from '../../effects.js'
import {parseOptions} from '../../options.js'

const MAX_CHAIN = 8

/** Who writes into this command's standard input, following pipes back through `tee`, `cat` …. */
export function upstream(cmd: Cmd, env: RuleEnv): Cmd[] {
  const out: Cmd[] = []
  let frontier = [...env.producers(cmd)]
  for (let depth = 0; depth < MAX_CHAIN && frontier.length > 0; depth++) {
    const next: Cmd[] = []
    for (const p of frontier) {
      if (out.includes(p)) continue
      out.push(p)
      next.push(...env.producers(p))
    }

    frontier = next
  }

  return out
}

/** Reads a program on standard input: a shell without -c, `source /dev/stdin`, an interpreter without a script. */
function readsCodeOnStdin(cmd: Cmd): boolean {
  if (cmd.code?.kind === 'stdin') return true
  const interp = interpreterOf(cmd)
  return interp !== null && interpreterReadsStdin(cmd, interp.spec)
}

/**
 * The commands whose output becomes code this command runs: pipe producers for stdin readers,
 * the commands of a `<(…)` script, the substitutions inside a `-c`/`eval` string.
 */
const producerCache = new WeakMap<Cmd, Cmd[]>()

export function codeProducers(cmd: Cmd, env: RuleEnv): Cmd[] {
  let out = producerCache.get(cmd)
  if (out === undefined) {
    out = findCodeProducers(cmd, env)
    producerCache.set(cmd, out)
  }

  return out
}

function findCodeProducers(cmd: Cmd, env: RuleEnv): Cmd[] {
  const out: Cmd[] = []
  if (readsCodeOnStdin(cmd)) {
    out.push(...upstream(cmd, env))
    // `sh < <(…)`: standard input is a process substitution.
    for (const r of cmd.raw.redirects) {
      const group = r.op === '<' ? r.target?.procGroup : undefined
      if (group !== undefined) for (const c of env.groupCommands(group)) out.push(c, ...upstream(c, env))
    }
  }

  const interp = interpreterOf(cmd)
  if (interp) {
    // `python3 <(curl …)`: the script is another command's output.
    const script =
      cmd.args[
        parseOptions(cmd.args, {
          stopAtOperand: true,
          shortValue: interp.spec.shortValue,
          longValue: interp.spec.longValue ?? [],
        }).rest
      ]
    if (script?.procGroup !== undefined)
      for (const c of env.groupCommands(script.procGroup)) out.push(c, ...upstream(c, env))
  }

  const {code} = cmd
  if (code?.kind === 'proc') {
    for (const c of env.groupCommands(code.group)) out.push(c, ...upstream(c, env))
  }

  if (code?.kind === 'string') {
    for (const u of code.word.units) {
      if (u.dyn?.group !== undefined) {
        for (const c of env.groupCommands(u.dyn.group)) out.push(c, ...upstream(c, env))
      }
    }
  }

  return out
}

const NO_FILES: ReadonlyMap<string, Cmd> = new Map()
const DOWNLOADED = Symbol('downloaded files')
const DECODED = Symbol('decoded files')

/** Files that commands passing `test` write in this request, by resolved path (options and redirections). */
function filesWrittenBy(env: RuleEnv, test: (c: Cmd) => boolean): ReadonlyMap<string, Cmd> {
  // Most requests have no fetcher or decoder at all: one cheap pass, and no map of their own.
  const writers = env.commands().filter((c) => test(c))
  if (writers.length === 0) return NO_FILES
  const files = new Map<string, Cmd>()
  for (const c of writers) {
    const words = [
      ...writtenWords(c),
      ...redirectTouches(c)
        .filter((t) => t.write)
        .map((t) => t.word),
    ]
    for (const w of words) for (const place of env.places(c, w)) if (place.kind !== 'unknown') files.set(place.path, c)
  }

  return files
}

/** Files that fetchers in this request write (`curl -o x.sh`, `wget -O x`, `curl … > x.sh`), by resolved path. */
export function downloadedFiles(env: RuleEnv): ReadonlyMap<string, Cmd> {
  return env.memo(DOWNLOADED, () => filesWrittenBy(env, (c) => FETCHERS.has(c.name)))
}

/** Files that decoders in this request write (`base64 -d > x.sh`, `xxd -r -p h > x`), by resolved path. */
export function decodedFiles(env: RuleEnv): ReadonlyMap<string, Cmd> {
  return env.memo(DECODED, () => filesWrittenBy(env, (c) => isDecoder(c) && !FETCHERS.has(c.name)))
}

/** The script a command runs that one of `files` names, with who wrote it, or null. */
export function runsFileFrom(cmd: Cmd, env: RuleEnv, files: ReadonlyMap<string, Cmd>): null | {by: Cmd; path: string} {
  if (files.size === 0) return null
  for (const w of scriptWords(cmd)) {
    for (const place of env.places(cmd, w)) {
      const by = place.kind === 'unknown' ? undefined : files.get(place.path)
      if (by && place.kind !== 'unknown') return {by, path: place.path}
    }
  }

  return null
}

/** The file a command runs as a program or script, when it runs one. */
export function scriptWords(cmd: Cmd): Word[] {
  const out: Word[] = []
  if (cmd.programWord && cmd.programWord.value.includes('/')) out.push(cmd.programWord)
  if (cmd.code?.kind === 'file') out.push(cmd.code.word)
  const interp = interpreterOf(cmd)
  if (interp) {
    const parsed = parseOptions(cmd.args, {
      stopAtOperand: true,
      shortValue: interp.spec.shortValue,
      longValue: interp.spec.longValue ?? [],
    })
    const script = cmd.args[parsed.rest]
    if (script) out.push(script)
  }

  return out
}
