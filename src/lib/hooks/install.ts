/**
 * `hub hook install|uninstall|doctor` (issue 14), the pure part: an agent's settings file as text in,
 * the same file with hub's hook entries merged in (or taken out) as text out, plus a unified diff.
 * Nothing here touches the disk, so every rule — keep the user's other hooks and keys in their order,
 * keep the indentation, change nothing on a second run, refuse a file that is not JSON — is tested on
 * strings.
 *
 * Which entries are hub's is read from the command itself (`… hub hook <agent>` or
 * `… bin/run.js hook <agent>`): the agents validate their settings, so no marker key is added.
 */
import {basename, isAbsolute, join} from 'node:path'

import {HubError} from '../errors.js'
import {unifiedDiff} from './diff.js'
import {rewriteJson} from './json-edit.js'
import {HOOK_AGENTS, type HookAgent} from './names.js'

export type InstallScope = 'project' | 'user'

/** Where each agent reads its hooks, relative to the project root or the home directory. */
const SETTINGS: Record<HookAgent, string> = {
  'claude-code': join('.claude', 'settings.json'),
  codex: join('.codex', 'hooks.json'),
  cursor: join('.cursor', 'hooks.json'),
  gemini: join('.gemini', 'settings.json'),
}

/**
 * The events hub hooks, per agent. Claude-like agents group hooks under a matcher; Cursor lists them
 * flat. Codex's PreToolUse cannot ask, so its human step is PermissionRequest.
 */
const EVENTS: Record<HookAgent, {events: string[]; matcher?: string}> = {
  'claude-code': {events: ['PreToolUse', 'PostToolUse', 'PostToolUseFailure'], matcher: 'Bash'},
  codex: {events: ['PreToolUse', 'PermissionRequest', 'PostToolUse'], matcher: 'Bash'},
  cursor: {events: ['beforeShellExecution', 'afterShellExecution']},
  gemini: {events: ['BeforeTool', 'AfterTool'], matcher: 'run_shell_command'},
}

export function settingsFile(agent: HookAgent, scope: InstallScope, dirs: {cwd: string; home: string}): string {
  return join(scope === 'user' ? dirs.home : dirs.cwd, SETTINGS[agent])
}

/** The agent's hook timeout as written in its settings: Gemini counts milliseconds, the others seconds. */
export function timeoutValue(agent: HookAgent, seconds: number): number {
  return agent === 'gemini' ? seconds * 1000 : seconds
}

function secondsOf(agent: HookAgent, value: unknown): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined
  return agent === 'gemini' ? value / 1000 : value
}

const SAFE_WORD = /^[\w%+,./:=@-]+$/

/** Quotes one word for the POSIX shell the agents run hook commands with. */
export function shellQuote(word: string): string {
  return SAFE_WORD.test(word) ? word : `'${word.replaceAll("'", String.raw`'\''`)}'`
}

/** Splits a command line written by {@link hookCommandLine} (or by hand) into words: quotes, no expansion. */
export function shellWords(line: string): string[] {
  const words: string[] = []
  let word: string | undefined
  let quote: "'" | '"' | undefined
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!
    if (quote) {
      if (ch === quote) quote = undefined
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) word = (word ?? '') + line[++i]
      else word = (word ?? '') + ch
    } else if (ch === "'" || ch === '"') {
      quote = ch
      word ??= ''
    } else if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word)
      word = undefined
    } else if (ch === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i]
    } else {
      word = (word ?? '') + ch
    }
  }

  if (word !== undefined) words.push(word)
  return words
}

export interface HookCommandParts {
  agent: HookAgent
  bin: string
  deadlineS: number
  node: string
  runtimeDir: string
}

/**
 * The command line the agent runs: absolute paths to node and to this hub's bin/run.js, so that it works
 * from any cwd and without hub on the agent's PATH; the runtime directory, so that the hook finds this
 * daemon and its agent token wherever the agent runs; and a deadline below the agent's timeout.
 */
export function hookCommandLine(p: HookCommandParts): string {
  return [p.node, p.bin, 'hook', p.agent, '--deadline', String(p.deadlineS), '--runtime-dir', p.runtimeDir]
    .map((w) => shellQuote(w))
    .join(' ')
}

/** What an installed command line says, when it is one of hub's. */
export interface InstalledCommand {
  agent: HookAgent
  /** The program and script it starts: `[node, run.js]`, or `[hub]` when hub is found on PATH. */
  argv0: string[]
  deadlineS: number | undefined
  runtimeDir: string | undefined
}

