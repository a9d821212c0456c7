/**
 * The policy engine: parse, walk, unwrap, judge, decide (SPEC §4.1–4.2).
 *
 * One `Evaluation` per request holds everything learnt while reading it (the commands found, which
 * pipeline stage and substitution each sits in, literal values assigned to variables), so that
 * nothing is parsed or walked twice and rules can ask about neighbours (who feeds this shell?).
 * Decisions: any deny wins, then any ask; `allow` only when every command was allowed by an
 * operator's rule and nothing about the request was opaque; no match at all is `ask` (or `deny`
 * in strict mode).
 */

import type {ShellParser} from './parser.js'
import type {CommandRule, PowerShellRule, Rule, TextRule} from './rules.js'
import type {PolicyContext, PolicyEngine, RuleMatch, Verdict} from './types.js'

import {Evaluation} from './evaluation.js'
import {WRAPPER_NAMES} from './normalise.js'
import {ENGINE_LIMITS} from './packs/engine.js'
import {gateFor} from './source-text.js'

export type Limits = {-readonly [K in keyof typeof ENGINE_LIMITS]: number}

export interface EngineConfig {
  readonly file?: string | undefined
  readonly limits?: Partial<Limits> | undefined
  readonly onMatch?: ((m: RuleMatch, command: string) => void) | undefined
  /** Names of the packs in force, for `describe()`. */
  readonly packs: readonly string[]
  readonly rules: readonly Rule[]
  readonly strict: boolean
}

/** Names a glob used as a command name is tried against (`/???/r?` could be rm, su, dd, nc …). */
const DANGEROUS_NAMES = [
  'rm',
  'rmdir',
  'dd',
  'su',
  'sudo',
  'doas',
  'nc',
  'sh',
  'bash',
  'zsh',
  'dash',
  'curl',
  'wget',
  'eval',
  'shred',
  'mkfs',
  'chmod',
  'chown',
  'kill',
  'pkill',
  'python',
  'python3',
  'perl',
  'ruby',
  'node',
  'env',
  'printenv',
  'ssh',
  'scp',
  'socat',
  'reboot',
  'shutdown',
  'halt',
  'poweroff',
  'crontab',
  'mount',
  'find',
  'xargs',
  'base64',
  'git',
  'hub',
  'cat',
]

export class Engine implements PolicyEngine {
  readonly known: readonly string[]
  readonly limits: Limits
  /** All raw-text patterns in one expression: most requests match none, and one scan beats a dozen. */
  readonly textGate: null | RegExp
  private readonly byProgram = new Map<string, CommandRule[]>()
  private readonly generic: CommandRule[] = []
  private readonly powershell: PowerShellRule[] = []
  private readonly text: TextRule[] = []

  constructor(
    private readonly parser: ShellParser,
    readonly config: EngineConfig,
  ) {
    this.limits = {...ENGINE_LIMITS, ...config.limits}
    const known = new Set<string>(DANGEROUS_NAMES)
    // Per program, the rules that apply to it in their configured order (generic ones included), so
    // that the order of packs decides which explanation comes first. Built in one pass: a program's
    // list starts as the generic rules seen so far, and later generic rules join every list.
    for (const rule of config.rules) {
      if (rule.kind === 'text') this.text.push(rule)
      if (rule.kind === 'powershell') this.powershell.push(rule)
      if (rule.kind !== 'command') continue
      if (rule.programs === undefined) {
        this.generic.push(rule)
        for (const list of this.byProgram.values()) list.push(rule)
        continue
      }

      for (const p of new Set(rule.programs)) {
        known.add(p)
        const list = this.byProgram.get(p) ?? [...this.generic]
        this.byProgram.set(p, list)
        list.push(rule)
      }
    }

    for (const w of WRAPPER_NAMES) known.add(w)
    this.known = [...known]
    this.textGate = gateFor(this.text)
  }

  get powershellRules(): readonly PowerShellRule[] {
    return this.powershell
  }

  get textRules(): readonly TextRule[] {
    return this.text
  }

  describe(): {file?: string | undefined; packs: string[]; rules: number; strict: boolean} {
    return {
      packs: [...this.config.packs],
      file: this.config.file,
      strict: this.config.strict,
      rules: this.config.rules.length,
    }
  }

  evaluate(command: string, ctx: PolicyContext): Verdict {
    return new Evaluation(this, this.parser, command, ctx).run()
  }

  /** The command rules that apply to a program, in order. */
  rulesFor(name: string): readonly CommandRule[] {
    return this.byProgram.get(name) ?? this.generic
  }
}
