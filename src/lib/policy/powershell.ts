/**
 * PowerShell (and cmd.exe) commands as the shell reads them, so that rules judge commands and their
 * arguments, never text (SPEC §4.3): `Write-Output "Format-Volume is dangerous"` is one command,
 * Write-Output, with a string argument; `Get-Help Remove-Item` asks for help. A small tokeniser,
 * not a full parser: statements split at `;`, `|`, `&&`, `||` and new lines, with the insides of
 * `( )`, `{ }`, `$( )` and of `"…$(…)…"` strings read as statements of their own (they run too);
 * quotes removed; comments dropped; `cmd /c …` and `powershell -Command …` read again.
 */
import {canonicalName} from './powershell-names.js'
import {foldConcat, type KnownVars, psValue, rememberCmdSet, rereads} from './powershell-rereads.js'

export interface PsArg {
  /** A parameter (`-Recurse`), lower-cased without its dash; `value` holds `-Name:value`'s value. */
  readonly param?: string
  /** Written as a quoted string, or a number: data, never a parameter. */
  readonly quoted: boolean
  /** The argument's text after quote removal (variables kept as written: `$env:TEMP\x`). */
  readonly text: string
}

export interface PsCommand {
  readonly args: readonly PsArg[]
  /**
   * Inside a script block of a later pipeline stage (`gci .\ | ForEach-Object { Remove-Item $_ }`):
   * the stage before it, whose output `$_` stands for.
   */
  readonly items?: PsCommand | undefined
  /** Canonical lower-case name: cmdlet for an alias (`ri` → `remove-item`), program without `.exe`. */
  readonly name: string
  /** Index of the pipeline this command is in, and its stage (0 = first). */
  readonly pipe: number
  readonly stage: number
  /** `cmd` for commands read from `cmd /c …`, else `powershell`. */
  readonly syntax: 'cmd' | 'powershell'
  /** Source text of the statement. */
  readonly text: string
  /** The name as written. */
  readonly written: string
}

type Token =
  | {end: number; kind: 'close'; start: number}
  | {end: number; kind: 'open'; start: number; value: string}
  | {end: number; kind: 'sep'; start: number; value: string}
  | {end: number; kind: 'word'; quoted: boolean; start: number; value: string}

function tokenise(src: string, from: number, to: number): Token[] {
  const out: Token[] = []
  let i = from
  const push = (t: Token): void => {
    out.push(t)
  }

  while (i < to) {
    const ch = src[i] as string
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      i++
      continue
    }

    if (ch === '#') {
      while (i < to && src[i] !== '\n') i++
      continue
    }

    if (ch === '<' && src[i + 1] === '#') {
      const end = src.indexOf('#>', i + 2)
      i = end === -1 || end >= to ? to : end + 2
      continue
    }

    if (ch === '\n' || ch === ';') {
      push({kind: 'sep', value: ';', start: i, end: i + 1})
      i++
      continue
    }

    if ((ch === '&' && src[i + 1] === '&') || (ch === '|' && src[i + 1] === '|')) {
      push({kind: 'sep', value: ch === '&' ? '&&' : '||', start: i, end: i + 2})
      i += 2
      continue
    }

    if (ch === '|') {
      push({kind: 'sep', value: '|', start: i, end: i + 1})
      i++
      continue
    }

    if (ch === '(' || ch === '{' || ((ch === '$' || ch === '@') && (src[i + 1] === '(' || src[i + 1] === '{'))) {
      const len = ch === '(' || ch === '{' ? 1 : 2
      push({kind: 'open', value: src.slice(i, i + len), start: i, end: i + len})
      i += len
      continue
    }

    if (ch === ')' || ch === '}') {
      push({kind: 'close', start: i, end: i + 1})
      i++
      continue
    }

    const word = readWord(src, i, to)
    push(word)
    i = word.end
  }

  return out
}

