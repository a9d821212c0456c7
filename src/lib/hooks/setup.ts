/**
 * The disk and network side of `hub hook install|uninstall|doctor`: reads the agent's settings file,
 * applies {@link planInstall} / {@link planUninstall}, backs the file up and writes it atomically; and
 * checks, for `doctor`, what a hook would meet when the agent starts it.
 */
import {access, constants, copyFile, mkdir, readFile, realpath, stat} from 'node:fs/promises'
import {homedir} from 'node:os'
import {delimiter, dirname, join} from 'node:path'

import type {HubConfig} from '../config.js'

import {writeFileAtomic} from '../atomic-file.js'
import {HubError} from '../errors.js'
import {escapeControl} from '../terminal-escape.js'
import {ADAPTERS, deadlineFor} from './agents.js'
import {
  checkablePath,
  expectedEvents,
  findInstalled,
  type FoundHook,
  hookCommandLine,
  type InstallScope,
  planInstall,
  planUninstall,
  settingsFile,
} from './install.js'
import {HOOK_AGENTS, type HookAgent} from './names.js'

export interface InstallRequest {
  action: 'install' | 'uninstall'
  agent: HookAgent
  /** The hub package's root (oclif's config.root): bin/run.js is there. */
  binDir: string
  config: HubConfig
  cwd?: string
  dryRun: boolean
  home?: string
  scope: InstallScope
  timeoutS?: number | undefined
}

export interface InstallResult {
  backup?: string
  changed: boolean
  diff: string
  dry_run: boolean
  file: string
  /** What a person reads (the diff escaped for the terminal). */
  text: string
}

async function readIfThere(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new HubError('config_invalid', `Cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`)
  }
}

/** 20261202T031907.123Z: sorts by time, and two runs in one second do not collide. */
function stamp(now = new Date()): string {
  return now.toISOString().replaceAll(/[-:]/g, '')
}

export async function applyInstall(r: InstallRequest): Promise<InstallResult> {
  const file = settingsFile(r.agent, r.scope, {cwd: r.cwd ?? process.cwd(), home: r.home ?? homedir()})
  const before = await readIfThere(file)
  const timeoutS = r.timeoutS ?? ADAPTERS[r.agent].installTimeoutS
  const plan =
    r.action === 'install'
      ? planInstall(r.agent, {
          before,
          file,
          timeoutS,
          command: hookCommandLine({
            agent: r.agent,
            node: process.execPath,
            bin: join(r.binDir, 'bin', 'run.js'),
            runtimeDir: r.config.runtimeDir,
            deadlineS: deadlineFor(r.agent, timeoutS),
          }),
        })
      : planUninstall(r.agent, {before, file})
  const diff = escapeControl(plan.diff, {multiline: true})
  const base = {file, changed: plan.changed, diff: plan.diff, dry_run: r.dryRun}
  if (!plan.changed) {
    const what = r.action === 'install' ? "hub's hooks are already installed" : 'there are no hub hooks to remove'
    return {...base, text: `${escapeControl(file)}: ${what}; nothing changed.\n`}
  }

  if (r.dryRun) return {...base, text: `${diff}(dry run: ${escapeControl(file)} was not changed)\n`}
  let backup: string | undefined
  let mode = 0o644
  if (before === undefined) {
    await mkdir(dirname(file), {recursive: true})
  } else {
    backup = `${file}.hub-backup-${stamp()}`
    await copyFile(file, backup, constants.COPYFILE_EXCL).catch((error: NodeJS.ErrnoException) => {
      throw new HubError(
        'storage_unavailable',
        `Could not back up ${file} to ${backup} (${error.code ?? 'error'}); nothing was changed.`,
      )
    })
    mode = (await stat(file)).mode & 0o777
  }

  // A settings file kept as a symlink (dotfiles) stays one: the rename goes to the file it points to.
  const target = before === undefined ? file : await realpath(file).catch(() => file)
  await writeFileAtomic(target, plan.after, {mode})
  const done =
    r.action === 'install'
      ? `Installed hub's ${r.agent} hooks in ${escapeControl(file)}`
      : `Removed hub's ${r.agent} hooks from ${escapeControl(file)}`
  return {
    ...base,
    ...(backup ? {backup} : {}),
    text: `${diff}${done}${backup ? ` (backup: ${escapeControl(backup)})` : ''}.\n`,
  }
}

// Doctor ----------------------------------------------------------------------------------------------

export interface Check {
  detail: string
  /** What to do about it, when it failed. */
  fix?: string
  ok: boolean
}

export interface DoctorRequest {
  agent?: HookAgent | undefined
  config: HubConfig
  /** Resolves the configuration a hook gets from its --runtime-dir, as the hook itself would. */
  configFor: (runtimeDir: string | undefined) => HubConfig
  cwd?: string
  home?: string
}

async function onPath(name: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    const ok = await access(join(dir, name), constants.X_OK).then(
      () => true,
      () => false,
    )
    if (ok) return true
  }

  return false
}

