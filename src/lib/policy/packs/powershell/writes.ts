/**
 * PowerShell pack: where a PowerShell or cmd command writes, and the places Windows runs things from.
 * Persistence, hijack and tampering rules ask the same question (does this command put something
 * into place X?) of many spellings: `copy a X`, `Copy-Item a -Destination X`, `echo … >> X`,
 * `Set-Content X`, `mklink X …`, so it is answered once here.
 */
import type {PsArg, PsCommand} from '../../powershell.js'

import {values} from './places.js'

/** `>f`, `>> f`, `2>f`, and cmd's `text>>f` written without a space. */
const REDIRECT = /^[^>]*?\d?>>?(.*)$/

/** `… > file`, `… >>file`, `2> file`: the files a redirection writes. */
export function redirectTargets(cmd: PsCommand): string[] {
  const out: string[] = []
  for (const [i, a] of cmd.args.entries()) {
    if (a.quoted || a.param !== undefined) continue
    const m = REDIRECT.exec(a.text)
    const target = m === null ? undefined : m[1] || cmd.args[i + 1]?.text
    if (target !== undefined && target !== '' && !/^&\d$/.test(target)) out.push(target)
  }

  return out
}

const COPIERS = /^(?:copy-item|move-item|copy|xcopy|robocopy|move|expand|replace|rename-item)$/
const FILE_WRITERS = /^(?:set-content|add-content|out-file|new-item|tee-object|export-csv|export-clixml|mklink)$/
const SOURCE_PARAMS = ['path', 'literalpath', 'filter', 'include', 'exclude', 'credential', 'encoding', 'value']

const plain = (list: string[]): string[] => list.filter((v) => !/^\/\w/.test(v) && !REDIRECT.test(v))

/** Every place a command writes to: its destination, the file it fills or creates, or a redirection's file. */
export function writeTargets(cmd: PsCommand): string[] {
  const out = redirectTargets(cmd)
  if (COPIERS.test(cmd.name)) {
    const dest = values(cmd, ['destination'], SOURCE_PARAMS)
    const list = plain(dest)
    // robocopy SOURCE DEST [files]: the second operand is where it writes.
    const target = cmd.name === 'robocopy' ? list[1] : list.at(-1)
    if (target !== undefined && list.length > 1) out.push(target)
  } else if (FILE_WRITERS.test(cmd.name)) {
    const named = values(cmd, ['path', 'literalpath', 'filepath', 'name'], ['value', 'encoding', 'itemtype', 'type'])
    const first = plain(named)[0]
    if (first !== undefined) out.push(first)
  }

  return out
}

/** The value a parameter takes (`-Name x`, `-Name:x`, `/name x`, prefixes of the name allowed), or undefined. */
export function paramOf(cmd: PsCommand, full: string, min = 1): string | undefined {
  const matches = (p: string): boolean => p.length >= min && full.startsWith(p)
  const i = cmd.args.findIndex((a) => a.param !== undefined && matches(a.param))
  if (i === -1) return undefined
  const a = cmd.args[i] as PsArg
  return a.text.startsWith('-') ? cmd.args[i + 1]?.text : a.text
}

/** Positional operands: not parameters, not cmd switches (`/s`), not values of named parameters. */
export function operands(cmd: PsCommand, valueParams: readonly string[] = []): string[] {
  return values(cmd, [], valueParams).filter((v) => !/^\/[\w?]/.test(v))
}

/** Lower-cased argument texts, for cmd tools whose switches are `/x` or `-x` words. */
export const words = (cmd: PsCommand): string[] => cmd.args.map((a) => a.text.toLowerCase())

/** The command feeding this one through a pipe (`Get-ChildItem X | Remove-Item`), if any. */
export function feeder(cmd: PsCommand, all: readonly PsCommand[]): PsCommand | undefined {
  return cmd.stage > 0 ? all.findLast((c) => c.pipe === cmd.pipe && c.stage === cmd.stage - 1) : undefined
}

/** The first stage of this command's pipeline (`gci X | Where-Object … | Remove-Item`), if it is fed. */
export function pipeSource(cmd: PsCommand, all: readonly PsCommand[]): PsCommand | undefined {
  return cmd.stage > 0 ? all.find((c) => c.pipe === cmd.pipe && c.stage === 0) : undefined
}

/** Windows' own folders, however the path is spelled (`C:\Windows`, `%SystemRoot%`, `$env:windir` …). */
export const WINDOWS_DIR = new RegExp(
  String.raw`^(?:"?[A-Za-z]:)?[\\/](?:Windows|WinNT)(?:[\\/]|$)|` +
    String.raw`^(?:%(?:SystemRoot|windir)%|\$env:(?:SystemRoot|windir))(?:[\\/]|$)`,
  'i',
)

/** The Startup folders: what is put there runs at every log-on. */
export const STARTUP_DIR = new RegExp(
  String.raw`\\Start Menu\\Programs\\Startup(?:\\|$)|shell:(?:common )?startup|` +
    String.raw`GetFolderPath\(\s*['"]?(?:Common)?Startup\b|SpecialFolder\]::(?:Common)?Startup\b`,
  'i',
)