/** One word: bare text with backtick escapes, or a quoted string (here-strings included). */
function readWord(src: string, start: number, to: number): Token & {kind: 'word'} {
  let i = start
  let value = ''
  let quoted = false
  while (i < to) {
    const ch = src[i] as string
    if (ch === '@' && (src[i + 1] === "'" || src[i + 1] === '"') && src[i + 2] === '\n') {
      const q = src[i + 1] as string
      const end = src.indexOf(`\n${q}@`, i + 3)
      const stop = end === -1 || end > to ? to : end
      value += src.slice(i + 3, stop)
      i = end === -1 || end > to ? to : end + 3
      quoted = true
      continue
    }

    if (ch === "'") {
      let j = i + 1
      while (j < to) {
        if (src[j] === "'" && src[j + 1] === "'") {
          value += "'"
          j += 2
          continue
        }

        if (src[j] === "'") break
        value += src[j]
        j++
      }

      i = j + 1
      quoted = true
      continue
    }

    if (ch === '"') {
      let j = i + 1
      while (j < to && src[j] !== '"') {
        if (src[j] === '`' && j + 1 < to) {
          value += src[j + 1]
          j += 2
          continue
        }

        value += src[j]
        j++
      }

      i = j + 1
      quoted = true
      continue
    }

    if (ch === '`' && i + 1 < to) {
      value += src[i + 1]
      i += 2
      continue
    }

    if (/[\s;|(){}]/.test(ch) || (ch === '&' && src[i + 1] === '&')) break
    // `$(…)` inside a bare word is its own group.
    if (ch === '$' && src[i + 1] === '(' && value !== '') break
    value += ch
    i++
  }

  if (i === start) i++
  return {kind: 'word', value, quoted, start, end: i}
}

export interface PsParseResult {
  readonly commands: PsCommand[]
  /** Code handed on (`powershell -Command …`, `cmd /c …`) that was cut short at the depth limit. */
  readonly truncated: boolean
}

interface Ctx {
  commands: PsCommand[]
  depth: number
  /** The stage feeding the script block being read (see PsCommand.items). */
  items?: PsCommand | undefined
  nextPipe: number
  truncated: boolean
  /** Variables set to text the request spells out (see powershell-rereads.ts). */
  vars: KnownVars
}

const MAX_DEPTH = 4
const CMD_TEXT = /[^&]&[^&]|%\w+%|![a-z_]\w*!|^\s*(?:for|set|call|if|doskey)\s/i
const MAX_COMMANDS = 400

