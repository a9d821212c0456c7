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

import path from 'node:path'

import type {ParseOutcome, ShellParser} from './parser.js'
import type {CommandRule, EngineRule, PowerShellRule, PsEnv, Rule, RuleEnv, TextRule} from './rules.js'
import type {Decision, ParsedCommand, PolicyContext, PolicyEngine, RuleMatch, Verdict} from './types.js'
import type {Word} from './words.js'

import {hasInvisible} from '../terminal-escape.js'
import {type Cmd, normalisedText} from './command.js'
import {redirectTouches, writtenWords} from './effects.js'
import {type Analyser, normaliseCommand, producedText, teeText, wordCandidates, WRAPPER_NAMES} from './normalise.js'
import {parseOptions} from './options.js'
import {ENGINE_LIMITS, INVISIBLE, NUL_BYTE, OPAQUE_COMMAND, OVER_BUDGET, PARSE_ERROR} from './packs/engine.js'
import {type Place, placesOf} from './paths.js'
import {parsePowerShell, type PsCommand} from './powershell.js'
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
  private readonly powershell: PowerShellRule[] = []
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
      if (rule.kind === 'powershell') this.powershell.push(rule)
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

interface Found {
  /** Index of the command it is about, or -1 for the whole request. */
  readonly cmd: number
  readonly match: RuleMatch
  readonly network?: false | undefined
  readonly unanalysed?: boolean | undefined
}

const RANK: Record<Decision, number> = {deny: 0, ask: 1, allow: 2}

class Evaluation implements Analyser, RuleEnv, WalkHost {
  depth = 0
  private budgetNoted = false
  private readonly cmds: Cmd[] = []
  private readonly found: Found[] = []
  private readonly groups = new Map<number, Cmd[]>()
  private readonly limits: Limits
  /** Symbolic links this request makes: link path → the path it points at. */
  private readonly links = new Map<string, string>()
  private nextGroup = 1
  private nodes = 0
  private readonly pipes = new Map<string, Cmd[]>()
  private readonly placeCache = new Map<Word, {cwds: readonly string[]; places: readonly Place[]}>()
  /** `$0`, `$1` … of the code being read (`sh -c CODE a b`); the request itself has only `$0`. */
  private positional: readonly (null | string)[] = ['bash']
  /** PowerShell code handed to `pwsh -Command` / `-EncodedCommand` by the shell code. */
  private readonly psCode: string[] = []
  private readonly seen = new Set<string>()
  private readonly vars = new Map<string, Set<string>>()
  /** Wrappers that led to the code being walked now (see `analyse`). */
  private via: readonly string[] = []
  /** Files this request writes, by resolved path: their text when it is visible, else null. */
  private readonly written = new Map<string, null | string>()

  constructor(
    private readonly engine: Engine,
    private readonly parser: ShellParser,
    private readonly command: string,
    readonly ctx: PolicyContext,
  ) {
    this.limits = engine.limits
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

    this.followEffects(cmd)
    return cmd
  }

  // ---- Analyser -------------------------------------------------------------------------------

  code(source: string, via: readonly string[], cwds: readonly string[], positional?: readonly (null | string)[]): void {
    if (this.depth + 1 > this.limits.maxRecursion) {
      this.tooComplex(`code is nested more than ${this.limits.maxRecursion} levels deep (${via.join(' → ')})`)
      return
    }

    const outer = this.positional
    if (positional !== undefined) this.positional = positional
    this.depth++
    try {
      this.analyse(source, via, cwds)
    } finally {
      this.depth--
      this.positional = outer
    }
  }

  commands(): readonly Cmd[] {
    return this.cmds
  }

  emit(raw: RawCommand): void {
    const over = raw.words.find((w) => w.overflow !== undefined)
    if (over?.overflow !== undefined) this.tooComplex(over.overflow)
    normaliseCommand(raw, this, this.via)
  }

