import {Flags} from '@oclif/core'

import {BaseCommand, exitCodesHelp} from '../../base-command.js'
import {HubError, isHubError} from '../../lib/errors.js'

export default class TokenRotate extends BaseCommand<typeof TokenRotate> {
  static override description = [
    'With a daemon running, asks it (operator token) to write a new token file and refuse the old token from ' +
      'then on; the rotation is audited as token_rotated with short fingerprints, never the tokens. With no ' +
      'daemon running, rewrites the token file directly. Tokens given by environment variables cannot be ' +
      'rotated here: change the variable and restart.',
    '',
    exitCodesHelp(
      [
        '0 rotated (by the daemon, or in the file when none runs)',
        '2 usage or configuration error (the token comes from an environment variable, a --root that is a file)',
        '6 the running daemon refused the operator token',
      ],
      // No daemon is not an error here: the token file is rewritten directly.
      {daemon: false},
    ),
  ].join('\n')
  static override examples = ['<%= config.bin %> token rotate --agent', '<%= config.bin %> token rotate --operator']
  static override flags = {
    agent: Flags.boolean({description: 'Rotate the agent token (the default).', exclusive: ['operator']}),
    operator: Flags.boolean({description: 'Rotate the operator token.', exclusive: ['agent']}),
    base: Flags.string({description: 'Daemon URL [env: AGENT_HUB_BASE].'}),
  }
  static override summary = 'Replace the agent or operator token; the old one stops working at once.'

  public async run(): Promise<void> {
    const role = this.flags.operator ? 'operator' : 'agent'
    let result: {daemon: boolean; file: string; fingerprint: string; role: string}
    try {
      const client = await this.client('operator', {base: this.flags.base})
      result = {...(await client.rotateToken(role)), daemon: true}
    } catch (error) {
      if (!isHubError(error) || error.code !== 'daemon_unreachable') throw error
      result = {...(await this.rotateOffline(role)), daemon: false}
    }

    if (this.jsonMode) return this.printJson(result)
    const refused = result.daemon ? ' The old token is refused from now on.' : ''
    process.stdout.write(
      `Rotated the ${role} token (now ${result.fingerprint}); it is in ${this.safe(result.file)}.${refused}\n`,
    )
  }

  private async rotateOffline(role: 'agent' | 'operator'): Promise<{file: string; fingerprint: string; role: string}> {
    const config = this.hubConfig
    if ((role === 'agent' ? config.agentToken : config.operatorToken) !== undefined) {
      throw new HubError('usage', `The ${role} token comes from the environment; change the variable instead.`)
    }

    const {rotateToken} = await import('../../lib/tokens.js')
    const {AuditLog} = await import('../../lib/audit/log.js')
    const {runtimePaths} = await import('../../lib/store.js')
    const audit = await AuditLog.open(runtimePaths(config.runtimeDir).audit)
    try {
      const r = await rotateToken({
        actor: {role: 'operator', token: 'local'},
        append: (fields) => audit.append(fields),
        fromEnv: undefined,
        role,
        runtimeDir: config.runtimeDir,
      })
      return {role, fingerprint: r.fingerprint, file: r.file}
    } finally {
      await audit.close()
    }
  }
}
