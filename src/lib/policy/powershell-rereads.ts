/**
 * Code a PowerShell or cmd.exe command runs beyond its own name, to be read as commands of their own
 * (see powershell.ts): the body of cmd's `for … do …`, `forfiles /c "…"`, `call`, `start`, `psexec`,
 * `Start-Process X -ArgumentList …`, names built from variables (`set a=de& call %a%l`, `!x!`,
 * `& ('Rem'+'ove-Item')`, a reversed string), and the text a command writes into a script file
 * (`echo rd /s /q C:\ > x.bat`, `Set-Content x.ps1 '…'`): that text is code the machine runs later.
 */
import type {PsArg, PsCommand} from './powershell.js'

export interface Reread {
  readonly code: string
  readonly syntax: 'cmd' | 'powershell'
}

/** Variables a request sets to text it spells out (`set x=…`, `$x = '…'`), by lower-case name. */
export type KnownVars = Map<string, string>

const SCRIPT_FILE = /\.(?:bat|cmd|ps1|psm1)["']?$/i
const REDIRECT = /^\d?>>?(.*)$/

const quote = (a: PsArg): string => (/\s/.test(a.text) ? `"${a.text}"` : a.text)

/** cmd's `for [/d|/r|/l|/f …] %x in (set) do body`: the body, with the variable set to the set's first item. */
function forBody(cmd: PsCommand): null | string {
  const m = /\sdo\s+([\s\S]+)$/i.exec(cmd.text)
  if (m === null) return null
  const variable = cmd.args.find((a) => /^%%?[a-z]$/i.test(a.text))?.text
  const set = cmd.args.find((a) => a.text.startsWith('('))?.text.slice(1, -1) ?? ''
  const l = cmd.args.some((a) => /^\/l$/i.test(a.text))
  // `for /r C:\ %f in (*.docx)`: each item is a file below the root it names.
  const r = cmd.args.findIndex((a) => /^\/r$/i.test(a.text))
  const root = r === -1 || cmd.args[r + 1]?.text.startsWith('%') ? undefined : cmd.args[r + 1]?.text
  const item = l ? (set.split(',')[0] ?? '1') : (set.trim().split(/\s+/)[0] ?? '')
  const first = root === undefined ? item : `${root.replace(/[\\/]+$/, '')}\\${item}`
  let body = (m[1] as string).trim().replace(/^@/, '')
  if (body.startsWith('(') && body.endsWith(')')) body = body.slice(1, -1)
  if (variable !== undefined && !/^['"]/.test(first)) body = body.replaceAll(variable, first)
  return body
}

/** The value a switch (`/c`, `-ArgumentList`) takes, whichever way it is written. */
function switchValue(cmd: PsCommand, names: RegExp): string | undefined {
  const i = cmd.args.findIndex((a) =>
    a.param === undefined ? /^[/-]/.test(a.text) && names.test(a.text.slice(1)) : names.test(a.param),
  )
  if (i === -1) return undefined
  const a = cmd.args[i] as PsArg
  return a.param !== undefined && !a.text.startsWith('-') ? a.text : cmd.args[i + 1]?.text
}

/** `psexec [\\host] [-s -i -u user -p pw …] program args`: the program and its arguments. */
function psexecProgram(cmd: PsCommand): null | string {
  const rest = [...cmd.args]
  while (rest.length > 0) {
    const a = rest[0] as PsArg
    if (a.text.startsWith('\\\\') || /^[-/]/.test(a.text) || a.param !== undefined) {
      rest.shift()
      const sw = (a.param ?? a.text.slice(1)).toLowerCase()
      if (/^(?:u|p|w|n|r|g|a|cf?)$/.test(sw) && rest.length > 0) rest.shift()
      continue
    }

    break
  }

  return rest.length > 0 ? rest.map((a) => quote(a)).join(' ') : null
}

/** What `echo … > f.bat`, `Set-Content f.ps1 …`, `… | Out-File f.ps1` put into a script file. */
const syntaxOf = (file: string): 'cmd' | 'powershell' => (/\.(?:bat|cmd)["']?$/i.test(file) ? 'cmd' : 'powershell')

function scriptWritten(cmd: PsCommand, items: string | undefined): null | Reread {
  if (cmd.name === 'write-output' || cmd.name === 'echo') {
    const at = cmd.args.findIndex((a) => !a.quoted && REDIRECT.test(a.text))
    if (at === -1) return null
    const target = (REDIRECT.exec(cmd.args[at]?.text ?? '')?.[1] || cmd.args[at + 1]?.text) ?? ''
    if (!SCRIPT_FILE.test(target)) return null
    return {
      code: cmd.args
        .slice(0, at)
        .map((a) => quote(a))
        .join(' '),
      syntax: syntaxOf(target),
    }
  }

  if (/^\[(?:system\.)?io\.file\]::(?:write|append)alltext$/.test(cmd.name)) {
    // The path may hold variables (`"$env:TEMP\x.ps1"`); the code must be spelled out to be read.
    const m = /^\(\s*(['"])(.*?)\1\s*,(.*)\)$/s.exec(cmd.args[0]?.text ?? '')
    const [target, code] = [m?.[2], literal(m?.[3] ?? '')]
    if (target === undefined || code === undefined || !SCRIPT_FILE.test(target)) return null
    return {code, syntax: syntaxOf(target)}
  }

  if (/^(?:set-content|add-content|out-file)$/.test(cmd.name)) {
    const positional = cmd.args.filter((a, i) => a.param === undefined && cmd.args[i - 1]?.param === undefined)
    const target = switchValue(cmd, /^(?:path|literalpath|filepath|pspath)$/) ?? positional[0]?.text ?? ''
    const value = switchValue(cmd, /^(?:value|inputobject)$/) ?? positional[1]?.text ?? items
    if (!SCRIPT_FILE.test(target) || value === undefined) return null
    return {code: value, syntax: syntaxOf(target)}
  }

  return null
}

/** `%a%%b%`, `!x!`: the text with the variables the request set in it. */
function expandCmd(text: string, vars: KnownVars): string {
  return text.replaceAll(/%(\w+)%|!(\w+)!/g, (all, a?: string, b?: string) => {
    const v = vars.get((a ?? b ?? '').toLowerCase())
    return v ?? all
  })
}

/** cmd's own ways of running other code: `for … do`, `forfiles /c`, `call`, `%a%%b%`/`!x!` as a name. */
function cmdBody(cmd: PsCommand, vars: KnownVars): null | Reread {
  const n = cmd.name
  if (n === 'for' && cmd.args.some((a) => /^do$/i.test(a.text) && !a.quoted)) {
    const body = forBody(cmd)
    return body === null ? null : {code: body, syntax: 'cmd'}
  }

  if (n === 'forfiles') {
    const c = switchValue(cmd, /^c$/i)
    // `@path`, `@file`: each file forfiles finds below its /p folder (the current one by default).
    const dir = (switchValue(cmd, /^p$/i) ?? '.').replace(/[\\/]+$/, '')
    return c === undefined ? null : {code: c.replaceAll(/@(?:file|path|fname|relpath)/gi, `${dir}\\*`), syntax: 'cmd'}
  }

  if (n === 'call' && cmd.syntax === 'cmd')
    return {code: expandCmd(cmd.args.map((a) => quote(a)).join(' '), vars), syntax: 'cmd'}
  if (cmd.syntax === 'cmd' && /%\w+%|!\w+!/.test(cmd.written)) {
    const expanded = expandCmd(cmd.text, vars)
    if (expanded !== cmd.text) return {code: expanded, syntax: 'cmd'}
  }

  return null
}

/** Windows PowerShell switches that take a value (`-ExecutionPolicy Bypass`, `-w hidden`). */
const PS_VALUE_SWITCH = /^-(?:ex\w*|ep|w\w*|v\w*|inputformat|if|outputformat|of|configurationname|psconsolefile)$/i
const PS_CODE_SWITCH = /^-(?:c|command|commandwithargs|cwa|f|file|e|ec|en\w*)(?::|$)/i

/**
 * `powershell IEX (…)`: Windows PowerShell reads words after its switches as the command to run
 * (pwsh reads them as a script file instead); the text from there on, as written, is read as code.
 */
function positionalCode(cmd: PsCommand): null | string {
  if (cmd.name !== 'powershell' || cmd.args.some((a) => a.param !== undefined && PS_CODE_SWITCH.test(a.text)))
    return null
  let rest = cmd.text.replace(/^\S+/, '')
  for (;;) {
    const m = /^\s*(-[\w-]+)(?::\S+)?/.exec(rest)
    if (m === null) break
    rest = rest.slice(m[0].length)
    if (PS_VALUE_SWITCH.test(m[1] as string)) rest = rest.replace(/^\s*(?:"[^"]*"|'[^']*'|\S+)/, '')
  }

  return rest.trim() === '' ? null : rest.trim()
}

/** The program a launcher starts with its arguments: `Start-Process`, cmd's `start`, `psexec`, `powershell X`. */
function launched(cmd: PsCommand): null | Reread {
  const n = cmd.name
  const code = positionalCode(cmd)
  if (code !== null) return {code, syntax: 'powershell'}
  if (n === 'start-process' || (n === 'start' && cmd.syntax === 'cmd')) {
    const args = cmd.args.filter((a) => a.param === undefined && !/^\/\w+$/.test(a.text) && a.text !== '')
    const file = switchValue(cmd, /^(?:filepath|fi\w*)$/) ?? args[0]?.text
    const list = switchValue(cmd, /^(?:argumentlist|args|ar\w*)$/) ?? ''
    if (file === undefined) return null
    const rest =
      n === 'start'
        ? args
            .slice(1)
            .map((a) => quote(a))
            .join(' ')
        : list.replaceAll(',', ' ')
    return {code: `${/\s/.test(file) ? `"${file}"` : file} ${rest}`, syntax: 'cmd'}
  }

  if (/^(?:psexec(?:64)?|paexec)$/.test(n)) {
    const program = psexecProgram(cmd)
    return program === null ? null : {code: program, syntax: 'cmd'}
  }

  return null
}

/** Code a command runs beyond itself, or hands to a program it starts (see the module comment). */
export function rereads(cmd: PsCommand, vars: KnownVars, items: string | undefined): Reread[] {
  return [cmdBody(cmd, vars), launched(cmd), scriptWritten(cmd, items)].filter(
    (r): r is Reread => r !== null && r.code.trim() !== '',
  )
}

/** `set x=…` / `set "x=…"` in cmd: remembered so `%x%` and `!x!` later read as what they hold. */
export function rememberCmdSet(cmd: PsCommand, vars: KnownVars): void {
  if (cmd.syntax !== 'cmd' || cmd.name !== 'set') return
  const m = /^set\s+(?:\/a\s+)?"?(\w+)=([^"]*)"?\s*$/i.exec(cmd.text)
  if (m !== null) vars.set((m[1] as string).toLowerCase(), m[2] as string)
}

/**
 * PowerShell `$x = <expr>` for text the request spells out: `'Remove-Item'`, `'Rem'+'ove-Item'`, or
 * `-join $c[-1..-($c.Length)]` (a known string reversed). Anything else is unknown.
 */
export function psValue(raw: string, vars: KnownVars): string | undefined {
  const folded = foldConcat(raw)
  if (folded !== undefined) return folded
  const rev = /^-join\s*\(?\s*\$(\w+)\s*\[\s*(?:-1\s*\.\.|\(\s*\$\w+\.length\s*-\s*1\s*\)\s*\.\.)/i.exec(raw)
  if (rev !== null) {
    const v = vars.get((rev[1] as string).toLowerCase())
    return v === undefined ? undefined : [...v].reverse().join('')
  }

  return undefined
}

const LITERAL = /^\s*(?:'((?:[^']|'')*)'|"([^"$`]*)")\s*$/

/** A single- or double-quoted literal (no expansion in it) as its text, or undefined. */
function literal(text: string): string | undefined {
  const m = LITERAL.exec(text)
  if (m === null) return undefined
  return m[1] === undefined ? m[2] : m[1].replaceAll("''", "'")
}

/** `'a','b'` (commas outside quotes): each a literal, or undefined. */
function literalList(text: string): string[] | undefined {
  const parts = text.match(/'(?:[^']|'')*'|"[^"]*"|[^,]+/g) ?? []
  const out: string[] = []
  for (const p of parts) {
    const v = literal(p)
    if (v === undefined) return p.trim() === '' ? out : undefined
    out.push(v)
  }

  return out
}

/**
 * Text a PowerShell expression spells out from literals, or undefined: `'Rem'+'ove-Item'`,
 * `-join ('R','e',…)`, `[string]::Join('', 'a','b')`, `[string]::Concat(…)`, `'{1}{0}' -f 'a','b'`.
 */
export function foldConcat(expr: string): string | undefined {
  const inner = expr
    .trim()
    .replace(/^\((.*)\)$/s, '$1')
    .trim()
  const plus = inner.split(/\s*\+\s*/).map((p) => literal(p))
  if (plus.every((p) => p !== undefined)) return plus.join('')
  const join = /^-join\s*\(?(.*?)\)?$/is.exec(inner)
  if (join !== null) return literalList(join[1] as string)?.join('')
  const net = /^\[(?:system\.)?string\]::(join|concat)\((.*)\)$/is.exec(inner)
  if (net !== null) {
    const list = literalList(net[2] as string)
    if (list === undefined) return undefined
    return (net[1] as string).toLowerCase() === 'join' ? list.slice(1).join(list[0] ?? '') : list.join('')
  }

  const format = /^('(?:[^']|'')*'|"[^"$`]*")\s+-f\s+(.*)$/is.exec(inner)
  if (format !== null) {
    const list = literalList(format[2] as string)
    const template = literal(format[1] as string)
    if (list === undefined || template === undefined) return undefined
    return template.replaceAll(/\{(\d+)\}/g, (all, i: string) => list[Number(i)] ?? all)
  }

  return undefined
}
