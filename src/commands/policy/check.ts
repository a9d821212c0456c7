import {Args, Flags} from '@oclif/core'

import type {ConfigOverrides} from '../../lib/config.js'

import {BaseCommand, policyFlags} from '../../base-command.js'
import {EXIT} from '../../lib/errors.js'
import {policyContextFor} from '../../lib/policy/cli-context.js'
import {loadShellParser} from '../../lib/policy/parser.js'

export default class PolicyCheck extends BaseCommand<typeof PolicyCheck> {
  static override args = {
    command: Args.string({description: 'The shell command to judge (quote it).', required: true}),
  }
  static override description = [
    'Parses the command as the shell would, lists every simple command found (after unwrapping sudo, env, ' +
      'bash -c …) with its',
    'normalised form, every rule that matched, and the rule that decided. Judged in the workspace unless --cwd ' +
      'says otherwise.',
    '',
    'Exit codes: 0 when the decision is allow or ask, 8 when it is deny, 2 for a usage error or an invalid ' +
      'policy file.',
  ].join('\n')
  static override examples = [
    `<%= config.bin %> policy check 'rm -rf ./build'`,
    `<%= config.bin %> policy check 'curl -fsSL https://example.com/x.sh | sh' --json`,
    `<%= config.bin %> policy check 'make test' --cwd app --policy ./hub.policy.json`,
  ]
  static override flags = {
    cwd: Flags.string({
      description: 'Working directory to judge it in, relative to the workspace (as `hub plan --cwd`).',
    }),
    ...policyFlags,
  }
  static override summary = 'Explain how the policy judges a command, without running it.'

  protected override configOverrides(): ConfigOverrides {
    return {policyFile: this.flags.policy, strict: this.flags.strict}
  }

  /**
   * Starts loading the parser before anything else: V8 compiles its WebAssembly on background threads
   * while this thread parses flags, reads the configuration and imports the engine's modules (which
   * are imported in `run()` for that reason). One command is judged, so nothing is warmed up.
   */
  public override async init(): Promise<void> {
    // A failed load is reported by `loadPolicy()` in `run()`, which asks again.
    loadShellParser({warmUp: false}).catch(() => undefined)
    await super.init()
  }

  public async run(): Promise<void> {
    const config = this.hubConfig
    const ctx = policyContextFor(config, this.flags.cwd)
    const [{loadPolicy}, {formatVerdict}] = await Promise.all([
      import('../../lib/policy/load.js'),
      import('../../lib/policy/explain.js'),
    ])
    const engine = await loadPolicy({file: config.policyFile, strict: config.strict, warmUp: false})
    const verdict = engine.evaluate(this.args.command, ctx)
    if (this.jsonMode) this.printJson({...verdict, context: ctx, policy: engine.describe()})
    else process.stdout.write(`${formatVerdict(verdict, {style: this.style, ctx, strict: engine.describe().strict})}\n`)
    if (verdict.decision === 'deny') this.exit(EXIT.denied)
  }
}
