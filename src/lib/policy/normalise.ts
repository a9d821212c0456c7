/**
 * From a walked simple command to what actually runs: wrappers (`sudo`, `env`, `timeout`, `xargs` …)
 * are peeled off and remembered in `via`, the program is named by its base name, a name built at
 * run time is marked opaque (and, where earlier assignments or `$(echo …)` say what it could be,
 * judged as each of those too), and code handed to another interpreter of shell code (`bash -c`,
 * `eval`, a here-document fed to `sh`, `find -exec`, `ssh host cmd` …) is parsed again.
 */

import path from 'node:path'

import type {Assignment, RawCommand} from './raw-command.js'

import {type Analyser, type FileUse} from './analyser.js'
import {carry, runCode} from './carried-code.js'
import {type Cmd, type CodeSource, programName} from './command.js'
import {producedText, visibleProducers} from './pipe-text.js'
import {pathWord, type Word} from './words.js'
import {MAX_CANDIDATES, peelWrapper, withInput} from './wrappers.js'

export type {Analyser, FileUse} from './analyser.js'
export {isPassThrough, producedText, stdinTexts, teeText} from './pipe-text.js'
export {joinWords, SHELLS, WRAPPER_NAMES} from './wrappers.js'

interface State {
  readonly assignments: readonly Assignment[]
  readonly cwds: readonly string[]
  readonly dynamic: boolean
  readonly files: readonly FileUse[]
  readonly opaque: string | undefined
  readonly unseenArgs: boolean
  readonly via: readonly string[]
  readonly viaNames: readonly string[]
}

const MAX_PEEL = 24

/** Variables whose value a program later runs as a command line (`GIT_EDITOR='rm -rf /' git commit`). */
const COMMAND_VARS = new Set([
  'EDITOR',
  'VISUAL',
  'PAGER',
  'MANPAGER',
  'GIT_EDITOR',
  'GIT_PAGER',
  'GIT_SEQUENCE_EDITOR',
  'GIT_SSH_COMMAND',
  'GIT_ASKPASS',
  'SSH_ASKPASS',
  'PROMPT_COMMAND',
  'SUDO_EDITOR',
  'FCEDIT',
  'BROWSER',
  'TERMINAL',
])

export function normaliseCommand(raw: RawCommand, an: Analyser, via: readonly string[]): void {
  for (const a of raw.assignments) {
    if (COMMAND_VARS.has(a.name) && a.value !== null && a.value.value.trim() !== '')
      an.code(a.value.value, [...via, `${a.name}=`], raw.cwds)
  }

  const state: State = {
    via,
    viaNames: [],
    assignments: raw.assignments,
    cwds: raw.cwds,
    unseenArgs: false,
    opaque: undefined,
    dynamic: raw.words.some((w) => !w.static || w.derived),
    files: [],
  }
  if (raw.words.length === 0) {
    emit(raw, an, state, null, [])
    return
  }

  peel(raw, an, raw.words, state, 0)
}

function peel(raw: RawCommand, an: Analyser, input: readonly Word[], start: State, guesses: number): void {
  let words = input
  let state = start
  for (let n = 0; n < MAX_PEEL; n++) {
    const head = words[0]
    if (head === undefined) return
    if (!head.static || head.glob) {
      opaqueName(raw, an, head, words.slice(1), state, guesses)
      return
    }

    const name = programName(head.value)
    const peeled = peelWrapper(name, words.slice(1))
    if (peeled === null) break
    const viaText = peeled.via
    if ('code' in peeled) {
      const cmd = emit(raw, an, state, head, words.slice(1))
      runCode(cmd, an, peeled.code, [...state.via, viaText], peeled.rest)
      return
    }

    state = {
      ...state,
      via: [...state.via, viaText],
      viaNames: [...state.viaNames, name],
      assignments:
        peeled.assignments && peeled.assignments.length > 0
          ? [...state.assignments, ...peeled.assignments]
          : state.assignments,
      cwds: peeled.elsewhere ? [''] : peeled.cwd ? state.cwds.map((d) => chdirTo(d, peeled.cwd as Word)) : state.cwds,
      unseenArgs: state.unseenArgs || peeled.unseenArgs === true,
      files: peeled.files && peeled.files.length > 0 ? [...state.files, ...peeled.files] : state.files,
    }
    words = peeled.words
    // What xargs and parallel append is visible when everything feeding them is (`echo /etc | xargs rm -rf`).
    if ((name === 'xargs' || name === 'parallel') && peeled.unseenArgs === true) {
      const seen = xargsInput(raw, an, peeled.files ?? [])
      if (seen !== null) {
        words = withInput(words, seen, peeled.replaces === true ? (peeled.replaceString ?? '{}') : undefined)
        state = {...state, unseenArgs: false, dynamic: true}
      }
    }
  }

  const head = words[0] as Word
  const cmd = emit(raw, an, state, head, words.slice(1))
  carry(cmd, an)
}

