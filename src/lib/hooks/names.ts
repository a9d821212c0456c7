/** The agents `hub hook` speaks for (no imports: commands load this on start-up). */
export const HOOK_AGENTS = ['claude-code', 'codex', 'cursor', 'gemini'] as const
export type HookAgent = (typeof HOOK_AGENTS)[number]
