import {Args, Flags} from '@oclif/core'

import {BaseCommand, exitCodesHelp} from '../../base-command.js'
import {HOOK_AGENTS} from '../../lib/hooks/names.js'

export default class HookUninstall extends BaseCommand<typeof HookUninstall> {
  static override args = {
    agent: Args.string({description: 'The agent to take hub out of.', options: [...HOOK_AGENTS], required: true}),
  }
  static override description =
    "Removes only hub's hook entries from the agent's settings file and keeps everything else\n" +
    `(an event or "hooks" key left empty by it goes too). Backs the file up first and prints the diff.`
  static override examples = [
    '<%= config.bin %> hook uninstall claude-code',
    '<%= config.bin %> hook uninstall cursor --user',
  ]
  static override flags = {
    project: Flags.boolean({description: "The project's settings in this directory (default).", exclusive: ['user']}),
    user: Flags.boolean({description: 'Your own settings under your home directory.', exclusive: ['project']}),
    'dry-run': Flags.boolean({description: 'Print the diff and change nothing.'}),
  }
  static override summary = "Remove hub's hooks from an agent's settings."

  public async run(): Promise<void> {
    const {applyInstall} = await import('../../lib/hooks/setup.js')
    const result = await applyInstall({
      agent: this.args.agent as (typeof HOOK_AGENTS)[number],
      action: 'uninstall',
      binDir: this.config.root,
      config: this.hubConfig,
      dryRun: this.flags['dry-run'],
      scope: this.flags.user ? 'user' : 'project',
    })
    if (this.jsonMode) this.printJson(result)
    else process.stdout.write(result.text)
  }

  // The exit codes for --help (exitCodesHelp, base-command.ts), under the description.
  static {
    this.description = [this.description, '', exitCodesHelp(['0 removed (or none was there)'], {daemon: false})].join(
      '\n',
    )
  }
}
