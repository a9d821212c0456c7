import {Args, Flags} from '@oclif/core'

import {BaseCommand, exitCodesHelp} from '../../base-command.js'
import {HOOK_AGENTS} from '../../lib/hooks/names.js'

export default class Hook extends BaseCommand<typeof Hook> {
  static override args = {
    agent: Args.string({description: 'The agent that runs this hook.', options: [...HOOK_AGENTS], required: true}),
  }
  static override description = `Reads the agent's hook JSON on stdin and answers in that agent's format: deny with the
policy's reason, allow only once an operator approved (or an operator's allow rule matched), deny on an
operator deny, expiry, an unreachable daemon, malformed input or the hook's own deadline. Post-tool
events report the agent's outcome (command_executed_by_agent). Uses the agent token. Installed by
\`hub hook install\`; see docs/hooks.md.`
  static override examples = [
    'echo \'{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"},…}\' ' +
      '| <%= config.bin %> hook claude-code',
  ]
  static override flags = {
    deadline: Flags.integer({
      description: "Seconds before the hook answers deny by itself; keep it below the agent's hook timeout.",
      min: 1,
      max: 3600,
    }),
    base: Flags.string({description: 'Daemon URL [env: AGENT_HUB_BASE].'}),
  }
  static override summary = "An agent's shell hook: decide a command through hub (claude-code, codex, cursor, gemini)."

  /** A usage or configuration error must still refuse: exit 2 blocks in every agent that reads exit codes. */
  protected override async catch(err: Error): Promise<unknown> {
    process.stderr.write(`hub hook: ${err.message}; refused to be safe\n`)
    const agent = this.argv[0]
    if (agent === 'cursor') {
      const reason = `hub hook could not start (${err.message}); refused to be safe`
      process.stdout.write(
        JSON.stringify({permission: 'deny', user_message: `hub: ${reason}`, agent_message: reason}) + '\n',
      )
      return this.exit(0)
    }

    return this.exit(2)
  }

  public async run(): Promise<void> {
    const {startHook} = await import('../../lib/hooks/run.js')
    const {deadlineFor} = await import('../../lib/hooks/agents.js')
    const agent = this.args.agent as (typeof HOOK_AGENTS)[number]
    await startHook({
      agent,
      base: this.flags.base,
      config: this.hubConfig,
      deadlineS: this.flags.deadline ?? deadlineFor(agent),
      stdin: process.stdin,
    })
  }

  // The exit codes for --help (exitCodesHelp, base-command.ts), under the description.
  static {
    this.description = [
      this.description,
      '',
      exitCodesHelp(
        [
          "0 answered in the agent's format (allow or deny, also when the daemon cannot be reached)",
          "2 refused: the input was not the agent's hook JSON, or the hook could not start (exit 2 blocks)",
        ],
        {daemon: false},
      ),
    ].join('\n')
  }
}
