import {Args, Flags} from '@oclif/core'

import {BaseCommand, exitCodesHelp} from '../../base-command.js'
import {HOOK_AGENTS} from '../../lib/hooks/names.js'

export default class HookInstall extends BaseCommand<typeof HookInstall> {
  static override args = {
    agent: Args.string({description: 'The agent to install hub into.', options: [...HOOK_AGENTS], required: true}),
  }
  static override description =
    "Merges hub's hook entries into the agent's settings file: Claude Code .claude/settings.json,\n" +
    `Codex .codex/hooks.json, Cursor .cursor/hooks.json, Gemini CLI .gemini/settings.json (in this directory,
or under your home with --user). Keeps your other hooks, keys, their order and the file's indentation;
a second run changes nothing. Backs the file up (<file>.hub-backup-<time>) before changing it, writes it
atomically and prints the diff. The entries run this hub binary by its absolute path with this runtime
directory, so they work from any directory.`
  static override examples = [
    '<%= config.bin %> hook install claude-code --dry-run',
    '<%= config.bin %> hook install codex --user',
    '<%= config.bin %> hook install gemini --timeout 300',
  ]
  static override flags = {
    project: Flags.boolean({description: "The project's settings in this directory (default).", exclusive: ['user']}),
    user: Flags.boolean({description: 'Your own settings under your home directory.', exclusive: ['project']}),
    'dry-run': Flags.boolean({description: 'Print the diff and change nothing.'}),
    timeout: Flags.integer({
      description: "The agent's hook timeout to write, in seconds (the hook keeps its own deadline below it).",
      min: 10,
      max: 3600,
    }),
  }
  static override summary = "Add hub's hooks to an agent's settings (claude-code, codex, cursor, gemini)."

  public async run(): Promise<void> {
    const {applyInstall} = await import('../../lib/hooks/setup.js')
    const agent = this.args.agent as (typeof HOOK_AGENTS)[number]
    const result = await applyInstall({
      agent,
      action: 'install',
      binDir: this.config.root,
      config: this.hubConfig,
      dryRun: this.flags['dry-run'],
      scope: this.flags.user ? 'user' : 'project',
      timeoutS: this.flags.timeout,
    })
    if (this.jsonMode) this.printJson(result)
    else process.stdout.write(result.text)
  }

  // The exit codes for --help (exitCodesHelp, base-command.ts), under the description.
  static {
    this.description = [this.description, '', exitCodesHelp(['0 installed (or already there)'], {daemon: false})].join(
      '\n',
    )
  }
}