async function programChecks(hook: FoundHook): Promise<Check> {
  for (const p of hook.parsed.argv0) {
    const exists = checkablePath(p)
      ? await access(p, constants.R_OK).then(
          () => true,
          () => false,
        )
      : await onPath(p)
    if (!exists) {
      return {
        ok: false,
        detail: `${hook.event} runs ${p}, which does not exist${checkablePath(p) ? '' : ' on PATH'}`,
        fix: `run \`hub hook install ${hook.parsed.agent}\` again from the hub you use now`,
      }
    }
  }

  return {ok: true, detail: `${hook.event} runs ${hook.parsed.argv0.join(' ')}`}
}

function timeoutCheck(agent: HookAgent, hook: FoundHook): Check {
  const timeout = hook.timeoutS ?? ADAPTERS[agent].defaultTimeoutS
  const deadline = hook.parsed.deadlineS ?? deadlineFor(agent)
  const unit = agent === 'gemini' ? ' (ms in the file)' : ''
  if (deadline < timeout) {
    return {
      ok: true,
      detail: `${hook.event}: the hook answers by ${deadline}s, before the agent's ${timeout}s timeout${unit}`,
    }
  }

  return {
    ok: false,
    detail:
      `${hook.event}: the hook may take ${deadline}s ` +
      `but the agent stops waiting at ${timeout}s${unit} and then runs the command`,
    fix:
      `run \`hub hook install ${agent}\` again (it writes a matching --deadline), ` +
      'or lower --deadline below the timeout',
  }
}

async function daemonChecks(config: HubConfig, cwd: string): Promise<Check[]> {
  const [{discoverEndpoint, discoverToken}, {HubClient}] = await Promise.all([
    import('../discovery.js'),
    import('../client.js'),
  ])
  const checks: Check[] = []
  let endpoint
  try {
    endpoint = await discoverEndpoint(config)
    await new HubClient({...endpoint, timeoutMs: 5000}).health()
    checks.push({ok: true, detail: `daemon reachable at ${endpoint.socketPath ?? endpoint.base} (from ${cwd})`})
  } catch (error) {
    checks.push({
      ok: false,
      detail: `daemon not reachable for ${config.runtimeDir} (from ${cwd}): ${(error as Error).message}`,
      fix: (error as HubError).hint ?? 'start it with `hub serve`',
    })
  }

  const token = await discoverToken(config, 'agent').catch(() => undefined)
  if (!token) {
    checks.push({
      ok: false,
      detail: `agent token not readable (AGENT_HUB_TOKEN unset, ${config.runtimeDir}/agent_hub_token.txt unreadable)`,
      fix: "let the agent's user read the token file, or set AGENT_HUB_TOKEN in the agent's environment",
    })
    return checks
  }

  if (!endpoint) {
    checks.push({ok: true, detail: 'agent token readable (not checked against the daemon: it is not reachable)'})
    return checks
  }

  try {
    const client = new HubClient({...endpoint, token, timeoutMs: 5000})
    await client.call('GET', '/runs?limit=1')
    checks.push({ok: true, detail: 'agent token readable and accepted by the daemon'})
  } catch (error) {
    checks.push({
      ok: false,
      detail: `the daemon refuses the agent token: ${(error as Error).message}`,
      fix: 'the token was rotated: give the agent the current one (runtime/agent_hub_token.txt)',
    })
  }

  return checks
}

export interface DoctorReport {
  checks: Check[]
  ok: boolean
}

export async function doctor(r: DoctorRequest): Promise<DoctorReport> {
  const cwd = r.cwd ?? process.cwd()
  const home = r.home ?? homedir()
  const agents = r.agent ? [r.agent] : [...HOOK_AGENTS]
  const checks: Check[] = []
  const runtimeDirs = new Set<string | undefined>()
  let any = false
  for (const agent of agents) {
    for (const scope of ['project', 'user'] as const) {
      const file = settingsFile(agent, scope, {cwd, home})
      const text = await readIfThere(file)
      if (text === undefined) continue
      let found: FoundHook[]
      try {
        found = findInstalled(agent, {file, text})
      } catch (error) {
        checks.push({ok: false, detail: (error as Error).message, fix: `fix ${file} by hand`})
        continue
      }

      if (found.length === 0) continue
      any = true
      const missing = expectedEvents(agent).filter((e) => !found.some((h) => h.event === e))
      checks.push(
        missing.length === 0
          ? {ok: true, detail: `${agent}: hub's hooks installed in ${file}`}
          : {
              ok: false,
              detail: `${agent}: ${file} lacks hub's ${missing.join(', ')} hook`,
              fix: `run \`hub hook install ${agent}${scope === 'user' ? ' --user' : ''}\``,
            },
      )
      for (const hook of found) {
        checks.push(await programChecks(hook), timeoutCheck(agent, hook))
        runtimeDirs.add(hook.parsed.runtimeDir)
      }
    }
  }

  if (!any) {
    checks.push({
      ok: false,
      detail: r.agent
        ? `${r.agent}: no hub hooks in ${settingsFile(r.agent, 'project', {cwd, home})} ` +
          `or ${settingsFile(r.agent, 'user', {cwd, home})}`
        : 'no hub hooks installed for any agent here or in your home directory',
      fix: `run \`hub hook install ${r.agent ?? '<agent>'}\``,
    })
    runtimeDirs.add(undefined)
  }

  for (const dir of runtimeDirs) checks.push(...(await daemonChecks(dir ? r.configFor(dir) : r.config, cwd)))
  return {ok: checks.every((c) => c.ok), checks}
}
