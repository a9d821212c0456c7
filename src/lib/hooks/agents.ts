/**
 * What each agent sends a hook on stdin and what it reads back (issue 14). One adapter per agent:
 * `parse` turns the agent's JSON into a {@link HookCall}, and the answer builders write that agent's
 * exact format. Every builder is pure and synchronous, so a deadline or a crash can still answer.
 *
 * Sources (also named beside the fixtures in test/fixtures/hooks/SOURCES.md): Claude Code's hooks
 * reference (code.claude.com/docs/en/hooks), Codex's generated hook schemas
 * (openai/codex codex-rs/hooks/schema/generated/*.json) and developers.openai.com/codex/hooks,
 * Cursor's cursor.com/docs/agent/hooks, Gemini CLI's docs/hooks/reference.md and docs/tools/shell.md.
 */
import {createHash} from 'node:crypto'
import {isAbsolute, resolve} from 'node:path'
import {z} from 'zod'

import type {HookAgent} from './names.js'

export {HOOK_AGENTS, type HookAgent} from './names.js'

/** Where in the tool call the hook runs: before it, at the agent's own approval step, after it. */
export type HookPhase = 'other' | 'permission' | 'post' | 'pre'

export interface ToolOutcome {
  duration_ms?: number
  excerpt?: string
  exit_code: null | number
  interrupted?: boolean
  stderr_bytes?: number
  stdout_bytes?: number
}

export interface HookCall {
  agent: HookAgent
  command: string
  cwd: string | undefined
  /** The event name as the agent sent it: the answer names it back. */
  event: string
  /** Keys that tie this call's hooks together (pre → permission → post), most specific first. */
  keys: string[]
  note: string | undefined
  outcome?: ToolOutcome
  phase: HookPhase
  sessionId: string | undefined
  toolUseId: string | undefined
}

export interface HookAnswer {
  exitCode: number
  stderr?: string
  stdout: string
}

/** Only the start of an agent's output reaches the daemon (it keeps at most this much). */
const EXCERPT_CHARS = 2000
const NOTE_CHARS = 1000

const str = z.string().optional()
const ShellInput = z.looseObject({command: z.string(), description: str, dir_path: str, directory: str})

/** The fields every tool-call hook shares: Claude Code's format, which Codex and Gemini CLI follow. */
const TOOL_CALL = {
  hook_event_name: z.string(),
  session_id: str,
  cwd: str,
  tool_name: z.string(),
  tool_input: z.unknown(),
  tool_response: z.unknown().optional(),
}

/** Claude Code and Codex share one wire format (Codex documents that it follows Claude's). */
const ClaudeLike = z.looseObject({
  ...TOOL_CALL,
  tool_use_id: str,
  error: z.unknown().optional(),
  is_interrupt: z.boolean().optional(),
})

const Cursor = z.looseObject({
  hook_event_name: z.string(),
  conversation_id: str,
  generation_id: str,
  command: z.string(),
  cwd: str,
  workspace_roots: z.array(z.string()).optional(),
  output: str,
  duration: z.number().optional(),
})

const Gemini = z.looseObject(TOOL_CALL)

export class MalformedInput extends Error {}

function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 32)
}

function cut(s: string | undefined, n: number): string | undefined {
  if (s === undefined || s === '') return undefined
  // NUL has no honest use in text the daemon keeps (it refuses it).
  const clean = s.replaceAll('\u0000', '')
  return clean.length > n ? clean.slice(0, n - 1) + '…' : clean
}

function bytes(s: unknown): number {
  return typeof s === 'string' ? Buffer.byteLength(s) : 0
}

function parseWith<T>(schema: z.ZodType<T>, raw: unknown, agent: HookAgent): T {
  const r = schema.safeParse(raw)
  if (!r.success) {
    const issue = r.error.issues[0]
    const where = issue?.path.length ? issue.path.join('.') : 'input'
    throw new MalformedInput(`${agent} hook input is not what ${agent} sends: ${where}: ${issue?.message ?? '?'}`)
  }

  return r.data
}

function shellInput(raw: unknown, agent: HookAgent): z.infer<typeof ShellInput> {
  return parseWith(ShellInput, raw, agent)
}

function commandKey(agent: HookAgent, session: string | undefined, command: string): string {
  return `${agent}|${session ?? '-'}|cmd:${sha(command)}`
}

// Claude Code and Codex ------------------------------------------------------------------------------

const CLAUDE_PHASES: Record<string, HookPhase> = {
  PreToolUse: 'pre',
  PermissionRequest: 'permission',
  PostToolUse: 'post',
  PostToolUseFailure: 'post',
}

