/**
 * Containment of runs (SPEC §6.5). The daemon asks once at start what this machine can do
 * (`detectSandbox`), and the gateway hands the runner a `SandboxPlan` for each run.
 */
import type {HubConfig} from '../config.js'

export type SandboxKind = 'bwrap' | 'none'

/** What the daemon can contain runs with, and why not when it cannot. */
export interface SandboxStatus {
  kind: SandboxKind
  /** Why runs are not contained (missing bwrap, no user namespaces, AGENT_HUB_SANDBOX=none). */
  reason?: string | undefined
  version?: string | undefined
}

/** How one run is contained. */
export interface SandboxPlan {
  /** Paths that must be invisible to the run (the runtime directory, the policy file, keys). */
  hide: string[]
  kind: SandboxKind
  network: boolean
  /** Extra read-write paths beside the workspace. */
  rw: string[]
  /** The workspace's real path, bound read-write at the same path. */
  workspace: string
}

/** Finds out whether runs can be contained here. */
export async function detectSandbox(config: Pick<HubConfig, 'sandbox'>): Promise<SandboxStatus> {
  if (config.sandbox === 'none') return {kind: 'none', reason: 'AGENT_HUB_SANDBOX=none'}
  return {kind: 'none', reason: 'bubblewrap containment is not wired yet'}
}
