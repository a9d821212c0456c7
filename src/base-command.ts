/**
 * The one base class of every `hub` command: common flags, configuration, the daemon client with
 * the right token found by itself, `--json` output, and the mapping from errors to exit codes
 * (README "Exit codes").
 */
import {Command, Flags, type Interfaces} from '@oclif/core'

import type {HubClient} from './lib/client.js'
import type {Style} from './lib/text/style.js'
import type {Role} from './lib/tokens.js'

import {type ConfigOverrides, type HubConfig, resolveConfig} from './lib/config.js'
import {EXIT, HubError, isHubError} from './lib/errors.js'
import {colorEnabled, createStyle, escapeControl} from './lib/terminal.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/** The number an exit-code line starts with; -1 (first) for "the command's own exit code". */
function exitNumber(line: string): number {
  return Number(/^\d+/.exec(line)?.[0] ?? -1)
}

/**
 * The exit codes of a command, for its `--help` (README "Exit codes"): the ones every command can
 * return, with the daemon's (3, 6) unless `daemon: false` (a command that only reads files). A command
 * adds its own; its line for a number replaces the common one. test/exit-codes.test.ts checks that
 * every command lists them and that the numbers agree with src/lib/errors.ts.
 */
export function exitCodesHelp(own: string[] = [], opts: {daemon?: boolean} = {}): string {
  const common = [
    '0 done',
    '1 an unexpected failure (the message says which)',
    '2 usage or configuration error (a bad flag, a --root that is a file)',
    ...(opts.daemon === false
      ? []
      : [
          '3 no daemon reachable (none running, or its socket is gone)',
          '6 the token was missing or refused (the daemon is another user’s, or the token was rotated)',
        ]),
  ]
  const mine = new Set(own.map((line) => exitNumber(line)))
  const codes = [...own, ...common.filter((line) => !mine.has(exitNumber(line)))]
  return ['Exit codes:', ...codes.sort((a, b) => exitNumber(a) - exitNumber(b))].join('\n')
}

/** `--policy` and `--strict`, for the commands that load the policy (serve, policy check|test). */
export const policyFlags = {
  policy: Flags.string({
    description: 'Policy file [env: AGENT_HUB_POLICY, default: <root>/hub.policy.json if present].',
  }),
  strict: Flags.boolean({
    description: 'Strict mode: block what no rule matches [env: AGENT_HUB_STRICT_MODE=1].',
    allowNo: true,
  }),
}

/** `--store`, for the commands that open the store themselves (serve, audit, runs, store migrate). */
export const storeFlags = {
  store: Flags.string({
    description: 'postgres://… to use a team database instead of the runtime files [env: AGENT_HUB_STORE].',
  }),
}

