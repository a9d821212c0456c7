/** PowerShell pack: parameter values of a cmdlet and the places its paths point to. */

import type {Place} from '../../paths.js'
import type {PsArg, PsCommand} from '../../powershell.js'
import type {PsEnv} from '../../rules.js'
import type {PolicyContext} from '../../types.js'

export const has = (cmd: PsCommand, ...params: string[]): boolean =>
  cmd.args.some((a) => a.param !== undefined && params.some((p) => p === a.param || p.startsWith(a.param as string)))

/** Positional values and the values of the given parameters (`-Path x`, `-Path:x`). */
export function values(cmd: PsCommand, named: readonly string[], valueParams: readonly string[] = []): string[] {
  const out: string[] = []
  const {args} = cmd
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as PsArg
    if (a.param === undefined) {
      out.push(a.text)
      continue
    }

    const takes =
      named.some((p) => p.startsWith(a.param as string)) || valueParams.some((p) => p.startsWith(a.param as string))
    if (a.text !== `-${a.param}` && !a.text.startsWith('-')) {
      if (named.some((p) => p.startsWith(a.param as string))) out.push(a.text)
      continue
    }

    if (takes && i + 1 < args.length && (args[i + 1] as PsArg).param === undefined) {
      if (named.some((p) => p.startsWith(a.param as string))) out.push((args[i + 1] as PsArg).text)
      i++
    }
  }

  return out
}

const HOME_PREFIX =
  /^(?:~|\$home|\$env:userprofile|\$env:homepath|%userprofile%|%homepath%|\$\{env:userprofile\})(?=[\\/]|$)/i
const TEMP_PREFIX = /^(?:\$env:te?mp|%te?mp%|\$env:tmpdir)(?=[\\/]|$)/i
const WINDIR_PREFIX = /^(?:\$env:systemroot|\$env:windir|%systemroot%|%windir%)(?=[\\/]|$)/i
const PROGRAMS_PREFIX =
  /^(?:\$env:programfiles(?:\(x86\))?|%programfiles(?:\(x86\))?%|\$env:programdata|%programdata%)(?=[\\/]|$)/i

/** Where a PowerShell or cmd path points, in the engine's terms (see paths.ts). */
export function psPlace(raw: string, ctx: PolicyContext): Place {
  let text = raw.replaceAll('\\', '/').replace(/^Microsoft\.PowerShell\.Core\\FileSystem::/i, '')
  let m: null | RegExpExecArray
  if ((m = HOME_PREFIX.exec(text))) return homeOf(`~${text.slice(m[0].length)}`)
  if ((m = TEMP_PREFIX.exec(text))) text = `/tmp${text.slice(m[0].length)}`
  else if ((m = WINDIR_PREFIX.exec(text))) text = `C:/Windows${text.slice(m[0].length)}`
  else if ((m = PROGRAMS_PREFIX.exec(text))) text = `C:/Program Files${text.slice(m[0].length)}`
  if (/^[$%]/.test(text)) return {kind: 'unknown', why: `built at run time (${raw})`}
  const glob = /[*?]/.test(text)
  const dir = glob ? text.slice(0, text.search(/[*?]/)).replace(/[^/]*$/, '') : text
  const ws = ctx.workspace.replaceAll('\\', '/')
  if (/^[A-Za-z]:/.test(dir) || dir.startsWith('//')) {
    const full = dir.replace(/\/+$/, '') || dir
    if (
      /^[A-Za-z]:/.test(ws) &&
      (full.toLowerCase() === ws.toLowerCase() || full.toLowerCase().startsWith(`${ws.toLowerCase()}/`))
    )
      return {kind: 'path', path: ctx.workspace + full.slice(ws.length), below: glob}
    return {kind: 'path', path: full.length <= 3 ? `${full.slice(0, 2)}/` : full, below: glob}
  }

  if (dir.startsWith('/')) return {kind: 'path', path: normalise(dir), below: glob}
  const cwd = ctx.cwd.replaceAll('\\', '/')
  return {kind: 'path', path: normalise(`${cwd}/${dir || '.'}`), below: glob}
}

function homeOf(text: string): Place {
  const parts: string[] = []
  for (const p of text.slice(1).split('/')) {
    if (p === '' || p === '.') continue
    if (p === '..') {
      if (parts.length === 0) return {kind: 'unknown', why: `above the home directory (${text})`}
      parts.pop()
    } else parts.push(p)
  }

  return {kind: 'home', path: parts.length === 0 ? '~' : `~/${parts.join('/')}`, below: /[*?]/.test(text)}
}

function normalise(p: string): string {
  const parts: string[] = []
  for (const s of p.split('/')) {
    if (s === '' || s === '.') continue
    if (s === '..') parts.pop()
    else parts.push(s)
  }

  return `/${parts.join('/')}`
}

export function describe(place: Place, raw: string): string {
  return place.kind === 'unknown' ? place.why : raw
}

/** The paths a deletion names: its own, or those of the listing piped into it (`gci C:\ | Remove-Item`). */
export function deletedPaths(cmd: PsCommand, env: PsEnv, cmdStyle: boolean): string[] {
  if (cmdStyle) return cmd.args.filter((a) => !/^\/[A-Za-z]$/.test(a.text) && a.param === undefined).map((a) => a.text)
  if (cmd.name.startsWith('[')) {
    const m = /\(\s*["']([^"']*)["']/.exec(cmd.args[0]?.text ?? '')
    return m ? [m[1] as string] : ['$unknown']
  }

  const own = values(cmd, ['path', 'literalpath'], ['include', 'exclude', 'filter', 'credential', 'stream'])
  // `gci .\ -Include bin,obj -Recurse | foreach { Remove-Item $_.FullName }`: each item is below what was listed.
  const listing = cmd.items && /^(?:get-childitem|get-item)$/.test(cmd.items.name) ? cmd.items : undefined
  if (listing && own.length > 0 && own.every((v) => /^\$(?:_|psitem)(?:\.(?:fullname|pspath|name))?$/i.test(v))) {
    const listed = values(listing, ['path', 'literalpath'], ['filter', 'include', 'exclude', 'depth'])
    return (listed.length > 0 ? listed : ['.']).map((v) => `${(v || '.').replace(/[\\/]+$/, '')}/*`)
  }

  if (own.length > 0 || cmd.stage === 0) return own
  const producer = env.commands().find((c) => c.pipe === cmd.pipe && c.stage === cmd.stage - 1)
  if (producer && /^(?:get-childitem|get-item)$/.test(producer.name))
    return values(producer, ['path', 'literalpath'], ['filter', 'include', 'exclude', 'depth']).map((v) => v || '.')
  return []
}
