/**
 * The policy seam (SPEC §4). Everything outside `src/lib/policy/` talks to the engine only through
 * these types, so the engine can grow without touching the daemon, the runner or the CLI.
 */

export type Decision = 'allow' | 'ask' | 'deny'

/** Where a command would run; paths are absolute and already resolved (realpath) by the caller. */
export interface PolicyContext {
  cwd: string
  /** Absolute path of the policy file in force, if any (self-protection rules guard it). */
  policyFile?: string | undefined
  runtimeDir: string
  workspace: string
}

/** One simple command as the engine understood it after parsing and unwrapping. */
export interface ParsedCommand {
  /** Arguments after quote removal. */
  args: string[]
  /** Program and arguments as the engine compared them (quotes removed, shell-quoted again for display). */
  normalised?: string | undefined
  /** Set when the engine could not see this command fully (a name built at run time, a glob …): why. */
  opaque?: string | undefined
  /** Program name after unwrapping and quote removal (`/usr/bin/rm` → `rm`); null when not knowable. */
  program: null | string
  /** Source text of this simple command (as written). */
  text: string
  /** Wrappers that were peeled off to reach it, outermost first (`sudo`, `env`, `bash -c` …). */
  via: string[]
}

export interface RuleMatch {
  /** Which simple command (its text) triggered it; absent for raw-text rules over the whole string. */
  command?: string | undefined
  decision: Decision
  /** Pack the rule belongs to (`destructive`, `powershell`, `file`, `engine` …). */
  pack: string
  /**
   * For raw-text rules: the regular expression that matched, so a caller may keep the seed's
   *  `deny:<pattern>` audit form (e.g. `deny:\b(Remove-Item|del)`).
   */
  pattern?: string | undefined
  /** Reason a person can read. */
  reason: string
  /** Stable rule id, e.g. `destructive.rm-outside-workspace` or `file:my-rule`. */
  rule: string
}

export interface Verdict {
  /** Every simple command found. */
  commands: ParsedCommand[]
  decision: Decision
  /** Every rule that matched, deciding one first. */
  matches: RuleMatch[]
  /** Reason a person can read for the decision. */
  reason: string
  /** Id of the rule that decided; absent when no rule matched (default `ask`, or `deny` in strict mode). */
  rule?: string | undefined
  /** One "why" per part the engine could not see through; shown loudly as "not analysed: …". */
  unanalysed?: string[] | undefined
  /** false when a matched rule says the run must have no network. */
  network?: false | undefined
}

export interface PolicyEngine {
  /** Short description of what is in force (packs, file, strict), for start-up logs and `hub health`. */
  describe(): {file?: string | undefined; packs: string[]; rules: number; strict: boolean}
  /** Synchronous after load: it runs on the hot path of every request. */
  evaluate(command: string, ctx: PolicyContext): Verdict
}

/**
 * What the gateway needs of a policy: the engine itself (synchronous) or a pool of workers that
 * evaluates off the daemon's event loop (asynchronous). Verdicts are plain data either way.
 */
export interface PolicyEvaluator {
  close?(): Promise<void>
  describe(): ReturnType<PolicyEngine['describe']>
  evaluate(command: string, ctx: PolicyContext): Promise<Verdict> | Verdict
}
