/**
 * What a rule is. Two kinds: command rules judge one simple command at a time (after parsing and
 * unwrapping), text rules run a regular expression over the whole raw request (SPEC §4.2: the
 * PowerShell pack and raw patterns from the policy file). Every rule carries examples that must and
 * must not match; tests and `hub policy test` check them, and the policy file's are checked on load.
 */

import type {Cmd} from './command.js'
import type {Place} from './paths.js'
import type {PsCommand} from './powershell.js'
import type {Decision, PolicyContext} from './types.js'
import type {Word} from './words.js'

export const PACK_NAMES = [
  'destructive',
  'forensics',
  'system',
  'bypass',
  'remote',
  'credentials',
  'self',
  'powershell',
] as const
export type PackName = (typeof PACK_NAMES)[number]

export interface Examples {
  /** Commands this rule must match. `{workspace}`, `{runtime}` and `{policy}` stand for the context's paths. */
  readonly match: readonly string[]
  readonly not_match: readonly string[]
}

interface RuleBase {
  readonly decision: Decision
  readonly examples: Examples
  /** Stable id, `<pack>.<name>` for built-in rules, `file:<id>` for the policy file's. */
  readonly id: string
  /** `false`: a command this rule matched must run without network (policy-file rules may say so). */
  readonly network?: false | undefined
  readonly pack: string
  /** Reason a person can read; a command rule may give a more specific one per match. */
  readonly reason: string
  /**
   * The match means part of the request could not be seen through (its reason goes to the verdict's
   * `unanalysed` list, shown as "not analysed: …").
   */
  readonly unanalysed?: boolean | undefined
}

export interface CommandRule extends RuleBase {
  /** A string is the reason for this match, `true` means the rule's own reason; falsy: no match. */
  check(cmd: Cmd, env: RuleEnv): boolean | null | string | undefined
  readonly kind: 'command'
  /** Lower-case program names the rule looks at; absent: every command (including opaque ones). */
  readonly programs?: readonly string[] | undefined
}

export interface TextRule extends RuleBase {
  readonly kind: 'text'
  readonly pattern: RegExp
}

/** Judges one PowerShell or cmd.exe command, tokenised from the request (see powershell.ts). */
export interface PowerShellRule extends RuleBase {
  check(cmd: PsCommand, env: PsEnv): boolean | null | string | undefined
  readonly kind: 'powershell'
}

export interface PsEnv {
  /** Every PowerShell command of the request, in order (pipelines: `pipe`, `stage`). */
  commands(): readonly PsCommand[]
  readonly ctx: PolicyContext
}

/** Raised by the engine itself (parse error, over budget, opaque name …); listed for explanation and tests. */
export interface EngineRule extends RuleBase {
  readonly kind: 'engine'
}

export type Rule = CommandRule | EngineRule | PowerShellRule | TextRule

/** What a rule may ask about the evaluation beyond the command itself. */
export interface RuleEnv {
  /** Every command of the request, in order. */
  commands(): readonly Cmd[]
  readonly ctx: PolicyContext
  /** Commands inside a `$(…)`/`<(…)` group. */
  groupCommands(group: number): readonly Cmd[]
  /** A value worked out once per evaluation and shared by every rule that asks for it under `key`. */
  memo<T>(key: symbol, compute: () => T): T
  /** Resolved places of a word for this command (cached per evaluation). */
  places(cmd: Cmd, word: Word): readonly Place[]
  /** Commands writing into this command's standard input through a pipe. */
  producers(cmd: Cmd): readonly Cmd[]
}

/** Shorthand for pack modules. */
export function commandRule(rule: Omit<CommandRule, 'kind'>): CommandRule {
  return {kind: 'command', ...rule}
}

export function textRule(rule: Omit<TextRule, 'kind'>): TextRule {
  return {kind: 'text', ...rule}
}

export function powershellRule(rule: Omit<PowerShellRule, 'kind' | 'pack'>): PowerShellRule {
  return {kind: 'powershell', pack: 'powershell', ...rule}
}

/** Fills `{workspace}`, `{runtime}`, `{policy}` in an example. */
export function fillExample(text: string, ctx: PolicyContext): string {
  return text
    .replaceAll('{workspace}', ctx.workspace)
    .replaceAll('{runtime}', ctx.runtimeDir)
    .replaceAll('{policy}', ctx.policyFile ?? `${ctx.runtimeDir}/../hub.policy.json`)
}
