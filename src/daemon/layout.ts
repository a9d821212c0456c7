/**
 * The daemon's first start-up step: the workspace and the runtime directory exist (created with a
 * sentence naming the path when they cannot be), and neither they, the policy file nor the sandbox's
 * extra paths let a command reach hub's own files.
 */
import {mkdir, realpath, stat} from 'node:fs/promises'
import {dirname} from 'node:path'

import type {HubConfig} from '../lib/config.js'

import {HubError} from '../lib/errors.js'
import {sandboxLayoutProblem} from '../lib/sandbox/index.js'
import {isInside} from '../lib/workspace.js'

/**
 * Creates a directory and its missing parents one at a time, so that an unusable path fails with a
 * sentence naming it (issue 13: `--runtime-dir /etc/hostname/rt` printed a raw ENOTDIR, and a
 * recursive mkdir under /proc never returned).
 */
async function ensureDir(path: string, mode: number, what: string, flag: string): Promise<void> {
  const missing: string[] = []
  let at = path
  for (;;) {
    const s = await stat(at).catch((error: NodeJS.ErrnoException) => error)
    if (!(s instanceof Error)) {
      if (s.isDirectory()) break
      throw unusable(what, path, `${at} is a file, not a directory`, flag)
    }

    if (s.code === 'ENOTDIR') {
      missing.unshift(at)
      at = dirname(at)
      continue
    }

    if (s.code !== 'ENOENT') throw unusable(what, path, `${at} cannot be read (${s.code ?? s.message})`, flag)
    missing.unshift(at)
    const up = dirname(at)
    if (up === at) break
    at = up
  }

  for (const dir of missing) {
    try {
      await mkdir(dir, {mode})
    } catch (error) {
      const {code} = error as NodeJS.ErrnoException
      if (code === 'EEXIST') continue
      throw unusable(what, path, `${dir} cannot be created (${code ?? (error as Error).message})`, flag)
    }
  }
}

function unusable(what: string, path: string, why: string, flag: string): HubError {
  return new HubError('config_invalid', `Cannot use ${path} as the ${what}: ${why}.`, {
    hint: `Give ${flag} a directory this user may create or write.`,
  })
}

/** Start-up refuses a layout where commands could reach hub's own files (SPEC §6.3). */
export async function checkLayout(config: HubConfig): Promise<{runtimeDir: string; workspace: string}> {
  await ensureDir(config.workspaceDir, 0o777, 'workspace', '--workspace-dir (or AGENT_HUB_WORKSPACE_DIR)')
  await ensureDir(config.runtimeDir, 0o700, 'runtime directory', '--runtime-dir (or AGENT_HUB_RUNTIME_DIR, --root)')
  const workspace = await realpath(config.workspaceDir)
  const runtimeDir = await realpath(config.runtimeDir)
  if (isInside(workspace, runtimeDir)) {
    throw new HubError(
      'config_invalid',
      `The runtime directory ${runtimeDir} lies inside the workspace ${workspace}; commands could read the tokens.`,
      {
        hint: 'Set AGENT_HUB_RUNTIME_DIR or AGENT_HUB_WORKSPACE_DIR so that they do not nest.',
      },
    )
  }

  if (isInside(runtimeDir, workspace)) {
    throw new HubError(
      'config_invalid',
      `The workspace ${workspace} lies inside the runtime directory ${runtimeDir}.`,
      {hint: 'Choose separate directories.'},
    )
  }

  if (config.policyFile) {
    const policy = await realpath(config.policyFile)
    if (isInside(workspace, policy)) {
      throw new HubError(
        'config_invalid',
        `The policy file ${policy} lies inside the workspace ${workspace}; a command could rewrite its own rules.`,
        {
          hint: 'Move the policy file out of the workspace.',
        },
      )
    }
  }

  const problem = sandboxLayoutProblem({
    workspace,
    runtimeDir,
    policyFile: config.policyFile ? await realpath(config.policyFile) : undefined,
    rw: await Promise.all(config.sandboxRw.map((p) => realpath(p).catch(() => p))),
    hide: await Promise.all(config.sandboxHide.map((p) => realpath(p).catch(() => p))),
  })
  if (problem)
    throw new HubError('config_invalid', problem, {
      hint: "Narrow AGENT_HUB_SANDBOX_RW / AGENT_HUB_SANDBOX_HIDE so that runs cannot reach hub's own files.",
    })

  return {workspace, runtimeDir}
}
