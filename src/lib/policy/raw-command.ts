/** What the walk records for each simple command, and the frame of context it carries down the tree. */

import type {Word} from './words.js'

export interface Redirect {
  readonly fd: null | string
  /** Here-documents: the body, and whether the shell expands it (unquoted delimiter). */
  readonly heredoc?: undefined | {readonly body: string; readonly expands: boolean}
  /** Operator as written: `>`, `>>`, `<`, `&>`, `&>>`, `>&`, `<&`, `>|`, `<>`, `<<`, `<<-`, `<<<`. */
  readonly op: string
  /** File redirections and here-strings. */
  readonly target: null | Word
}

export interface Assignment {
  readonly name: string
  readonly value: null | Word
}

/** Membership in one stage of one pipeline. */
export interface PipeSlot {
  readonly index: number
  readonly pipe: number
}

export interface RawCommand {
  readonly assignments: readonly Assignment[]
  readonly background: boolean
  /** Working directories it may run in: absolute, `~…` for the home directory, `''` for unknown. */
  readonly cwds: readonly string[]
  /** Innermost function whose body holds it. */
  readonly fn: null | string
  /** Walk groups it sits in (each `$(…)` / `<(…)` opens one): finds who produces a substitution. */
  readonly groups: readonly number[]
  /** Innermost endless loop (`while true`, `until false`, `for ((;;))`) whose body holds it, by id. */
  readonly loop: null | number
  readonly redirects: readonly Redirect[]
  readonly slots: readonly PipeSlot[]
  /** Source text of the simple command. */
  readonly text: string
  /** Command name and arguments (empty for a bare assignment or redirection). */
  readonly words: readonly Word[]
}

export interface WalkHost {
  emit(cmd: RawCommand): void
  /** Source text that the shell will run as code of its own (backticks in a here-document). */
  hereDocCode(source: string, via: string, cwds: readonly string[]): void
  nextId(): number
  noteAssignment(name: string, value: null | Word): void
  /** False once the time or size budget is spent: the walk stops early. */
  withinBudget(): boolean
}

interface CwdBox {
  dirs: readonly string[]
}

export interface Frame {
  readonly background: boolean
  readonly cwd: CwdBox
  readonly fn: null | string
  readonly groups: readonly number[]
  readonly loop?: null | number
  readonly redirects: readonly Redirect[]
  readonly slots: readonly PipeSlot[]
}

export function makeRaw(
  frame: Frame,
  text: string,
  words: readonly Word[],
  assignments: readonly Assignment[],
  redirects: readonly Redirect[],
): RawCommand {
  return {
    text,
    words,
    assignments,
    redirects,
    slots: frame.slots,
    groups: frame.groups,
    background: frame.background,
    fn: frame.fn,
    loop: frame.loop ?? null,
    cwds: frame.cwd.dirs,
  }
}
