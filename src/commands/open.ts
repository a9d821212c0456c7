import {Flags} from '@oclif/core'

import {BaseCommand, exitCodesHelp} from '../base-command.js'
import {HubError} from '../lib/errors.js'

interface LoginLink {
  expires_at: string
  url: string
}

/** The program that opens a URL on this system, if there is a desktop to open it on. */
function opener(): [string, string[]] | undefined {
  if (process.env.BROWSER) return [process.env.BROWSER, []]
  if (process.platform === 'darwin') return ['open', []]
  if (process.platform === 'win32') return ['rundll32', ['url.dll,FileProtocolHandler']]
  if (process.env.DISPLAY || process.env.WAYLAND_DISPLAY) return ['xdg-open', []]
  return undefined
}

export default class Open extends BaseCommand<typeof Open> {
  static override description = [
    'Asks the daemon (with the operator token, found by itself) for a sign-in link to the web console. The ' +
      'link works once, within 60 seconds; it carries its code after "#", so the code never reaches a server ' +
      "log or the browser's Referer, and the console takes it out of the address bar at once. The browser then " +
      'holds a session (HttpOnly, SameSite=Strict cookie) that ends after 12 hours, or 2 hours unused; list and ' +
      'end sessions with hub sessions.',
    '',
    exitCodesHelp(['0 the link was printed (and opened, when a browser could be started)']),
  ].join('\n')
  static override examples = [
    '<%= config.bin %> open',
    {
      description: 'Only print the link (for a browser elsewhere, e.g. through an SSH tunnel)',
      command: '<%= config.bin %> open --print-url',
    },
  ]
  static override flags = {
    'print-url': Flags.boolean({description: 'Print the link without opening a browser.'}),
    base: Flags.string({description: 'Daemon URL [env: AGENT_HUB_BASE].'}),
  }
  static override summary = 'Open the web console in a browser (operator token).'

  public async run(): Promise<void> {
    const client = await this.client('operator', {base: this.flags.base})
    const {body: link} = await client.call<LoginLink>('POST', '/console/login-links', {})
    if (typeof link?.url !== 'string')
      throw new HubError(
        'internal',
        'The daemon did not answer with a login link; is it an older hub without the console?',
      )
    if (this.jsonMode) return this.printJson(link)
    process.stdout.write(`${link.url}\n`)
    const how = this.flags['print-url'] ? undefined : opener()
    if (!how) {
      process.stderr.write(this.style.dim('Open this link within 60 seconds; it works once.\n'))
      return
    }

    const {execa} = await import('execa')
    try {
      // Detached and not awaited: the browser outlives this command.
      const child = execa(how[0], [...how[1], link.url], {detached: true, stdio: 'ignore', reject: false})
      child.unref()
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', () => resolve())
        child.once('error', reject)
      })
      process.stderr.write(this.style.dim('Opened in your browser; the link works once, within 60 seconds.\n'))
    } catch (error) {
      process.stderr.write(
        this.style.yellow(
          `Could not start a browser (${(error as Error).message}); open the link above yourself within 60 seconds.\n`,
        ),
      )
    }
  }
}