export function parseHookCommand(command: unknown): InstalledCommand | undefined {
  if (typeof command !== 'string') return undefined
  const words = shellWords(command)
  const at = words.findIndex(
    (w, i) => w === 'hook' && i > 0 && (HOOK_AGENTS as readonly string[]).includes(words[i + 1] ?? ''),
  )
  if (at < 1) return undefined
  const program = words.slice(0, at)
  // Only hub started directly (`hub`, `npx hub`, `node …/run.js`): a user's own script or pipeline that
  // calls hub somewhere is theirs, never rewritten or removed.
  const launcher = program.length === 2 ? basename(program[0]!) : 'hub'
  if (program.length > 2 || !/^(?:node\d*|nodejs|npx|bunx?|hub)(?:\.exe)?$/.test(launcher)) return undefined
  if (!/(?:^|\/)(?:hub|run\.js)$/.test(program.at(-1)!)) return undefined
  const flag = (name: string): string | undefined => {
    const i = words.indexOf(name, at + 2)
    if (i > 0) return words[i + 1]
    return words.find((w) => w.startsWith(name + '='))?.slice(name.length + 1)
  }

  const deadline = Number(flag('--deadline'))
  return {
    agent: words[at + 1] as HookAgent,
    argv0: program,
    deadlineS: Number.isInteger(deadline) && deadline > 0 ? deadline : undefined,
    runtimeDir: flag('--runtime-dir'),
  }
}

function isHubCommand(command: unknown): boolean {
  return parseHookCommand(command) !== undefined
}

// The JSON document ---------------------------------------------------------------------------------

type Json = Record<string, unknown>

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Reads the settings text; absent or blank is an empty document, anything not a JSON object is refused. */
function parseSettings(file: string, text: string | undefined): Json {
  if (text === undefined || text.trim() === '') return {}
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (error) {
    throw new HubError(
      'config_invalid',
      `${file} is not valid JSON (${(error as Error).message}); nothing was changed.`,
      {
        hint: 'Fix the file (comments and trailing commas are not JSON), or move it away and run the command again.',
      },
    )
  }

  if (!isObject(doc)) throw new HubError('config_invalid', `${file} holds JSON but not an object; nothing was changed.`)
  if (doc.hooks !== undefined && !isObject(doc.hooks)) {
    throw new HubError('config_invalid', `${file}: "hooks" is not an object; nothing was changed.`, {
      hint: 'Fix the "hooks" key by hand, then run the command again.',
    })
  }

  return doc
}

/** The file's own indentation: tabs or n spaces (2 for a new file). */
function indentOf(text: string | undefined): string {
  const m = text ? /\n([\t ]+)\S/.exec(text) : null
  if (!m) return '  '
  return m[1]!.includes('\t') ? '\t' : m[1]!
}

/** The new text: the old one with only what changed laid out again, or a fresh file. */
function serialize(before: string | undefined, doc: Json): string {
  const indent = indentOf(before)
  if (before === undefined || before.trim() === '') return JSON.stringify(doc, null, indent) + '\n'
  return rewriteJson(before, doc, indent)
}

function eventList(file: string, hooks: Json, event: string): unknown[] {
  const list = hooks[event]
  if (list === undefined) return []
  if (!Array.isArray(list)) {
    throw new HubError('config_invalid', `${file}: hooks.${event} is not a list; nothing was changed.`, {
      hint: `Fix hooks.${event} by hand, then run the command again.`,
    })
  }

  return list
}

/**
 * Takes hub's hooks out of one event's list. A Claude-like group that held only hub's hooks goes; one
 * that also holds the user's keeps them. `at` is where hub's entry stood, so a re-install puts it back
 * in the same place.
 */
function strip(list: unknown[], grouped: boolean): {at: number | undefined; kept: unknown[]} {
  const kept: unknown[] = []
  let at: number | undefined
  for (const item of list) {
    if (!isObject(item)) {
      kept.push(item)
      continue
    }

    if (!grouped) {
      if (isHubCommand(item.command)) at ??= kept.length
      else kept.push(item)
      continue
    }

    const inner = Array.isArray(item.hooks) ? item.hooks : undefined
    const others = inner?.filter((h) => !(isObject(h) && isHubCommand(h.command)))
    if (!inner || !others || others.length === inner.length) {
      kept.push(item)
    } else if (others.length === 0) {
      at ??= kept.length
    } else {
      kept.push({...item, hooks: others})
      at ??= kept.length
    }
  }

  return {at, kept}
}

