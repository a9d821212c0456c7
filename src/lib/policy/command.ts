/**
 * A simple command as the rules see it: after wrappers are peeled off and the program is named the
 * way it will be looked up, with everything the walk learnt about where it runs and what feeds it.
 */

import type {Assignment, RawCommand} from './raw-command.js'
import type {Word} from './words.js'

import {shellQuote} from './words.js'

/** Code a command runs that was not written as commands of the outer script. */
export type CodeSource =
  /** `bash -c WORD`, `eval WORD…`, `su -c WORD`: the word is parsed again (it may be built at run time). */
  | {readonly group: number; readonly kind: 'proc'}
  /** Reads its program from standard input (pipe, here-document, here-string). */
  | {readonly kind: 'file'; readonly word: Word}
  /** `bash <(…)`, `source <(…)`: the program is the output of the commands in that group. */
  | {readonly kind: 'stdin'}
  /** `bash script.sh`, `source file`: a file the engine does not read. */
  | {readonly kind: 'string'; readonly word: Word}

export interface Cmd {
  readonly args: readonly Word[]
  /** Argument values (quotes removed). */
  readonly argv: readonly string[]
  /** Variable assignments in force for it (prefix `X=1 cmd`, `env X=1`, `sudo X=1`). */
  readonly assignments: readonly Assignment[]
  /** No program at all: only assignments or redirections. */
  readonly bare: boolean
  /** Code it runs, for shells, `eval`, `source` and the like (filled in once the command is known). */
  code?: CodeSource | undefined
  /** Working directories it may run in (see walk.ts). */
  readonly cwds: readonly string[]
  /** How many times code was re-parsed to reach it (`bash -c` inside `bash -c` is 2). */
  readonly depth: number
  /** Some word was built at run time or rewritten by brace expansion: never allowed by a rule. */
  readonly dynamic: boolean
  /** Order of discovery (source order, substitutions before the command that uses them). */
  index: number
  /**
   * Code given inline to another interpreter (`python -c`, here-document to `node`, `awk '…'`),
   * once read: how it was given and why it hides what it runs, if it does.
   */
  inline?: undefined | {readonly flag: string; readonly hidden: null | string; readonly language: null | string}
  /** Lower-cased program name used for matching (`''` when not knowable). */
  readonly name: string
  /** Why the engine could not fully see this command, when it could not. */
  readonly opaque: string | undefined
  /** Program name as written, path removed (`/usr/bin/rm` → `rm`); null when not knowable. */
  readonly program: null | string
  /** The word that named the program (a path to run, for rules that follow files). */
  readonly programWord: null | Word
  readonly raw: RawCommand
  /** Source text of the simple command it came from. */
  readonly text: string
  /** Arguments are appended at run time (`xargs`). */
  readonly unseenArgs: boolean
  /** Wrappers peeled off on the way, for display (`sudo`, `env`, `bash -c` …). */
  readonly via: readonly string[]
  /** Lower-cased program names among those wrappers, for rules (`sudo`, `xargs` …). */
  readonly viaNames: readonly string[]
  /** Files the peeled wrappers open themselves (`xargs -a list`, `strace -o out`). */
  readonly wrapperFiles: readonly {readonly word: Word; readonly write: boolean}[]
}

/** `/usr/bin/Rm` → `rm`, `powershell.exe` → `powershell`. */
export function programName(value: string): string {
  const base = value.slice(value.lastIndexOf('/') + 1).toLowerCase()
  return base.endsWith('.exe') ? base.slice(0, -4) : base
}

/** `python3.11` → `python`, `perl5.36` → `perl`: version suffixes do not change what a program is. */
export function programFamily(name: string): string {
  return name.replace(/[\d.]+$/, '') || name
}

export function normalisedText(cmd: Cmd): string {
  const head = cmd.program ?? '<unknown>'
  return [head, ...cmd.argv].map((v, i) => (i === 0 && cmd.program === null ? v : shellQuote(v))).join(' ')
}
