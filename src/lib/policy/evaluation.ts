/**
 * One request being judged (see engine.ts): everything learnt while reading it — the commands found,
 * which pipeline stage and substitution each sits in, literal values assigned to variables, files and
 * links it makes — so that nothing is parsed or walked twice and rules can ask about neighbours.
 */

import type {Engine, Limits} from './engine.js'
import type {ParseOutcome, ShellParser} from './parser.js'
import type {RawCommand, WalkHost} from './raw-command.js'
import type {CommandRule, EngineRule, PowerShellRule, PsEnv, Rule, RuleEnv} from './rules.js'
import type {PolicyContext, RuleMatch, Verdict} from './types.js'
import type {Word} from './words.js'

import {hasInvisible} from '../terminal-escape.js'
import {type Cmd} from './command.js'
import {redirectTouches, writtenWords} from './effects.js'
import {Links} from './links.js'
import {type Analyser, normaliseCommand, producedText, teeText, wordCandidates} from './normalise.js'
import {INVISIBLE, NUL_BYTE, OPAQUE_COMMAND, OVER_BUDGET, PARSE_ERROR} from './packs/engine.js'
import {type Place, placesOf} from './paths.js'
import {copiedText} from './pipe-text.js'
import {parsePowerShell, type PsCommand} from './powershell.js'
import {
  BRACE_FLOOD,
  BRACE_RUN,
  expandLeadingBraces,
  joinContinuations,
  POWERSHELL_HINT,
  testBracketsAsColon,
} from './source-text.js'
import {decideVerdict, type Found} from './verdict.js'
import {walkScript} from './walk.js'
import {pathWord} from './words.js'

/** Tools that copy text into a file (their own input, or another file): followed like `tee`. */
const COPIERS = new Set(['cp', 'dd', 'install'])

/** What a match is about: a command (its index and text) or the whole request (-1), and a text rule's pattern. */
interface MatchSite {
  readonly cmd: number
  readonly command?: string | undefined
  readonly pattern?: string | undefined
}

export class Evaluation implements Analyser, RuleEnv, WalkHost {
  depth = 0
  private budgetNoted = false
  private readonly cmds: Cmd[] = []
  private readonly found: Found[] = []
  private readonly groups = new Map<number, Cmd[]>()
  private readonly limits: Limits
  /** Symbolic links this request makes. */
  private readonly links = new Links()
  /** Per-evaluation values rules share (RuleEnv.memo). */
  private readonly memos = new Map<symbol, unknown>()
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
    // `set -- rm -rf /; "$@"`: later `$1`, `$@` hold these words (null where built at run time).
    if (cmd.name === 'set' && cmd.argv[0] === '--') {
      this.positional = [
        this.positional[0] ?? 'bash',
        ...cmd.args.slice(1).map((w) => (w.static || isTildePath(w) ? w.value : null)),
      ]
    }

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
      const key = this.links.follow(place.path)
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

  /** RuleEnv: computed once per evaluation under `key`, whichever rule asks first. */
  memo<T>(key: symbol, compute: () => T): T {
    if (this.memos.has(key)) return this.memos.get(key) as T
    const value = compute()
    this.memos.set(key, value)
    return value
  }

  // ---- WalkHost -------------------------------------------------------------------------------

  nextId(): number {
    return this.nextGroup++
  }

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
    // `f=/etc/passwd; : > $f`: what the script itself assigns is judged as well as "unknown" (never instead:
    // the variable may hold something else when the command runs), so a deny on a known value is not lost.
    if (!word.static && places.some((p) => p.kind === 'unknown')) {
      for (const v of wordCandidates(word, (n) => this.values(n)).values.slice(0, 8))
        if (v !== '') places = [...places, ...placesOf(pathWord(v), cmd.cwds)]
    }

    if (this.links.size > 0) places = places.map((p) => this.links.through(p, word, cmd.name))
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
        if (rule.pattern.test(source)) this.record(rule, rule.reason, {cmd: -1, pattern: rule.pattern.source})
      }
    }

    return decideVerdict(this.found, this.cmds, {
      command: this.command,
      onMatch: this.engine.config.onMatch,
      strict: this.engine.config.strict,
    })
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
        {cmd: cmd.index, command: cmd.text},
      )
      return
    }

    if (!result) return
    this.record(rule, typeof result === 'string' ? result : rule.reason, {cmd: cmd.index, command: cmd.text})
  }

  // ---- reading --------------------------------------------------------------------------------

  private engineMatch(rule: EngineRule, reason: string): void {
    this.record(rule, reason, {cmd: -1})
  }

  /** Remembers files the command writes (with their text, when visible) and links it makes. */
  private followEffects(cmd: Cmd): void {
    if (cmd.name === 'ln') this.links.note(cmd)
    const writes = redirectTouches(cmd).filter((t) => t.write)
    const teeTargets: Word[] = cmd.name === 'tee' ? writtenWords(cmd) : []
    const copy = COPIERS.has(cmd.name) ? copiedText(cmd, this) : null
    if (copy !== null) teeTargets.push(copy.target)
    if (writes.length === 0 && teeTargets.length === 0) return
    const text = copy === null ? (cmd.name === 'tee' ? teeText(cmd, this) : producedText(cmd)) : copy.text
    for (const t of [...writes, ...teeTargets.map((word) => ({word, write: true}))]) {
      const append = cmd.raw.redirects.some((r) => r.target === t.word && r.op === '>>') || cmd.argv.includes('-a')
      for (const place of placesOf(t.word, cmd.cwds)) {
        if (place.kind === 'unknown' || place.below) continue
        const key = this.links.follow(place.path)
        const before = this.written.get(key)
        const next =
          text === null ? null : append && before !== undefined ? (before === null ? null : before + text) : text
        this.written.set(key, next)
        // A git hook runs later, at the next commit: what it will run is judged now.
        if (next !== null && /\/\.git\/hooks\/[^/]+$/.test(key)) this.code(next, [...cmd.via, 'git hook'], cmd.cwds)
      }
    }
  }

  private judge(): void {
    for (const cmd of this.cmds) {
      if (cmd.opaque !== undefined) this.record(OPAQUE_COMMAND, cmd.opaque, {cmd: cmd.index, command: cmd.text})
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
            {cmd: -1, command: cmd.text},
          )
          continue
        }

        if (result) this.record(rule, typeof result === 'string' ? result : rule.reason, {cmd: -1, command: cmd.text})
      }
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
    at: MatchSite,
  ): void {
    const {cmd, command, pattern} = at
    const key = `${rule.id}\u0000${command ?? ''}\u0000${reason}`
    if (this.seen.has(key)) return
    this.seen.add(key)
    const match: RuleMatch = {rule: rule.id, pack: rule.pack, decision: rule.decision, reason, command}
    if (pattern !== undefined) match.pattern = pattern
    this.found.push({match, cmd, unanalysed: rule.unanalysed, network: rule.network})
  }

  // ---- deciding -------------------------------------------------------------------------------

  /** A limit an agent can reach on purpose: refused, with what was too much (SPEC §4.2). */
  private tooComplex(what: string): void {
    this.engineMatch(OVER_BUDGET, `too complex to analyse: ${what}; simplify or split it`)
  }
}

/** `~` or `~/literal`: home, already expanded by the shell where the word stands. */
function isTildePath(w: Word): boolean {
  return w.tilde && w.units.every((u) => u.dyn === undefined) && !w.glob
}