/** The words xargs reads, when every producer's output (or its here-string, here-document) is visible. */
function xargsInput(raw: RawCommand, an: Analyser, files: readonly FileUse[]): null | string[] {
  const out: string[] = []
  // `xargs -a <(echo /)`: the argument file is a process substitution the engine can read.
  for (const f of files) {
    if (f.word.procGroup === undefined) return null
    for (const c of an.groupCommands(f.word.procGroup)) {
      const text = producedText(c)
      if (text === null) return null
      out.push(...text.split(/\s+/).filter((s) => s !== ''))
    }
  }

  if (out.length > 0) return out
  for (const r of raw.redirects) {
    if (r.heredoc) out.push(...r.heredoc.body.split(/\s+/).filter((s) => s !== ''))
    else if (r.op === '<<<' && r.target?.static) out.push(...r.target.value.split(/\s+/).filter((s) => s !== ''))
    else if (r.op === '<' || r.op === '<<<') return null
  }

  if (out.length > 0) return out
  const producers = visibleProducers(an.pipeProducers(raw), an)
  if (producers.length === 0) return null
  for (const p of producers) {
    const text = producedText(p)
    if (text === null) return null
    out.push(...text.split(/\s+/).filter((s) => s !== ''))
  }

  return out
}

function chdirTo(dir: string, target: Word): string {
  if (!target.static || target.glob) return ''
  if (target.value.startsWith('/')) return path.posix.resolve(target.value)
  if (dir === '' || dir.startsWith('~') || target.tilde) return ''
  return path.posix.resolve(dir, target.value)
}

function emit(
  raw: RawCommand,
  an: Analyser,
  state: State,
  head: null | Word,
  args: readonly Word[],
  code?: CodeSource,
): Cmd {
  const program = head === null ? null : head.value.slice(head.value.lastIndexOf('/') + 1)
  return an.add({
    program,
    name: head === null ? '' : programName(head.value),
    programWord: head,
    args,
    argv: args.map((w) => w.value),
    text: raw.text,
    via: state.via,
    viaNames: state.viaNames,
    raw,
    cwds: state.cwds,
    assignments: state.assignments,
    opaque: state.opaque,
    unseenArgs: state.unseenArgs,
    dynamic: state.dynamic,
    wrapperFiles: state.files,
    bare: head === null && raw.words.length === 0,
    depth: an.depth,
    code,
  })
}

/**
 * A command name only the running shell knows. It is opaque whatever happens (never allowed, at
 * least asked); where the script itself says what it may be (`X=rm; $X …`, `$(echo rm)`, `r*m`
 * against known programs) each possibility is judged as well, so a deny is not lost.
 */
function opaqueName(
  raw: RawCommand,
  an: Analyser,
  head: Word,
  rest: readonly Word[],
  state: State,
  guesses: number,
): void {
  const why = head.static
    ? `the command name is a glob pattern (${head.raw})`
    : `the command name is built at run time (${head.raw})`
  const {values: candidates, complete} = guesses < 2 ? nameCandidates(head, an) : {values: [], complete: false}
  // When the script itself says every value the name can take (`X=rm; $X`, `$(which rm)`), the
  // engine sees which programs run: each is judged (never allowed: the words stay dynamic).
  if (!complete) emit(raw, an, {...state, opaque: why, dynamic: true}, null, rest)
  // `IFS=,; c="rm,-rf,/"; $c`: the script's own separators split the value as the shell will.
  const ifs = an.values('IFS').join('')
  const separators = ifs === '' ? /\s+/ : new RegExp(`[\\s${ifs.replaceAll(/[\]\\^-]/g, String.raw`\$&`)}]+`)
  for (const candidate of candidates) {
    const split = candidate.split(separators).filter((s) => s !== '')
    if (split.length === 0) continue
    // A `~` in a value was home when it was stored (`set -- rm -rf ~`): read it so again.
    const words = [...split.map((s) => pathWord(s)), ...rest]
    const note = complete ? undefined : `${why}; judged as \`${split[0]}\``
    peel(raw, an, words, {...state, opaque: note, dynamic: true}, guesses + 1)
  }
}