export interface Plan {
  /** The file's new text (the old text, byte for byte, when nothing changes). */
  after: string
  changed: boolean
  diff: string
}

function finish(file: string, before: string | undefined, doc: Json, original: Json): Plan {
  if (JSON.stringify(doc) === JSON.stringify(original)) return {after: before ?? '', changed: false, diff: ''}
  const after = serialize(before, doc)
  return {after, changed: true, diff: unifiedDiff(before ?? '', after, {from: file, to: file})}
}

/** The entry hub adds to one event, in the agent's shape. */
function entryFor(agent: HookAgent, command: string, timeoutS: number, event: string): Json {
  const timeout = timeoutValue(agent, timeoutS)
  if (agent === 'cursor') {
    // failClosed: Cursor otherwise runs the command when the hook crashes or times out.
    return event === 'beforeShellExecution' ? {command, timeout, failClosed: true} : {command, timeout}
  }

  return {matcher: EVENTS[agent].matcher, hooks: [{type: 'command', command, timeout}]}
}

/** Merges hub's hooks for `agent` into the settings text. Idempotent: a second run reports no change. */
export function planInstall(
  agent: HookAgent,
  o: {before: string | undefined; command: string; file: string; timeoutS: number},
): Plan {
  const original = parseSettings(o.file, o.before)
  const doc: Json = structuredClone(original)
  // Cursor's file must say its version; put it first as Cursor's own examples do.
  const base: Json = agent === 'cursor' && doc.version === undefined ? {version: 1, ...doc} : doc
  const hooks: Json = isObject(base.hooks) ? base.hooks : {}
  for (const event of EVENTS[agent].events) {
    const {at, kept} = strip(eventList(o.file, hooks, event), agent !== 'cursor')
    kept.splice(at ?? kept.length, 0, entryFor(agent, o.command, o.timeoutS, event))
    hooks[event] = kept
  }

  base.hooks = hooks
  return finish(o.file, o.before, base, original)
}

/** Takes hub's hooks out of every event; events and `hooks` that only hub used go too. */
export function planUninstall(agent: HookAgent, o: {before: string | undefined; file: string}): Plan {
  const original = parseSettings(o.file, o.before)
  if (!isObject(original.hooks)) return {after: o.before ?? '', changed: false, diff: ''}
  const doc: Json = structuredClone(original)
  const hooks = doc.hooks as Json
  for (const [event, list] of Object.entries(hooks)) {
    if (!Array.isArray(list)) continue
    const {at, kept} = strip(list, agent !== 'cursor')
    if (at === undefined) continue
    if (kept.length === 0) delete hooks[event]
    else hooks[event] = kept
  }

  if (Object.keys(hooks).length === 0 && JSON.stringify(doc) !== JSON.stringify(original)) delete doc.hooks
  return finish(o.file, o.before, doc, original)
}

/** One of hub's hooks found in a settings file, for `hub hook doctor`. */
export interface FoundHook {
  command: string
  event: string
  parsed: InstalledCommand
  /** The agent's timeout for it, in seconds (undefined: the agent's default). */
  timeoutS: number | undefined
}

export function findInstalled(agent: HookAgent, o: {file: string; text: string | undefined}): FoundHook[] {
  const doc = parseSettings(o.file, o.text)
  const found: FoundHook[] = []
  if (!isObject(doc.hooks)) return found
  for (const [event, list] of Object.entries(doc.hooks)) {
    if (!Array.isArray(list)) continue
    const hooks =
      agent === 'cursor' ? list : list.flatMap((g) => (isObject(g) && Array.isArray(g.hooks) ? g.hooks : []))
    for (const h of hooks) {
      if (!isObject(h)) continue
      const parsed = parseHookCommand(h.command)
      if (parsed) found.push({event, command: h.command as string, parsed, timeoutS: secondsOf(agent, h.timeout)})
    }
  }

  return found
}

/** The events hub installs for the agent (what doctor expects to find). */
export function expectedEvents(agent: HookAgent): readonly string[] {
  return EVENTS[agent].events
}

/** Whether a program path in an installed command can be checked on disk (a bare `hub` is found on PATH). */
export function checkablePath(p: string): boolean {
  return isAbsolute(p)
}
