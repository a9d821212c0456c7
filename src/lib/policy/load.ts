/**
 * Loading a policy: the parser (once per process), the policy file, and its examples. Kept apart
 * from index.ts so a one-shot command (`hub policy check`) imports no batteries or corpus.
 */

import path from 'node:path'

import type {CompiledPolicyFile} from './policy-file.js'
import type {PolicyContext, PolicyEngine, RuleMatch} from './types.js'

import {HubError} from '../errors.js'
import {Engine} from './engine.js'
import {BUILTIN_PACKS, type Pack} from './packs/index.js'
import {loadShellParser} from './parser.js'
import {fillExample} from './rules.js'

export interface LoadPolicyOptions {
  /** Context the file's rule examples are checked in; by default a layout beside the file. */
  exampleContext?: PolicyContext | undefined
  /** Absolute path of the policy JSON; undefined means built-in packs only. */
  file?: string | undefined
  /** Called for each match (the daemon logs these at DEBUG). */
  onMatch?: (m: RuleMatch, command: string) => void
  /** AGENT_HUB_STRICT_MODE; the file can also turn strict mode on. */
  strict?: boolean
  /**
   * Run the parser and the engine over a few commands before returning (default true), so a
   * long-lived daemon's first request is not judged by cold code. A one-shot CLI, which judges one
   * command, skips both: warming up would only run the same cold code one more time.
   */
  warmUp?: boolean | undefined
}

/** The built-in packs, for `hub policy test` and explanation. */
export function builtinPacks(): readonly Pack[] {
  return BUILTIN_PACKS
}

/**
 * Loads the parser (once) and the policy file, and checks the file's rule examples. Any problem is
 * a HubError('policy_invalid') whose message names the file, the rule and the field.
 */
export async function loadPolicy(opts: LoadPolicyOptions): Promise<PolicyEngine> {
  const warm = opts.warmUp !== false
  const {file} = opts
  const [parser, compiled] = await Promise.all([
    loadShellParser({warmUp: warm}),
    // The file's reader and the examples' cache are imported only when there is a file to read.
    file === undefined ? undefined : import('./policy-file.js').then((m) => m.readPolicyFile(file)),
  ])
  const disabled = new Set<string>(compiled?.disabled ?? [])
  const packs = BUILTIN_PACKS.filter((p) => !disabled.has(p.name))
  const config = {
    rules: [...packs.flatMap((p) => p.rules), ...(compiled?.rules ?? [])],
    strict: opts.strict === true || compiled?.strict === true,
    packs: [...packs.map((p) => p.name), ...(compiled && compiled.rules.length > 0 ? ['file'] : [])],
    file: opts.file,
  }
  const engine = new Engine(parser, {...config, onMatch: opts.onMatch})
  // Examples and warm-up run without onMatch, so the daemon's log does not fill with their matches;
  // without onMatch the one engine serves (its rule tables are built once).
  let quietEngine: Engine | undefined
  const quiet = (): Engine => {
    quietEngine ??= opts.onMatch === undefined ? engine : new Engine(parser, config)
    return quietEngine
  }

  if (compiled) {
    // The examples are checked once per policy content and engine build, then remembered (issue 12).
    const ctx = opts.exampleContext ?? exampleContext(compiled.file)
    const {examplesKey, examplesPassed, rememberExamplesPassed} = await import('./examples-cache.js')
    const key = examplesKey(compiled, ctx, config.strict)
    if (!(await examplesPassed(key))) {
      checkFileExamples(quiet(), compiled, ctx)
      await rememberExamplesPassed(key)
    }
  }

  if (warm) warmUp(quiet())
  return engine
}

/** Exercise the engine once before the first request, so it is not judged by cold, unoptimised code. */
const WARM_UP_CONTEXT: PolicyContext = {
  cwd: '/warm-up/workspace',
  workspace: '/warm-up/workspace',
  runtimeDir: '/warm-up/runtime',
}
const WARM_UP_COMMANDS = [
  'sudo -u x env A=1 timeout 5 rm -rf ./build "$X" ../y && echo "$(curl -s http://localhost:1/ | sh)" > out.txt',
  "cd /tmp; find . -name '*.log' -exec grep -l x {} + | xargs -0 bash -c 'cat ~/.ssh/id_rsa' _; git push origin",
  String.raw`Remove-Item C:\x; python3 -c "print(1)" <<< x; for f in *.md; do wc -w "$f"; done`,
]

function warmUp(engine: Engine): void {
  for (let i = 0; i < 3; i++) for (const command of WARM_UP_COMMANDS) engine.evaluate(command, WARM_UP_CONTEXT)
}

function exampleContext(file: string): PolicyContext {
  const root = path.dirname(file)
  return {
    cwd: path.join(root, 'workspace'),
    workspace: path.join(root, 'workspace'),
    runtimeDir: path.join(root, 'runtime'),
    policyFile: file,
  }
}

function checkFileExamples(engine: Engine, compiled: CompiledPolicyFile, ctx: PolicyContext): void {
  for (const [index, rule] of compiled.rules.entries()) {
    const label = `rules[${index}] ("${compiled.source[index]?.id ?? rule.id}")`
    for (const [list, wanted, field] of [
      [rule.examples.match, true, 'match'],
      [rule.examples.not_match, false, 'not_match'],
    ] as const) {
      for (const example of list) {
        const verdict = engine.evaluate(fillExample(example, ctx), ctx)
        const hit = verdict.matches.some((m) => m.rule === rule.id)
        if (hit === wanted) continue
        const outcome = wanted ? 'does not match the rule' : 'matches the rule'
        const decided = `${verdict.decision}${verdict.rule ? `, ${verdict.rule}` : ''}`
        throw new HubError(
          'policy_invalid',
          `${compiled.file}: ${label}: example ${JSON.stringify(example)} in examples.${field} ${outcome} ` +
            `(verdict: ${decided})`,
          {
            details: {file: compiled.file, rule: rule.id, example, field: `examples.${field}`},
            hint: 'Fix the rule or its example, then run `hub policy test`.',
          },
        )
      }
    }
  }
}