/** What some variables hold in the runner's shell, when the script has not set them itself. */
const WELL_KNOWN: Readonly<Record<string, readonly string[]>> = {0: ['bash'], SHELL: ['bash'], BASH: ['bash']}

function nameCandidates(head: Word, an: Analyser): {complete: boolean; values: string[]} {
  if (head.static) {
    const base = head.value.slice(head.value.lastIndexOf('/') + 1)
    const re = globToRegExp(base)
    if (re === null) return {values: [], complete: false}
    const out: string[] = []
    for (const p of an.knownPrograms()) {
      if (re.test(p)) out.push(p)
      if (out.length >= MAX_CANDIDATES) break
    }

    return {values: out, complete: false}
  }

  // A variable the script never set may well be empty (`r${x}m` is rm): that possibility is judged too.
  return wordCandidates(head, (name) => an.values(name), true)
}

/**
 * The values a word built from variables and `$(echo …)` can take, as far as the script says
 * (`complete`: every part is known, and no value was cut off).
 */
export function wordCandidates(
  word: Word,
  values: (name: string) => readonly string[],
  unsetIsEmpty = false,
): {complete: boolean; values: string[]} {
  let partial: string[] = ['']
  let complete = true
  for (const u of word.units) {
    let options: readonly string[]
    if (u.dyn === undefined) options = [u.ch]
    else if (u.dyn.kind === 'var' && u.dyn.name !== undefined) {
      const known = values(u.dyn.name)
      const wellKnown = known.length === 0 ? (WELL_KNOWN[u.dyn.name] ?? []) : []
      // A default (`${X:-make}`) is only one possibility: the environment may set X.
      if (known.length === 0 && wellKnown.length === 0) complete = false
      options = [...known, ...(u.dyn.fallback === undefined ? [] : [u.dyn.fallback]), ...wellKnown]
      if (options.length === 0 && unsetIsEmpty) options = ['']
    } else if (u.dyn.kind === 'cmd' && u.dyn.output !== undefined) options = [u.dyn.output]
    else return {values: [], complete: false}
    if (options.length === 0) return {values: [], complete: false}
    const next: string[] = []
    for (const p of partial) {
      for (const o of options) {
        if (next.length < MAX_CANDIDATES) next.push(p + o)
        else complete = false
      }
    }

    partial = next
  }

  return {values: partial, complete}
}

function globToRegExp(glob: string): null | RegExp {
  let re = ''
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string
    switch (ch) {
      case '*': {
        re += '.*'
        break
      }

      case '?': {
        re += '.'
        break
      }

      case '[': {
        const close = glob.indexOf(']', i + 2)
        if (close === -1) re += String.raw`\[`
        else {
          let body = glob.slice(i + 1, close)
          if (body.startsWith('!')) body = `^${body.slice(1)}`
          re += `[${body.replaceAll('\\', '\\\\')}]`
          i = close
        }

        break
      }

      default: {
        re += ch.replaceAll(/[.*+?^${}()|[\]\\/]/g, String.raw`\$&`)
      }
    }
  }

  try {
    return new RegExp(`^${re}$`, 'i')
  } catch {
    return null
  }
}

/** Runs `words` as a command of its own (an argument vector, not code): `find -exec`, `runuser -u`. */
export function subCommand(cmd: Cmd, an: Analyser, words: readonly Word[], via: string): void {
  const raw: RawCommand = {...cmd.raw, words, text: cmd.raw.text}
  const state: State = {
    via: [...cmd.via, via],
    viaNames: [...cmd.viaNames, cmd.name],
    assignments: cmd.assignments,
    cwds: cmd.cwds,
    unseenArgs: cmd.unseenArgs,
    opaque: undefined,
    dynamic: cmd.dynamic || words.some((w) => !w.static || w.derived),
    files: cmd.wrapperFiles,
  }
  peel(raw, an, words, state, 0)
}
