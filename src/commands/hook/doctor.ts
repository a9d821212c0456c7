import {Args} from '@oclif/core'

import {BaseCommand, exitCodesHelp} from '../../base-command.js'
import {EXIT} from '../../lib/errors.js'
import {HOOK_AGENTS} from '../../lib/hooks/names.js'

export default class HookDoctor extends BaseCommand<typeof HookDoctor> {
  static override args = {
    agent: Args.string({description: 'Check only this agent.', options: [...HOOK_AGENTS]}),
  }
  static override description =
    "Checks what an agent's hook meets when the agent starts it here: hub's entries installed\n" +
    `(this directory's settings and your home's), the binary they run exists, their deadline is below the
agent's timeout, the daemon they point to is reachable from this directory, and the agent token is
readable and accepted. Prints ✓ or ✗ per check with what to do; exits ${EXIT.unhealthy} when something is wrong.`
  static override examples = ['<%= config.bin %> hook doctor', '<%= config.bin %> hook doctor claude-code']
  static override summary = "Check that an agent's hub hooks will work."

  public async run(): Promise<void> {
    const {doctor} = await import('../../lib/hooks/setup.js')
    const {resolveConfig} = await import('../../lib/config.js')
    const report = await doctor({
      agent: this.args.agent as (typeof HOOK_AGENTS)[number] | undefined,
      config: this.hubConfig,
      configFor: (runtimeDir) => resolveConfig(process.env, {runtimeDir}),
    })
    if (this.jsonMode) {
      this.printJson(report)
    } else {
      for (const c of report.checks) {
        const mark = c.ok ? this.style.green('✓') : this.style.red('✗')
        process.stdout.write(`${mark} ${this.safe(c.detail)}\n`)
        if (!c.ok && c.fix) process.stdout.write(`  → ${this.safe(c.fix)}\n`)
      }
    }

    if (!report.ok) this.exit(EXIT.unhealthy)
  }

  // The exit codes for --help (exitCodesHelp, base-command.ts), under the description.
  static {
    this.description = [
      this.description,
      '',
      exitCodesHelp(['0 every check passed', '7 something is wrong (each ✗ says what to do)'], {daemon: false}),
    ].join('\n')
  }
}