/** An exit code a shell tool's failure text names ("Exit code 3", "exit_code: 3"). */
function exitCodeIn(text: unknown): null | number {
  if (typeof text !== 'string') return null
  const m = /exit[ _]code[:=\s]+(-?\d+)/i.exec(text)
  return m ? Number(m[1]) : null
}

function claudeOutcome(p: z.infer<typeof ClaudeLike>): ToolOutcome {
  if (p.hook_event_name === 'PostToolUseFailure') {
    const error = typeof p.error === 'string' ? p.error : JSON.stringify(p.error ?? '')
    const code = exitCodeIn(error)
    return {
      exit_code: code,
      interrupted: p.is_interrupt === true,
      stderr_bytes: bytes(error),
      ...(error ? {excerpt: cut(error, EXCERPT_CHARS)} : {}),
    }
  }

  const r = p.tool_response
  if (typeof r === 'string')
    return {exit_code: exitCodeIn(r) ?? 0, stdout_bytes: bytes(r), excerpt: cut(r, EXCERPT_CHARS)}
  const o = (r && typeof r === 'object' ? r : {}) as Record<string, unknown>
  const stdout = typeof o.stdout === 'string' ? o.stdout : typeof o.output === 'string' ? o.output : ''
  const explicit = [o.exit_code, o.exitCode, o.returnCode].find((v) => typeof v === 'number') as number | undefined
  // Claude Code's Bash reports a non-zero exit as PostToolUseFailure: a PostToolUse means it succeeded.
  return {
    exit_code: explicit ?? 0,
    interrupted: o.interrupted === true,
    stdout_bytes: bytes(stdout),
    stderr_bytes: bytes(o.stderr),
    ...(stdout ? {excerpt: cut(stdout, EXCERPT_CHARS)} : {}),
  }
}

function parseClaudeLike(raw: unknown, agent: 'claude-code' | 'codex'): HookCall | undefined {
  const p = parseWith(ClaudeLike, raw, agent)
  const phase = CLAUDE_PHASES[p.hook_event_name] ?? 'other'
  if (p.tool_name !== 'Bash') return undefined
  const input = shellInput(p.tool_input, agent)
  const keys = [
    ...(p.tool_use_id ? [`${agent}|${p.session_id ?? '-'}|tool:${p.tool_use_id}`] : []),
    commandKey(agent, p.session_id, input.command),
  ]
  return {
    agent,
    phase,
    event: p.hook_event_name,
    command: input.command,
    cwd: p.cwd,
    note: cut(input.description, NOTE_CHARS),
    sessionId: p.session_id,
    toolUseId: p.tool_use_id,
    keys,
    ...(phase === 'post' ? {outcome: claudeOutcome(p)} : {}),
  }
}

function claudeLikeAnswer(call: HookCall | undefined, decision: 'allow' | 'deny', reason: string): HookAnswer {
  if (!call) return {exitCode: 2, stdout: '', stderr: reason + '\n'}
  if (call.phase === 'permission') {
    const d = decision === 'allow' ? {behavior: 'allow'} : {behavior: 'deny', message: reason}
    return json({hookSpecificOutput: {hookEventName: call.event, decision: d}})
  }

  if (call.phase !== 'pre') return {exitCode: 0, stdout: ''}
  // Codex's PreToolUse honours only deny: an allow there would be read as "no opinion" anyway, so an
  // approved command gets no output and Codex goes on to its own approval step (PermissionRequest).
  if (call.agent === 'codex' && decision === 'allow') return {exitCode: 0, stdout: ''}
  return json({
    hookSpecificOutput: {hookEventName: 'PreToolUse', permissionDecision: decision, permissionDecisionReason: reason},
  })
}

// Cursor -------------------------------------------------------------------------------------------

const CURSOR_PHASES: Record<string, HookPhase> = {beforeShellExecution: 'pre', afterShellExecution: 'post'}

function parseCursor(raw: unknown): HookCall | undefined {
  const p = parseWith(Cursor, raw, 'cursor')
  const phase = CURSOR_PHASES[p.hook_event_name] ?? 'other'
  if (phase === 'other') return undefined
  const session = p.conversation_id ? `${p.conversation_id}/${p.generation_id ?? '-'}` : undefined
  const output = p.output ?? ''
  return {
    agent: 'cursor',
    phase,
    event: p.hook_event_name,
    command: p.command,
    cwd: p.cwd || p.workspace_roots?.[0],
    note: undefined,
    sessionId: p.conversation_id,
    toolUseId: p.generation_id,
    keys: [commandKey('cursor', session, p.command)],
    // Cursor reports the output and the time but not the exit code: the record says it is unknown.
    ...(phase === 'post'
      ? {
          outcome: {
            exit_code: null,
            stdout_bytes: bytes(output),
            ...(output ? {excerpt: cut(output, EXCERPT_CHARS)} : {}),
            ...(p.duration === undefined ? {} : {duration_ms: p.duration}),
          },
        }
      : {}),
  }
}