export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override baseFlags = {
    json: Flags.boolean({
      description: 'Print bare JSON (errors as {"error": {"code", "message"}}).',
      helpGroup: 'GLOBAL',
    }),
    root: Flags.string({
      description: 'Root directory that runtime/ and workspace/ hang from [env: AGENT_HUB_ROOT].',
      helpGroup: 'GLOBAL',
    }),
    'runtime-dir': Flags.string({description: 'Runtime directory [env: AGENT_HUB_RUNTIME_DIR].', helpGroup: 'GLOBAL'}),
  }
  protected args!: BaseArgs<T>
  protected flags!: BaseFlags<T>
  private cachedConfig: HubConfig | undefined
  private cachedStyle: Style | undefined
  private clients: HubClient[] = []
  /** Set once the runtime was located (current directory, else the user's daemon registry). */
  private located = false

  protected get hubConfig(): HubConfig {
    this.cachedConfig ??= this.configFor()
    return this.cachedConfig
  }

  protected get jsonMode(): boolean {
    // Before parsing finished (a usage error), the flags are not known yet: look at the words.
    const parsed = (this.flags as undefined | {json?: boolean})?.json
    return parsed ?? this.argv.includes('--json')
  }

  protected get style(): Style {
    this.cachedStyle ??= createStyle(!this.jsonMode && colorEnabled())
    return this.cachedStyle
  }

  /**
   * Every failure ends here: one line (or JSON) that says what happened and what to do, then the
   * documented exit code.
   */
  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    // oclif's own exits (this.exit) and parse errors keep their behaviour and exit code (2 for usage).
    if (!isHubError(err)) {
      if (err.oclif?.exit !== undefined && err.message.startsWith('EEXIT')) throw err
      if (err.oclif?.exit === 2 || (err as {parse?: unknown}).parse !== undefined) {
        if (this.jsonMode) {
          this.printJson({error: {code: 'usage', message: err.message}})
          this.exit(EXIT.usage)
        }

        throw err
      }
    }

    const hubErr = isHubError(err) ? err : new HubError('internal', err.message || String(err), {cause: err})
    if (this.jsonMode) {
      this.printJson(hubErr.toJSON())
    } else {
      const s = createStyle(colorEnabled(process.stderr))
      process.stderr.write(`${s.red('Error:')} ${escapeControl(hubErr.message)}\n`)
      const choices = hubErr.details?.choices
      if (Array.isArray(choices)) for (const c of choices) process.stderr.write(`  ${escapeControl(String(c))}\n`)
      if (hubErr.hint) process.stderr.write(`${s.dim('Hint:')} ${escapeControl(hubErr.hint)}\n`)
      if (hubErr.code === 'internal' && process.env.DEBUG && err.stack) process.stderr.write(err.stack + '\n')
    }

    this.exit(hubErr.exitCode)
  }

  /**
   * A client for the daemon, found without the user typing anything: the base from --base or
   * AGENT_HUB_BASE, else the running daemon's daemon.json, else the default; the token from the
   * environment, else the token file in the runtime directory.
   */
  protected async client(role: 'any' | Role, opts: {base?: string | undefined} = {}): Promise<HubClient> {
    const {discoverClient} = await import('./lib/discovery.js')
    const config = opts.base ? this.hubConfig : await this.runtime('daemon')
    const client = await discoverClient(config, role, opts)
    this.clients.push(client)
    return client
  }

  /** Extra configuration overrides a command's own flags provide (host, port, base …). */
  protected configOverrides(): ConfigOverrides {
    return {}
  }

  protected override async finally(err: Error | undefined): Promise<unknown> {
    await Promise.all(this.clients.map((c) => c.close().catch(() => {})))
    return super.finally(err)
  }

  public override async init(): Promise<void> {
    await super.init()
    const {args, flags} = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      args: this.ctor.args,
      strict: this.ctor.strict,
    })
    this.flags = flags as BaseFlags<T>
    this.args = args as BaseArgs<T>
  }

  protected printJson(value: unknown): void {
    process.stdout.write(JSON.stringify(value, null, 2) + '\n')
  }

  /**
   * The configuration with the runtime located for a client command: the one named (--root …), else
   * the current directory's if its daemon runs (to read files: if it exists), else the one daemon in
   * this user's registry (src/lib/registry.ts). `hub serve` never calls this: it uses its own root.
   */
  protected async runtime(use: 'daemon' | 'files'): Promise<HubConfig> {
    if (this.located) return this.hubConfig
    const {locateRuntime} = await import('./lib/discovery.js')
    const found = await locateRuntime(this.configFor(), use, (root, runtimeDir) => this.configFor({root, runtimeDir}))
    this.cachedConfig = found.config
    this.located = found.settled
    return found.config
  }

  /** Escapes agent-written text for the terminal. */
  protected safe(text: string, multiline = false): string {
    return escapeControl(text, {multiline})
  }

  private configFor(place?: {root: string; runtimeDir: string}): HubConfig {
    const f = this.flags as {root?: string; 'runtime-dir'?: string}
    return resolveConfig(process.env, {
      root: f.root,
      runtimeDir: f['runtime-dir'],
      ...this.configOverrides(),
      ...place,
    })
  }
}
