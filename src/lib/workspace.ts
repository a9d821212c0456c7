/**
 * The workspace (SPEC §6.3): the only tree commands may run in. A requested cwd is resolved to its real
 * path and must lie inside; containment (SPEC §6.5) then resolves it again inside the sandbox, so a
 * directory swapped for a symlink after this check can only lead to what the sandbox shows.
 */
import {realpath, stat} from 'node:fs/promises'
import {isAbsolute, relative, resolve, sep} from 'node:path'

import {HubError} from './errors.js'

export function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child)
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel))
}

/** A requested cwd (relative to the workspace, or absolute) as a real path inside it, or where it leads instead. */
export async function resolveCwd(
  workspace: string,
  requested: string | undefined,
): Promise<{cwd: string} | {outside: string}> {
  // The common case needs no file system call: the workspace's real path is known from start-up.
  if (requested === undefined || requested === '' || requested === '.') return {cwd: workspace}
  const target = resolve(workspace, requested)
  let real: string
  try {
    real = await realpath(target)
  } catch {
    // A path that does not exist can still be judged by where it points lexically.
    if (!isInside(workspace, target)) return {outside: target}
    throw new HubError('validation_failed', `cwd ${JSON.stringify(requested)} does not exist in the workspace.`, {
      details: {field: 'cwd'},
    })
  }

  if (!isInside(workspace, real)) return {outside: real}
  const st = await stat(real)
  if (!st.isDirectory()) {
    throw new HubError('validation_failed', `cwd ${JSON.stringify(requested)} is not a directory.`, {
      details: {field: 'cwd'},
    })
  }

  return {cwd: real}
}
