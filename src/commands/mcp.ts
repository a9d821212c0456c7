import {StdioServerTransport} from '@modelcontextprotocol/server/stdio'
import {Flags} from '@oclif/core'

import {BaseCommand, exitCodesHelp} from '../base-command.js'
import {createMcpServer} from '../lib/mcp/server.js'

export default class Mcp extends BaseCommand<typeof Mcp> {
  static override description = 'Stdio MCP server: tools run_command, request_status, recent_runs. Logs go to stderr.'
  static override flags = {
    base: Flags.string({description: 'Daemon URL [env: AGENT_HUB_BASE].'}),
  }
  static override summary = 'Serve hub to an MCP client over stdio.'

  public async run(): Promise<void> {
    const server = createMcpServer(() => this.client('agent', {base: this.flags.base}), this.config.version)
    await server.connect(new StdioServerTransport())
    await new Promise<void>((resolve) => {
      process.stdin.on('close', resolve)
    })
  }

  // The exit codes for --help (exitCodesHelp, base-command.ts), under the description.
  static {
    this.description = [
      this.description,
      '',
      exitCodesHelp(['0 the client closed standard input (tool failures are answered to the client, not exit codes)'], {
        daemon: false,
      }),
    ].join('\n')
  }
}
