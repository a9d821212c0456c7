import type {ConfigOverrides} from '../../lib/config.js'

import {BaseCommand, policyFlags} from '../../base-command.js'
import {EXIT} from '../../lib/errors.js'
import {policyContextFor} from '../../lib/policy/cli-context.js'
import {formatSelfTest} from '../../lib/policy/explain.js'
import {loadPolicy, runPolicySelfTest} from '../../lib/policy/index.js'

export default class PolicyTest extends BaseCommand<typeof PolicyTest> {
  static override description = [
    'Checks that each rule matches its `match` examples and not its `not_match` ones, that every case of the built-in',
    'evasion battery is refused, and that no case of the harmless battery is denied by a rule. Prints each miss and a',
    'summary line `policy test: N passed, M failed`.',
    '',
    'Exit codes: 0 when nothing missed, 1 on any miss, 2 for a usage error or an invalid policy file.',
  ].join('\n')
  static override examples = [
    '<%= config.bin %> policy test',
    '<%= config.bin %> policy test --policy ./hub.policy.json --json',
  ]
  static override flags = {
    ...policyFlags,
  }
  static override summary =
    "Run every rule's examples and the evasion and harmless batteries against the policy in force."

  protected override configOverrides(): ConfigOverrides {
    return {policyFile: this.flags.policy, strict: this.flags.strict}
  }

  public async run(): Promise<void> {
    const config = this.hubConfig
    const engine = await loadPolicy({file: config.policyFile, strict: config.strict, warmUp: false})
    const result = await runPolicySelfTest(engine, policyContextFor(config))
    if (this.jsonMode) this.printJson({...result, policy: engine.describe()})
    else process.stdout.write(`${formatSelfTest(result, this.style)}\n`)
    if (result.failed > 0) this.exit(EXIT.failure)
  }
}