function cursorAnswer(call: HookCall | undefined, decision: 'allow' | 'deny', reason: string): HookAnswer {
  if (call && call.phase !== 'pre') return json({})
  return json({permission: decision, user_message: `hub: ${reason}`, agent_message: reason})
}

// Gemini CLI ---------------------------------------------------------------------------------------

const GEMINI_PHASES: Record<string, HookPhase> = {BeforeTool: 'pre', AfterTool: 'post'}

function geminiOutcome(response: unknown): ToolOutcome {
  const o = (response && typeof response === 'object' ? response : {}) as Record<string, unknown>
  const text = typeof o.llmContent === 'string' ? o.llmContent : JSON.stringify(o.llmContent ?? '')
  const {error} = o
  const named = exitCodeIn(text)
  return {
    // The shell tool writes "Exit Code: N" into its result; without it, no error means it succeeded.
    exit_code: named ?? (error ? null : 0),
    stdout_bytes: bytes(text),
    ...(text ? {excerpt: cut(text, EXCERPT_CHARS)} : {}),
  }
}

function parseGemini(raw: unknown): HookCall | undefined {
  const p = parseWith(Gemini, raw, 'gemini')
  const phase = GEMINI_PHASES[p.hook_event_name] ?? 'other'
  if (p.tool_name !== 'run_shell_command' || phase === 'other') return undefined
  const input = shellInput(p.tool_input, 'gemini')
  const dir = input.dir_path ?? input.directory
  const cwd = dir && p.cwd && !isAbsolute(dir) ? resolve(p.cwd, dir) : (dir ?? p.cwd)
  return {
    agent: 'gemini',
    phase,
    event: p.hook_event_name,
    command: input.command,
    cwd,
    note: cut(input.description, NOTE_CHARS),
    sessionId: p.session_id,
    toolUseId: undefined,
    keys: [commandKey('gemini', p.session_id, input.command)],
    ...(phase === 'post' ? {outcome: geminiOutcome(p.tool_response)} : {}),
  }
}

function geminiAnswer(call: HookCall | undefined, decision: 'allow' | 'deny', reason: string): HookAnswer {
  if (!call) return {exitCode: 2, stdout: '', stderr: reason + '\n'}
  if (call.phase !== 'pre') return json({})
  return json({decision, reason})
}

// --------------------------------------------------------------------------------------------------

function json(value: unknown): HookAnswer {
  return {exitCode: 0, stdout: JSON.stringify(value) + '\n'}
}

export interface AgentAdapter {
  /** The answer: allow or deny in the agent's format; `call` undefined when the input could not be read. */
  answer(call: HookCall | undefined, decision: 'allow' | 'deny', reason: string): HookAnswer
  /** What the agent's hook timeout is when the settings do not say (seconds), and what install writes. */
  defaultTimeoutS: number
  installTimeoutS: number
  /** Undefined: not a shell command (the hook has no opinion). Throws MalformedInput. */
  parse(raw: unknown): HookCall | undefined
  /** No opinion: the output that lets the agent go on as it would without hub. */
  pass(): HookAnswer
}

export const ADAPTERS: Record<HookAgent, AgentAdapter> = {
  'claude-code': {
    defaultTimeoutS: 600,
    installTimeoutS: 600,
    parse: (raw) => parseClaudeLike(raw, 'claude-code'),
    answer: claudeLikeAnswer,
    pass: () => ({exitCode: 0, stdout: ''}),
  },
  codex: {
    defaultTimeoutS: 600,
    installTimeoutS: 600,
    parse: (raw) => parseClaudeLike(raw, 'codex'),
    answer: claudeLikeAnswer,
    pass: () => ({exitCode: 0, stdout: ''}),
  },
  cursor: {defaultTimeoutS: 60, installTimeoutS: 600, parse: parseCursor, answer: cursorAnswer, pass: () => json({})},
  gemini: {defaultTimeoutS: 60, installTimeoutS: 600, parse: parseGemini, answer: geminiAnswer, pass: () => json({})},
}

/** The hook's own deadline: below the agent's timeout, with room to start and to answer. */
export function deadlineFor(agent: HookAgent, timeoutS?: number): number {
  const t = timeoutS ?? ADAPTERS[agent].defaultTimeoutS
  return Math.max(2, t - Math.min(15, Math.ceil(t / 10)))
}