  fileContent(word: Word, cwds: readonly string[]): null | string | undefined {
    if (this.written.size === 0 || !word.static) return undefined
    for (const place of placesOf(word, cwds)) {
      if (place.kind === 'unknown') continue
      const key = this.followLinks(place.path)
      if (this.written.has(key)) return this.written.get(key)
    }

    return undefined
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

  nextId(): number {
    return this.nextGroup++
  }

  // ---- WalkHost -------------------------------------------------------------------------------

  noteAssignment(name: string, value: null | Word): void {
    if (value?.overflow !== undefined) this.tooComplex(value.overflow)
    if (value === null) return
    // `y=$x` after `x=rm`: the second hop is followed too, as far as the script says.
    const known = value.static ? [value.value] : wordCandidates(value, (n) => this.values(n)).values
    if (!value.static && !wordCandidates(value, (n) => this.values(n)).complete) return
    let set = this.vars.get(name)
    if (set === undefined) {
      set = new Set()
      this.vars.set(name, set)
    }

    for (const v of known) if (set.size < 8) set.add(v)
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
    // Through a link, what a word names depends on the program (rm removes the link itself).
    if (hit && hit.cwds === cmd.cwds && this.links.size === 0) return hit.places
    let places = placesOf(word, cmd.cwds)
    if (this.links.size > 0) places = places.map((p) => this.throughLinks(p, word, cmd.name))
    this.placeCache.set(word, {cwds: cmd.cwds, places})
    return places
  }

  powershellCode(code: string): void {
    if (this.psCode.length < 16) this.psCode.push(code)
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
      this.tooComplex(
        `the command is ${source.length} characters long; the engine reads at most ${this.limits.maxLength}`,
      )
    } else if (BRACE_FLOOD.test(source)) {
      // Checked on the raw text, before parsing: such a flood is refused at the cost of one scan.
      this.tooComplex(`more than ${BRACE_RUN} brace expansions in a row`)
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
    this.judgePowerShell(source)
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
    if (/^(?:\d+|[@*])$/.test(name)) {
      const pos = this.positional
      if (name === '@' || name === '*') return pos.slice(1).includes(null) ? [] : [pos.slice(1).join(' ')]
      const v = pos[Number(name)]
      return v === null ? [] : [v ?? '']
    }

    const set = this.vars.get(name)
    return set ? [...set] : []
  }

  // ---- what the request creates and then uses -------------------------------------------------

  withinBudget(): boolean {
    if (this.cmds.length < this.limits.maxCommands) return true
    if (!this.budgetNoted) {
      this.budgetNoted = true
      this.tooComplex(`more than ${this.limits.maxCommands} commands`)
    }

    return false
  }

  private analyse(source: string, via: readonly string[], cwds: readonly string[]): void {
    if (!this.withinBudget()) return
    if (source.length > this.limits.maxLength * 2) {
      this.tooComplex(`code handed on (${via.join(' → ')}) is ${source.length} characters long`)
      return
    }

    let text = source
    let parsed = this.parse(text)
    if (parsed.ok && parsed.hasError) {
      // tree-sitter-bash cannot read some things bash accepts: `[ … ]` / `[[ … ]]` tests (read as
      // the `:` builtin, nothing a test can run is lost), `((a) | b)` nested subshells, and a brace
      // expansion as the command name. The same text in a form it can read is tried once.
      const plain = expandLeadingBraces(testBracketsAsColon(text).replaceAll(/(^|[\s;&|])\(\((?!\()/g, '$1( ('))
      if (plain !== text) {
        const again = this.parse(plain)
        if (again.ok && !again.hasError) {
          text = plain
          parsed = again
        }
      }
    }

    if (!parsed.ok) {
      this.tooComplex(
        parsed.reason === 'steps'
          ? 'the parser gave up on it'
          : `it has ${parsed.nodes} syntax nodes; the engine reads at most ${this.limits.maxNodes}`,
      )
      return
    }

    this.nodes += parsed.nodes
    if (this.nodes > this.limits.maxNodes * 2) {
      this.tooComplex(
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

    if (parsed.truncated) this.tooComplex(`it is nested more than ${this.limits.maxDepth} levels deep`)
    const outer = this.via
    this.via = via
    try {
      walkScript(parsed.root, text, cwds, this)
    } finally {
      this.via = outer
    }
  }

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
    const verdict: Verdict = {decision, rule: deciding?.match.rule, reason, matches, commands}
    const unanalysed = [...new Set(this.found.filter((f) => f.unanalysed).map((f) => f.match.reason))]
    if (unanalysed.length > 0) verdict.unanalysed = unanalysed
    if (this.found.some((f) => f.network === false)) verdict.network = false
    return verdict
  }

  // ---- reading --------------------------------------------------------------------------------

  private engineMatch(rule: EngineRule, reason: string): void {
    this.record(rule, reason, -1, undefined)
  }

  /** Remembers files the command writes (with their text, when visible) and links it makes. */
  private followEffects(cmd: Cmd): void {
    if (cmd.name === 'ln') this.noteLinks(cmd)
    const writes = redirectTouches(cmd).filter((t) => t.write)
    const teeTargets = cmd.name === 'tee' ? writtenWords(cmd) : []
    if (writes.length === 0 && teeTargets.length === 0) return
    const text = cmd.name === 'tee' ? teeText(cmd, this) : producedText(cmd)
    for (const t of [...writes, ...teeTargets.map((word) => ({word, write: true}))]) {
      const append = cmd.raw.redirects.some((r) => r.target === t.word && r.op === '>>') || cmd.argv.includes('-a')
      for (const place of placesOf(t.word, cmd.cwds)) {
        if (place.kind === 'unknown' || place.below) continue
        const key = this.followLinks(place.path)
        const before = this.written.get(key)
        const next =
          text === null ? null : append && before !== undefined ? (before === null ? null : before + text) : text
        this.written.set(key, next)
        // A git hook runs later, at the next commit: what it will run is judged now.
        if (next !== null && /\/\.git\/hooks\/[^/]+$/.test(key)) this.code(next, [...cmd.via, 'git hook'], cmd.cwds)
      }
    }
  }

  /** A path that runs through a link this request made, as the kernel would follow it. */
  private followLinks(p: string): string {
    for (let hops = 0; hops < 8; hops++) {
      let changed = false
      for (const [link, to] of this.links) {
        if (p.startsWith(`${link}/`)) {
          p = to === '/' ? p.slice(link.length) : to + p.slice(link.length)
          changed = true
        }
      }

      if (!changed) break
    }

    return p
  }

  private judge(): void {
    for (const cmd of this.cmds) {
      if (cmd.opaque !== undefined) this.record(OPAQUE_COMMAND, cmd.opaque, cmd.index, cmd.text)
      for (const rule of this.engine.rulesFor(cmd.name)) this.apply(rule, cmd, this)
    }
  }

  // ---- judging --------------------------------------------------------------------------------

  /**
   * The request (and any PowerShell code handed to `pwsh -Command`) read as PowerShell and cmd, for
   * the PowerShell pack: hub may run commands with pwsh, and the same text means different things
   * to each shell. Rules look at PowerShell's own vocabulary, so bash text rarely matches.
   */
  private judgePowerShell(source: string): void {
    const rules = this.engine.powershellRules
    if (rules.length === 0) return
    const commands: PsCommand[] = []
    // Most requests are plain bash with nothing of PowerShell's vocabulary: not tokenised again.
    const texts = POWERSHELL_HINT.test(source) ? [source, ...this.psCode] : this.psCode
    for (const text of texts) {
      const parsed = parsePowerShell(text)
      commands.push(...parsed.commands)
      if (parsed.truncated) this.tooComplex('PowerShell code nested too deeply')
    }

    const env: PsEnv = {ctx: this.ctx, commands: () => commands}
    for (const cmd of commands) {
      for (const rule of rules) {
        let result: ReturnType<PowerShellRule['check']>
        try {
          result = rule.check(cmd, env)
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error)
          this.record(
            {...rule, decision: rule.decision === 'allow' ? 'ask' : rule.decision},
            `rule failed (${message}); judged as a match`,
            -1,
            cmd.text,
          )
          continue
        }

        if (result) this.record(rule, typeof result === 'string' ? result : rule.reason, -1, cmd.text)
      }
    }
  }

  private noteLinks(cmd: Cmd): void {
    const parsed = parseOptions(cmd.args, {shortValue: 'tS', longValue: ['target-directory', 'suffix']})
    if (!parsed.flags.has('-s') && !parsed.flags.has('--symbolic')) return
    const ops = parsed.operands
    const target = ops[0]
    if (target === undefined || !target.static) return
    const linkWord = ops.length >= 2 ? ops.at(-1) : undefined
    for (const cwd of cmd.cwds) {
      if (cwd === '' || cwd.startsWith('~')) continue
      const link = linkWord
        ? linkWord.static
          ? path.posix.resolve(cwd, linkWord.value)
          : undefined
        : path.posix.resolve(cwd, path.posix.basename(target.value))
      if (link === undefined) continue
      // A relative target is read from the link's own directory; `~…` stays the home directory.
      const to = target.tilde
        ? path.posix.normalize(target.value).replace(/\/$/, '')
        : path.posix.resolve(path.posix.dirname(link), target.value)
      if (to !== undefined && to !== link) this.links.set(link, to)
    }
  }

  private parse(source: string): ParseOutcome {
    return this.parser.parse(source, {
      maxNodes: this.limits.maxNodes,
      maxDepth: this.limits.maxDepth,
      maxSteps: this.limits.maxParseSteps,
    })
  }

  private record(
    rule: Pick<Rule, 'decision' | 'id' | 'network' | 'pack' | 'unanalysed'>,
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
    this.found.push({match, cmd, unanalysed: rule.unanalysed, network: rule.network})
  }

  private throughLinks(place: Place, word: Word, program: string): Place {
    if (place.kind !== 'path') return place
    const own = this.links.get(place.path)
    // `rm -rf r` removes the link itself; `rm -rf r/`, `r/*`, `r/x` — and any other program
    // opening `r` — go through it.
    const onLink = /^(?:rm|unlink|rmdir|mv|ln)$/.test(program)
    let followed = place.path
    if (own === undefined) {
      followed = this.followLinks(place.path)
    } else if (!onLink || place.below || word.value.endsWith('/') || word.value.endsWith('/.'))
      followed = this.followLinks(own)
    if (followed === place.path) return place
    return followed.startsWith('~') ? {kind: 'home', path: followed, below: place.below} : {...place, path: followed}
  }

  // ---- deciding -------------------------------------------------------------------------------

  /** A limit an agent can reach on purpose: refused, with what was too much (SPEC §4.2). */
  private tooComplex(what: string): void {
    this.engineMatch(OVER_BUDGET, `too complex to analyse: ${what}; simplify or split it`)
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
 * Everything the PowerShell pack can match needs one of these in the text: a Verb-Noun cmdlet, a
 * parameter (`-Recurse`), a Windows path or variable (`\`, `%X%`, `$env:`), a .NET call (`]::`), or
 * a PowerShell/cmd-only command name. Text with none of them is not PowerShell the pack could judge.
 */
const POWERSHELL_HINT =
  /[\\%]|\$env:|\]::|\b[a-z]+-[a-z]+\b|\s-[a-z]{3,}|(?:^|[\s;|&({])(?:del|erase|rd|ri|iex|iwr|irm|gci|gi|gc|spps|spsv|saps|start|icm|sp|rp|dir|type|cmd|powershell|pwsh|format|vssadmin|wmic|wbadmin|bcdedit|cipher|shutdown|reg|sc|schtasks|net|netsh|taskkill|tskill|certutil|bitsadmin|rundll32|procdump\w*|cmdkey|wevtutil|diskpart|auditpol|ntdsutil|esentutl|mimikatz|vaultcmd)(?:\.exe)?\b/i

/** How many brace groups in a row the raw-text pre-check lets through to the parser. */
const BRACE_RUN = 40
const BRACE_FLOOD = new RegExp(String.raw`(?:\{[^\s{}]*\}[^\s{}]{0,8}){${BRACE_RUN + 1}}`)

/**
 * `[ … ]` and `[[ … ]]` at a command's start, rewritten as the `:` builtin with the same length, so
 * offsets into the text stay right. Only brackets standing alone as words are touched.
 */
export function testBracketsAsColon(text: string): string {
  return text
    .replaceAll(/(^|[\s;&|(!{])\[\[(?=\s)/g, '$1: ')
    .replaceAll(/(^|[\s;&|(!{])\[(?=\s)/g, '$1:')
    .replaceAll(/(?<=\s)\]\](?=\s|$|[;&|)}])/g, '  ')
    .replaceAll(/(?<=\s)\](?=\s|$|[;&|)}])/g, ' ')
}

/**
 * `{rm,-rf,/}` where a command starts is brace expansion (a group needs a space after `{`): written
 * out as its words so the grammar reads the command it makes.
 */
export function expandLeadingBraces(text: string): string {
  return text.replaceAll(/(^|[;&|(!\n]\s*)\{([^\s{}'"$`\\]+)\}(?=\s|$|[;&|)])/g, (whole, lead: string, body: string) =>
    body.includes(',') ? `${lead}${body.split(',').join(' ')}` : whole,
  )
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
