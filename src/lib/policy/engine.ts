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
import type {CommandRule, EngineRule, Rule, RuleEnv, TextRule} from './rules.js'
import type {Decision, ParsedCommand, PolicyContext, PolicyEngine, RuleMatch, Verdict} from './types.js'
import type {Word} from './words.js'

import {hasInvisible} from '../terminal-escape.js'
import {type Cmd, normalisedText} from './command.js'
import {type Analyser, normaliseCommand, WRAPPER_NAMES} from './normalise.js'
import {ENGINE_LIMITS, INVISIBLE, NUL_BYTE, OPAQUE_COMMAND, OVER_BUDGET, PARSE_ERROR} from './packs/engine.js'
import {type Place, placesOf} from './paths.js'
import {type RawCommand, type WalkHost, walkScript} from './walk.js'

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
  private readonly text: TextRule[] = []

  constructor(
    private readonly parser: ShellParser,
    readonly config: EngineConfig,
  ) {
    this.limits = {...ENGINE_LIMITS, ...config.limits}
    const known = new Set<string>(DANGEROUS_NAMES)
    const commandRules: CommandRule[] = []
    for (const rule of config.rules) {
      if (rule.kind === 'text') this.text.push(rule)
      if (rule.kind !== 'command') continue
      commandRules.push(rule)
      if (rule.programs === undefined) this.generic.push(rule)
      else for (const p of rule.programs) known.add(p)
    }

    // Per program, the rules that apply to it in their configured order (generic ones included),
    // so that the order of packs decides which explanation comes first.
    for (const p of known) {
      const list = commandRules.filter((r) => r.programs === undefined || r.programs.includes(p))
      if (list.length > this.generic.length) this.byProgram.set(p, list)
    }

    for (const w of WRAPPER_NAMES) known.add(w)
    this.known = [...known]
    this.textGate = gateFor(this.text)
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

interface Found {
  /** Index of the command it is about, or -1 for the whole request. */
  readonly cmd: number
  readonly match: RuleMatch
}

const RANK: Record<Decision, number> = {deny: 0, ask: 1, allow: 2}

class Evaluation implements Analyser, RuleEnv, WalkHost {
  depth = 0
  private budgetNoted = false
  private readonly cmds: Cmd[] = []
  private readonly deadline: number
  private readonly found: Found[] = []
  private readonly groups = new Map<number, Cmd[]>()
  private readonly limits: Limits
  private nextGroup = 1
  private nodes = 0
  private readonly pipes = new Map<string, Cmd[]>()
  private readonly placeCache = new Map<Word, {cwds: readonly string[]; places: readonly Place[]}>()
  private readonly seen = new Set<string>()
  private readonly vars = new Map<string, Set<string>>()
  /** Wrappers that led to the code being walked now (see `analyse`). */
  private via: readonly string[] = []

  constructor(
    private readonly engine: Engine,
    private readonly parser: ShellParser,
    private readonly command: string,
    readonly ctx: PolicyContext,
  ) {
    this.limits = engine.limits
    this.deadline = performance.now() + this.limits.timeBudgetMs
  }

  add(partial: Omit<Cmd, 'index'>): Cmd {
    // `emit` builds a fresh object for each command: completing it in place saves a copy.
    const cmd = partial as Cmd
    cmd.index = this.cmds.length
    this.cmds.push(cmd)
    for (const slot of cmd.raw.slots) {
      const key = `${slot.pipe}:${slot.index}`
      const list = this.pipes.get(key)
      if (list) list.push(cmd)
      else this.pipes.set(key, [cmd])
    }

    for (const g of cmd.raw.groups) {
      const list = this.groups.get(g)
      if (list) list.push(cmd)
      else this.groups.set(g, [cmd])
    }

    return cmd
  }

  // ---- Analyser -------------------------------------------------------------------------------

  code(source: string, via: readonly string[], cwds: readonly string[]): void {
    if (this.depth + 1 > this.limits.maxRecursion) {
      this.engineMatch(
        OVER_BUDGET,
        `code is nested more than ${this.limits.maxRecursion} levels deep (${via.join(' → ')})`,
      )
      return
    }

    this.depth++
    try {
      this.analyse(source, via, cwds)
    } finally {
      this.depth--
    }
  }

  commands(): readonly Cmd[] {
    return this.cmds
  }

  emit(raw: RawCommand): void {
    normaliseCommand(raw, this, this.via)
  }

  groupCommands(group: number): readonly Cmd[] {
    return this.groups.get(group) ?? []
  }

  hereDocCode(source: string, how: string, cwds: readonly string[]): void {
    this.code(source, [...this.via, how], cwds)
  }

  knownPrograms(): Iterable<string> {
    return this.engine.known
  }

  // ---- WalkHost -------------------------------------------------------------------------------

  nextId(): number {
    return this.nextGroup++
  }

  noteAssignment(name: string, value: null | Word): void {
    if (value === null || !value.static) return
    const set = this.vars.get(name)
    if (set === undefined) this.vars.set(name, new Set([value.value]))
    else if (set.size < 8) set.add(value.value)
  }

  pipeProducers(raw: RawCommand): readonly Cmd[] {
    const out: Cmd[] = []
    for (const slot of raw.slots) {
      if (slot.index === 0) continue
      const list = this.pipes.get(`${slot.pipe}:${slot.index - 1}`)
      if (list) out.push(...list)
    }

    return out
  }

  places(cmd: Cmd, word: Word): readonly Place[] {
    const hit = this.placeCache.get(word)
    if (hit && hit.cwds === cmd.cwds) return hit.places
    const places = placesOf(word, cmd.cwds)
    this.placeCache.set(word, {cwds: cmd.cwds, places})
    return places
  }

  // ---- RuleEnv --------------------------------------------------------------------------------

  producers(cmd: Cmd): readonly Cmd[] {
    return this.pipeProducers(cmd.raw)
  }

  run(): Verdict {
    const source = this.command
    const nul = source.includes('\u0000')
    if (nul) this.engineMatch(NUL_BYTE, NUL_BYTE.reason)
    if (hasInvisible(nul ? source.replaceAll('\0', '') : source)) this.engineMatch(INVISIBLE, INVISIBLE.reason)
    if (source.length > this.limits.maxLength) {
      this.engineMatch(
        OVER_BUDGET,
        `the command is ${source.length} characters long; the engine reads at most ${this.limits.maxLength}`,
      )
    } else {
      try {
        this.analyse(joinContinuations(source), [], [this.ctx.cwd])
      } catch (error) {
        // A bug in reading must not let anything through: what was found is judged, the rest asked.
        this.engineMatch(
          PARSE_ERROR,
          `the engine could not read the command (${error instanceof Error ? error.message : String(error)})`,
        )
      }
    }

    this.judge()
    // Raw-text rules run over the whole string whatever the parser made of it (SPEC §4.2); after
    // the shell-aware rules, so that where both match the more precise explanation decides.
    const gate = this.engine.textGate
    if (gate === null || gate.test(source)) {
      for (const rule of this.engine.textRules) {
        rule.pattern.lastIndex = 0
        if (rule.pattern.test(source)) this.record(rule, rule.reason, -1, undefined, rule.pattern.source)
      }
    }

    return this.decide()
  }

  values(name: string): readonly string[] {
    const set = this.vars.get(name)
    return set ? [...set] : []
  }

  // ---- reading --------------------------------------------------------------------------------

  withinBudget(): boolean {
    if (performance.now() <= this.deadline && this.cmds.length < this.limits.maxCommands) return true
    if (!this.budgetNoted) {
      this.budgetNoted = true
      const why =
        this.cmds.length >= this.limits.maxCommands
          ? `more than ${this.limits.maxCommands} commands`
          : `evaluation took longer than ${this.limits.timeBudgetMs} ms`
      this.engineMatch(OVER_BUDGET, `${why}: the rest was not judged`)
    }

    return false
  }

  private analyse(source: string, via: readonly string[], cwds: readonly string[]): void {
    if (!this.withinBudget()) return
    if (source.length > this.limits.maxLength * 2) {
      this.engineMatch(OVER_BUDGET, `code handed on (${via.join(' → ')}) is ${source.length} characters long`)
      return
    }

    const parsed = this.parser.parse(source, {
      maxNodes: this.limits.maxNodes,
      maxDepth: this.limits.maxDepth,
      deadline: this.deadline,
    })
    if (!parsed.ok) {
      this.engineMatch(
        OVER_BUDGET,
        parsed.reason === 'time'
          ? `parsing took longer than ${this.limits.timeBudgetMs} ms`
          : `the command has ${parsed.nodes} syntax nodes; the engine reads at most ${this.limits.maxNodes}`,
      )
      return
    }

    this.nodes += parsed.nodes
    if (this.nodes > this.limits.maxNodes * 2) {
      this.engineMatch(
        OVER_BUDGET,
        `code handed on (${via.join(' → ')}) adds up to more than ${this.limits.maxNodes * 2} syntax nodes`,
      )
      return
    }

    if (parsed.hasError) {
      this.engineMatch(
        PARSE_ERROR,
        via.length > 0 ? `code handed on (${via.join(' → ')}) does not parse as shell` : PARSE_ERROR.reason,
      )
    }

    if (parsed.truncated)
      this.engineMatch(OVER_BUDGET, `the command is nested more than ${this.limits.maxDepth} levels deep`)
    const outer = this.via
    this.via = via
    try {
      walkScript(parsed.root, source, cwds, this)
    } finally {
      this.via = outer
    }
  }

  // ---- judging --------------------------------------------------------------------------------

  private apply(rule: CommandRule, cmd: Cmd, env: RuleEnv): void {
    let result: ReturnType<CommandRule['check']>
    try {
      result = rule.check(cmd, env)
    } catch (error) {
      // A rule that throws must not let the command through: it counts as a match, asked at least.
      const message = error instanceof Error ? error.message : String(error)
      this.record(
        {...rule, decision: rule.decision === 'allow' ? 'ask' : rule.decision},
        `rule failed (${message}); judged as a match`,
        cmd.index,
        cmd.text,
      )
      return
    }

    if (!result) return
    this.record(rule, typeof result === 'string' ? result : rule.reason, cmd.index, cmd.text)
  }

  private decide(): Verdict {
    const commands: ParsedCommand[] = this.cmds.filter((c) => !c.bare).map(toParsed)
    const judged = this.cmds.filter((c) => !c.bare)
    let decision: Decision
    let deciding: Found | undefined
    let reason: string
    const first = (d: Decision): Found | undefined => this.found.find((f) => f.match.decision === d)
    deciding = first('deny') ?? first('ask')
    if (deciding) {
      decision = deciding.match.decision
      reason = deciding.match.reason
    } else {
      const allowedBy = new Map<number, Found>()
      for (const f of this.found) if (f.match.decision === 'allow' && !allowedBy.has(f.cmd)) allowedBy.set(f.cmd, f)
      const blocked = judged.find((c) => !allowedBy.has(c.index) || c.dynamic || c.unseenArgs)
      if (judged.length > 0 && blocked === undefined) {
        decision = 'allow'
        deciding = allowedBy.get((judged[0] as Cmd).index)
        const ids = [...new Set(judged.map((c) => allowedBy.get(c.index)?.match.rule))].join(', ')
        reason = `allowed by ${ids}`
      } else {
        const unmatched = blocked ?? judged[0]
        const partly = allowedBy.size > 0 && blocked !== undefined
        const what = unmatched ? `\`${unmatched.text.trim()}\`` : 'the request'
        if (this.engine.config.strict) {
          decision = 'deny'
          reason = partly ? `strict mode: ${what} is not allowed by any rule` : `strict mode: no rule matched ${what}`
        } else {
          decision = 'ask'
          reason = partly
            ? blocked?.dynamic || blocked?.unseenArgs
              ? `${what} is allowed by a rule but has parts only known at run time: an operator decides`
              : `not every command is allowed by a rule (${what} is not): an operator decides`
            : 'no rule matched: an operator decides'
        }
      }
    }

    const ordered = [...this.found].sort((a, b) =>
      a === deciding ? -1 : b === deciding ? 1 : RANK[a.match.decision] - RANK[b.match.decision],
    )
    const matches = ordered.map((f) => f.match)
    const {onMatch} = this.engine.config
    if (onMatch) for (const m of matches) onMatch(m, this.command)
    return {decision, rule: deciding?.match.rule, reason, matches, commands}
  }

  private engineMatch(rule: EngineRule, reason: string): void {
    this.record(rule, reason, -1, undefined)
  }

  private judge(): void {
    for (const cmd of this.cmds) {
      if (cmd.opaque !== undefined) this.record(OPAQUE_COMMAND, cmd.opaque, cmd.index, cmd.text)
      for (const rule of this.engine.rulesFor(cmd.name)) this.apply(rule, cmd, this)
    }
  }

  // ---- deciding -------------------------------------------------------------------------------

  private record(
    rule: Pick<Rule, 'decision' | 'id' | 'pack'>,
    reason: string,
    cmd: number,
    command: string | undefined,
    pattern?: string,
  ): void {
    const key = `${rule.id}\u0000${command ?? ''}\u0000${reason}`
    if (this.seen.has(key)) return
    this.seen.add(key)
    const match: RuleMatch = {rule: rule.id, pack: rule.pack, decision: rule.decision, reason, command}
    if (pattern !== undefined) match.pattern = pattern
    this.found.push({match, cmd})
  }
}

/**
 * One expression matching whenever any of the rules' does (case-insensitive, multi-line and dotAll
 * only widen it). Null when that cannot be built faithfully: back-references would renumber, and
 * the `u` flag changes how a pattern is read.
 */
function gateFor(rules: readonly TextRule[]): null | RegExp {
  if (rules.length === 0) return null
  if (rules.some((r) => r.pattern.unicode || r.pattern.flags.includes('v') || /\\[1-9]|\\k</.test(r.pattern.source)))
    return null
  try {
    return new RegExp(rules.map((r) => `(?:${r.pattern.source})`).join('|'), 'ims')
  } catch {
    return null
  }
}

/**
 * Bash removes backslash-newline before it splits words (`r\<newline>m` is `rm`); the grammar
 * reads it as a space. Joining first makes the parse match the shell. (An escaped backslash before
 * the newline, `\\<newline>`, is left alone.)
 */
function joinContinuations(source: string): string {
  return source.includes('\\\n') ? source.replaceAll(/(?<!\\)((?:\\\\)*)\\\r?\n/g, '$1') : source
}

function toParsed(cmd: Cmd): ParsedCommand {
  const parsed: ParsedCommand = {
    program: cmd.program,
    args: [...cmd.argv],
    text: cmd.text,
    via: [...cmd.via],
    normalised: normalisedText(cmd),
  }
  if (cmd.opaque !== undefined) parsed.opaque = cmd.opaque
  return parsed
}