/** Reads PowerShell text into commands; strings inside `"…$(…)…"` and nested code are read too. */
export function parsePowerShell(src: string): PsParseResult {
  const ctx: Ctx = {commands: [], depth: 0, nextPipe: 0, truncated: false, vars: new Map()}
  statements(src, 0, src.length, ctx, 'powershell')
  // cmd.exe text (`set a=de& call %a%l …`, `echo … > x.bat & x.bat`) separates commands at a lone `&`,
  // which PowerShell reads as a call: such text is read the cmd way too.
  if (CMD_TEXT.test(src) && !/\$[\w{(]/.test(src)) statements(src, 0, src.length, ctx, 'cmd')
  return {commands: ctx.commands, truncated: ctx.truncated}
}

function statements(src: string, from: number, to: number, ctx: Ctx, syntax: 'cmd' | 'powershell'): void {
  const tokens = syntax === 'cmd' ? tokeniseCmd(src, from, to) : tokenise(src, from, to)
  let current: Token[] = []
  let pipe = ctx.nextPipe++
  let stage = 0
  const flush = (): void => {
    if (current.length > 0) command(src, current, ctx, syntax, pipe, stage)
    current = []
  }

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token
    if (t.kind === 'sep') {
      flush()
      if (t.value === '|') stage++
      else {
        pipe = ctx.nextPipe++
        stage = 0
      }

      continue
    }

    if (t.kind === 'open') {
      // Read the group's inside as statements of its own, then keep it as one word of this one.
      let depth = 1
      let j = i + 1
      for (; j < tokens.length; j++) {
        const u = tokens[j] as Token
        if (u.kind === 'open') depth++
        else if (u.kind === 'close' && --depth === 0) break
      }

      const close = tokens[j]
      const end = close ? close.start : to
      const outer = ctx.items
      if (t.value === '{' && stage > 0)
        ctx.items = ctx.commands.findLast((c) => c.pipe === pipe && c.stage === stage - 1) ?? outer
      statements(src, t.end, end, ctx, syntax)
      ctx.items = outer
      current.push({
        kind: 'word',
        value: src.slice(t.start, close ? close.end : to),
        quoted: true,
        start: t.start,
        end: close ? close.end : to,
      })
      i = j
      continue
    }

    if (t.kind === 'close') continue
    // `"… $(Remove-Item …) …"`: what a subexpression in an expandable string runs is read too.
    if (t.kind === 'word' && t.quoted && src.slice(t.start, t.end).includes('$('))
      subexpressions(src, t.start, t.end, ctx, syntax)
    current.push(t)
  }

  flush()
}

function subexpressions(src: string, from: number, to: number, ctx: Ctx, syntax: 'cmd' | 'powershell'): void {
  let i = src.indexOf('$(', from)
  while (i !== -1 && i < to) {
    let depth = 0
    let j = i + 1
    for (; j < to; j++) {
      if (src[j] === '(') depth++
      else if (src[j] === ')' && --depth === 0) break
    }

    statements(src, i + 2, Math.min(j, to), ctx, syntax)
    i = src.indexOf('$(', j)
  }
}

/** cmd.exe: `&`, `&&`, `||`, `|` separate commands; `^` escapes; `"…"` quotes. */
function tokeniseCmd(src: string, from: number, to: number): Token[] {
  const out: Token[] = []
  let i = from
  while (i < to) {
    const ch = src[i] as string
    if (/\s/.test(ch) && ch !== '\n') {
      i++
      continue
    }

    if (ch === '&' || ch === '|' || ch === '\n') {
      const two = src.slice(i, i + 2)
      const value = two === '&&' || two === '||' ? two : ch === '\n' ? ';' : ch === '&' ? ';' : '|'
      out.push({kind: 'sep', value, start: i, end: i + (value.length === 2 ? 2 : 1)})
      i += value.length === 2 ? 2 : 1
      continue
    }

    let value = ''
    let quoted = false
    const start = i
    while (i < to && !/[\s&|]/.test(src[i] as string)) {
      const c = src[i] as string
      if (c === '^' && i + 1 < to) {
        value += src[i + 1]
        i += 2
        continue
      }

      if (c === '"') {
        const end = src.indexOf('"', i + 1)
        const stop = end === -1 || end > to ? to : end
        value += src.slice(i + 1, stop)
        i = stop + 1
        quoted = true
        continue
      }

      value += c
      i++
    }

    out.push({kind: 'word', value, quoted, start, end: i})
  }

  return out
}

function command(
  src: string,
  tokens: Token[],
  ctx: Ctx,
  syntax: 'cmd' | 'powershell',
  pipe: number,
  stage: number,
): void {
  if (ctx.commands.length >= MAX_COMMANDS) return
  let words = tokens.filter((t): t is Token & {kind: 'word'} => t.kind === 'word')
  // `$x = Get-Item …`: the command is what follows the assignment.
  while (words.length >= 2 && /^\$[\w:]+$/.test(words[0]?.value ?? '') && /^[-+*/]?=$/.test(words[1]?.value ?? '')) {
    const rest = words.slice(2)
    const raw = rest.length > 0 ? src.slice((rest[0] as Token).start, (rest.at(-1) as Token).end) : ''
    const value = syntax === 'powershell' ? psValue(raw, ctx.vars) : undefined
    if (value !== undefined) ctx.vars.set((words[0] as Token & {kind: 'word'}).value.slice(1).toLowerCase(), value)
    words = rest
  }

  // `& 'C:\x.exe' args`, `. .\script.ps1`: the call operator names the command in the next word.
  let call = false
  if (syntax === 'powershell' && (words[0]?.value === '&' || words[0]?.value === '.') && !words[0]?.quoted) {
    words = words.slice(1)
    call = true
  }

  const head = words[0]
  if (head === undefined) return
  const first = tokens[0] as Token
  const last = tokens.at(-1) as Token
  const text = src.slice(first.start, last.end).trim()
  const args: PsArg[] = words.slice(1).map((w) => {
    if (!w.quoted && syntax === 'powershell' && /^-[A-Za-z]/.test(w.value)) {
      const colon = w.value.indexOf(':')
      return colon === -1
        ? {param: w.value.slice(1).toLowerCase(), text: w.value, quoted: false}
        : {param: w.value.slice(1, colon).toLowerCase(), text: w.value.slice(colon + 1), quoted: false}
    }

    return {text: w.value, quoted: w.quoted}
  })
  // `& $r …`, `& ('Rem'+'ove-Item') …`: a name the request spells out in pieces is that name.
  const built = call ? (ctx.vars.get(head.value.slice(1).toLowerCase()) ?? foldConcat(head.value)) : undefined
  const written = built ?? head.value
  const name = canonicalName(written, args, syntax)
  const cmd: PsCommand = {name, written, args, text, syntax, pipe, stage, items: ctx.items}
  ctx.commands.push(cmd)
  rememberCmdSet(cmd, ctx.vars)
  handOn(cmd, ctx)
}

/** `cmd /c …`, `powershell -Command …`: the code they run is read too. */
function handOn(cmd: PsCommand, ctx: Ctx): void {
  if (ctx.depth >= MAX_DEPTH) {
    if (cmd.name === 'cmd' || cmd.name === 'powershell' || cmd.name === 'pwsh') ctx.truncated = true
    return
  }

  let code: null | string = null
  let syntax: 'cmd' | 'powershell' = 'powershell'
  if (cmd.name === 'cmd') {
    const at = cmd.args.findIndex((a) => /^\/[ck]$/i.test(a.text))
    if (at !== -1) {
      code = cmd.args
        .slice(at + 1)
        .map((a) => (a.quoted && cmd.args.length - at > 2 ? `"${a.text}"` : a.text))
        .join(' ')
      syntax = 'cmd'
    }
  } else if (cmd.name === 'powershell' || cmd.name === 'pwsh') {
    const at = cmd.args.findIndex((a) => a.param !== undefined && /^(?:c|command|commandwithargs|cwa)$/.test(a.param))
    if (at !== -1)
      code = cmd.args
        .slice(at + 1)
        .map((a) => a.text)
        .join(' ')
    const enc = cmd.args.findIndex(
      (a) => a.param !== undefined && /^e(?:c|n|nc|ncodedcommand|ncodedc\w*)?$/.test(a.param),
    )
    const payload = enc === -1 ? undefined : cmd.args[enc + 1]
    if (payload !== undefined) code = decodeEncodedCommand(payload.text) ?? code
  }

  const items =
    cmd.stage > 0 ? ctx.commands.findLast((c) => c.pipe === cmd.pipe && c.stage === cmd.stage - 1) : undefined
  const more = rereads(cmd, ctx.vars, items?.args.length === 0 ? items.written : undefined)
  if (code !== null && code.trim() !== '') more.unshift({code, syntax})
  ctx.depth++
  try {
    for (const r of more) statements(r.code, 0, r.code.length, ctx, r.syntax)
  } finally {
    ctx.depth--
  }
}

/** `-EncodedCommand` is base64 of UTF-16LE text. */
export function decodeEncodedCommand(b64: string): null | string {
  if (!/^[A-Za-z0-9+/=]{4,}$/.test(b64)) return null
  const text = Buffer.from(b64, 'base64').toString('utf16le')
  // Control characters in the decoded text mean it was not UTF-16LE script text: that is what this looks for.
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000E-\u001F]/.test(text) ? null : text
}
