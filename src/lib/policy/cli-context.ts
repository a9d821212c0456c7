/**
 * The context `hub policy check|test` judge commands in: the same paths the daemon would use,
 * resolved from the one configuration (SPEC §2), with symbolic links resolved where they exist.
 */
import {realpathSync} from 'node:fs'
import path from 'node:path'

import type {HubConfig} from '../config.js'
import type {PolicyContext} from './types.js'

function real(p: string): string {
  try {
    return realpathSync(p)
  } catch {
    return p
  }
}

/** `cwd` is relative to the workspace, as a request's `cwd` is (`hub plan --cwd`). */
export function policyContextFor(config: HubConfig, cwd?: string): PolicyContext {
  const workspace = real(config.workspaceDir)
  return {
    cwd: cwd === undefined ? workspace : real(path.resolve(workspace, cwd)),
    workspace,
    runtimeDir: real(config.runtimeDir),
    policyFile: config.policyFile === undefined ? undefined : real(config.policyFile),
  }
}
