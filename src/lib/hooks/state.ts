/**
 * Ties the hooks of one tool call together: the pre-tool hook notes which hub request it decided,
 * and the approval hook (Codex's PermissionRequest) and the post-tool hook find it again. One small
 * file per key in a private directory of the agent's user; nothing here is trusted for a decision:
 * the daemon is asked again, and a request the agent's token cannot see stays invisible.
 */
import {createHash} from 'node:crypto'
import {mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {join} from 'node:path'

export interface HookStateEntry {
  command: string
  pending_id: string
  saved_at: string
}

/** `AGENT_HUB_HOOK_STATE_DIR`, else `$XDG_STATE_HOME/hub/hooks`, else `~/.local/state/hub/hooks`. */
export function hookStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AGENT_HUB_HOOK_STATE_DIR) return env.AGENT_HUB_HOOK_STATE_DIR
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state')
  return join(base, 'hub', 'hooks')
}

const PENDING_ID = /^[\w-]{1,64}$/

export class HookState {
  constructor(private readonly dir: string) {}

  async forget(keys: string[]): Promise<void> {
    await Promise.all(keys.map((k) => rm(this.path(k), {force: true}).catch(() => {})))
  }

  /** The first key that names a request (the approval hook asks again for the same request). */
  async lookup(keys: string[]): Promise<HookStateEntry | undefined> {
    return this.first(keys, false)
  }

  async save(keys: string[], entry: Omit<HookStateEntry, 'saved_at'>): Promise<void> {
    await mkdir(this.dir, {recursive: true, mode: 0o700})
    const text = JSON.stringify({...entry, saved_at: new Date().toISOString()})
    await Promise.all(keys.map((k) => writeFile(this.path(k), text, {mode: 0o600})))
  }

  /** Like `lookup`, and forgets the keys: the post-tool hook reports a request once. */
  async take(keys: string[]): Promise<HookStateEntry | undefined> {
    return this.first(keys, true)
  }

  private async first(keys: string[], take: boolean): Promise<HookStateEntry | undefined> {
    for (const key of keys) {
      const path = this.path(key)
      const text = await readFile(path, 'utf8').catch(() => undefined)
      if (text === undefined) continue
      let entry: HookStateEntry | undefined
      try {
        const v = JSON.parse(text) as Partial<HookStateEntry>
        if (typeof v.pending_id === 'string' && PENDING_ID.test(v.pending_id) && typeof v.command === 'string')
          entry = {pending_id: v.pending_id, command: v.command, saved_at: String(v.saved_at ?? '')}
      } catch {
        entry = undefined
      }

      if (take) await this.forget(keys)
      if (entry) return entry
    }

    return undefined
  }

  private path(key: string): string {
    // Keys hold what the agent sent (session ids): hashed, they can never name another path.
    return join(this.dir, createHash('sha256').update(key).digest('hex').slice(0, 40) + '.json')
  }
}
