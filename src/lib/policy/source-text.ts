/** The request's text before and around parsing: pre-checks on the raw string, rewrites the grammar needs. */

import type {TextRule} from './rules.js'

/**
 * One expression matching whenever any of the rules' does (case-insensitive, multi-line and dotAll
 * only widen it). Null when that cannot be built faithfully: back-references would renumber, and
 * the `u` flag changes how a pattern is read.
 */
export function gateFor(rules: readonly TextRule[]): null | RegExp {
  if (rules.length === 0) return null
  if (rules.some((r) => r.pattern.unicode || r.pattern.flags.includes('v') || /\\[1-9]|\\k</.test(r.pattern.source)))
    return null
  try {
    return new RegExp(rules.map((r) => `(?:${r.pattern.source})`).join('|'), 'ims')
  } catch {
    return null
  }
}

/**
 * Everything the PowerShell pack can match needs one of these in the text: a Verb-Noun cmdlet, a
 * parameter (`-Recurse`), a Windows path or variable (`\`, `%X%`, `$env:`), a .NET call (`]::`), or
 * a PowerShell/cmd-only command name, or a .NET type literal (`[Ref].`). Text with none of them is not
 * PowerShell the pack could judge.
 */
export const POWERSHELL_HINT = new RegExp(
  String.raw`[\\%]|\$env:|\]::|\b[a-z]+-[a-z]+\b|\s-[a-z]{3,}|(?:^|[\s;|&({"'])(?:del|` +
    String.raw`erase|rd|ri|iex|iwr|irm|gci|gi|gc|spps|spsv|saps|start|icm|sp|` +
    String.raw`rp|dir|type|cmd|powershell|pwsh|format|vssadmin|wmic|wbadmin|` +
    String.raw`bcdedit|cipher|shutdown|reg|sc|schtasks|net|netsh|taskkill|tskill|` +
    String.raw`certutil|bitsadmin|rundll32|procdump\w*|cmdkey|wevtutil|diskpart|` +
    String.raw`auditpol|ntdsutil|esentutl|mimikatz|vaultcmd|reagentc|bootsect|diskshadow|mofcomp|cmstp|` +
    String.raw`msbuild|installutil|regasm|regsvcs|odbcconf|pcalua|forfiles|msxsl|msiexec|fsutil|w32tm|` +
    String.raw`doskey|setx|sdelete\w*|psexec\w*|paexec|lazagne|createdump|choco|cinst|winget|mpcmdrun|` +
    String.raw`dism|mshta|regsvr32|mklink|sqlcmd|takeown|icacls|rclone)(?:\.exe)?\b|` +
    // `[Ref].Assembly…`, `[IO.File]::…`: a .NET type literal used.
    String.raw`\[[A-Za-z][\w.]*\]\s*(?:\.|::)|\.(?:Creation|LastWrite|LastAccess)Time|` +
    // cmd's `date 01-01-2020` / `time 12:00` set the clock.
    String.raw`(?:^|[\s;&|])(?:date|time)\s+\d{1,4}[-/.:]\d`,
  'i',
)

/** How many brace groups in a row the raw-text pre-check lets through to the parser. */
export const BRACE_RUN = 40
export const BRACE_FLOOD = new RegExp(String.raw`(?:\{[^\s{}]*\}[^\s{}]{0,8}){${BRACE_RUN + 1}}`)

/**
 * `[ … ]` and `[[ … ]]` at a command's start, rewritten as the `:` builtin with the same length, so
 * offsets into the text stay right. Only brackets standing alone as words are touched.
 */
export function testBracketsAsColon(text: string): string {
  return text
    .replaceAll(/(^|[\s;&|(!{])\[\[(?=\s)/g, '$1: ')
    .replaceAll(/(^|[\s;&|(!{])\[(?=\s)/g, '$1:')
    .replaceAll(/(?<=\s)\]\](?=\s|$|[;&|)}])/g, '  ')
    .replaceAll(/(?<=\s)\](?=\s|$|[;&|)}])/g, ' ')
}

/**
 * `{rm,-rf,/}` where a command starts is brace expansion (a group needs a space after `{`): written
 * out as its words so the grammar reads the command it makes.
 */
export function expandLeadingBraces(text: string): string {
  return text.replaceAll(/(^|[;&|(!\n]\s*)\{([^\s{}'"$`\\]+)\}(?=\s|$|[;&|)])/g, (whole, lead: string, body: string) =>
    body.includes(',') ? `${lead}${body.split(',').join(' ')}` : whole,
  )
}

/**
 * Bash removes backslash-newline before it splits words (`r\<newline>m` is `rm`); the grammar
 * reads it as a space. Joining first makes the parse match the shell. (An escaped backslash before
 * the newline, `\\<newline>`, is left alone.)
 */
export function joinContinuations(source: string): string {
  return source.includes('\\\n') ? source.replaceAll(/(?<!\\)((?:\\\\)*)\\\r?\n/g, '$1') : source
}
