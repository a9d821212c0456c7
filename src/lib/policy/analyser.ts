/** What the normaliser asks of the engine that drives it (see engine.ts). */

import type {RawCommand} from './raw-command.js'

import {type Cmd} from './command.js'
import {type Word} from './words.js'

export interface Analyser {
  add(cmd: Omit<Cmd, 'index'>): Cmd
  /**
   * Parses `source` as shell code and judges what it runs (one level deeper). `positional` are
   * `$0`, `$1` … for that code when known (`sh -c CODE name a b`); null where built at run time.
   */
  code(source: string, via: readonly string[], cwds: readonly string[], positional?: readonly (null | string)[]): void
  readonly depth: number
  /** What this request wrote to a file earlier (echo/printf/cat into it): its text, null when unknown. */
  fileContent(word: Word, cwds: readonly string[]): null | string | undefined
  /** Commands inside a `$(…)` / `<(…)` group. */
  groupCommands(group: number): readonly Cmd[]
  /** Program names the rules know, for matching a glob used as a command name. */
  knownPrograms(): Iterable<string>
  /** Commands of the previous stage of each pipeline this command is in. */
  pipeProducers(raw: RawCommand): readonly Cmd[]
  /** PowerShell code the shell hands to `pwsh -Command` (judged by the PowerShell pack). */
  powershellCode(code: string): void
  /** Literal values assigned to a variable anywhere in the script so far. */
  values(name: string): readonly string[]
}

/** A file a wrapper opens itself (`xargs -a list`, `strace -o out`), judged as the command's. */
export interface FileUse {
  readonly word: Word
  readonly write: boolean
}
