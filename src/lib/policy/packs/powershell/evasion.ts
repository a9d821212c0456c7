/**
 * PowerShell pack: blinding the machine's defences and its record (issue 12) — AMSI switched off from
 * inside PowerShell, Defender's signatures removed or its feature uninstalled, security endpoints
 * sinkholed through name-resolution policy, security and server processes killed by name, event logs
 * cleared through .NET, file times and the clock rewritten, command history switched off, and the
 * trusted root certificates changed. Each rule checks the command's name or a cheap word first.
 */
import type {PsCommand} from '../../powershell.js'

import {powershellRule, type PowerShellRule, type PsEnv} from '../../rules.js'
import {feeder, operands, paramOf, pipeSource, words} from './writes.js'

/** `'Am'+'siUtils'`, `"Am"+"si"`: string pieces joined, as PowerShell joins them. */
const joined = (text: string): string => text.replaceAll(/['"]\s*\+\s*['"]/g, '')
const AMSI = /amsi(?:utils|initfailed|context|scanbuffer|session|\.dll)/i
const REFLECTION = /\.GetType\(|\.GetField\(|\.GetMethod\(|Add-Type|GetProcAddress|VirtualProtect|\[Ref\]/i

function amsiPatch(cmd: PsCommand, env: PsEnv): null | string {
  const text = joined(cmd.text)
  if (/amsi/i.test(text) && AMSI.test(text) && REFLECTION.test(text)) return 'switches AMSI (script scanning) off'
  // `[Ref].Assembly.GetType(('{0}m{1}' -f …))` then a non-public static field set: the same patch, name hidden.
  if (/\[ref\]\.assembly\.gettype/i.test(cmd.text)) {
    const all = env
      .commands()
      .map((c) => c.text)
      .join('\n')
    if (/nonpublic/i.test(all) && /\.SetValue\(|WriteInt(?:32|64)|\.Copy\(/i.test(all))
      return "sets a hidden field of PowerShell's own engine through reflection (the AMSI patch)"
  }

  return null
}

export const amsiBypass = powershellRule({
  id: 'powershell.amsi-bypass',
  decision: 'deny',
  reason: 'patches PowerShell so that scripts are no longer scanned (AMSI bypass)',
  examples: {
    match: [
      "[Ref].Assembly.GetType('System.Management.Automation.'+'Amsi'+'Utils').GetField('amsiInitFailed','x')",
      "$t=[Ref].Assembly.GetType(('{0}{1}' -f $a,$b)); $t.GetField($f,'NonPublic,Static').SetValue($null,$true)",
    ],
    not_match: ['Write-Output "AmsiUtils is a class"', 'Get-Help about_Reflection', '[Ref].Equals($a, $b)'],
  },
  check: (cmd, env) => (/amsi|\[ref\]/i.test(cmd.text) ? amsiPatch(cmd, env) : null),
})

/** Security products' and servers' processes: killing one blinds the machine or takes a service down. */
const GUARDED_PROCESS = new RegExp(
  String.raw`^(?:msmpeng|nissrv|mssense|sense|securityhealthservice|mpdefendercoreservice|sentinel\w*|csfalcon\w*|` +
    String.raw`cb|repmgr|cylancesvc|sophos\w*|mcshield|ekrn|avp|sqlservr|sqlagent|w3wp|inetinfo|mysqld|postgres|` +
    String.raw`oracle|mongod|redis-server|httpd|nginx|vmms|vmwp|veeam\w*|msexchange\w*|sqlwriter)(?:\.exe)?$`,
  'i',
)
const DEFENDER_FEATURE = /defender/i

function defenderOff(cmd: PsCommand, env: PsEnv): null | string {
  const a = words(cmd)
  if (cmd.name === 'mpcmdrun' && a.some((w) => /^-(?:removedefinitions|disableservice)/.test(w)))
    return `MpCmdRun ${a.find((w) => w.startsWith('-r') || w.startsWith('-d'))}: strips Windows Defender`
  if (cmd.name === 'dism' && a.some((w) => /^\/(?:disable-feature|remove-capability|remove-package)/.test(w)))
    return DEFENDER_FEATURE.test(cmd.text) ? 'dism: removes Windows Defender' : 'dism: removes a Windows component'
  if (/^(?:add|set)-dnsclientnrptrule$/.test(cmd.name))
    return `${cmd.written}: redirects name resolution for a namespace (security endpoints sinkholed)`
  if (/^(?:stop-process|spps|taskkill|tskill)$/.test(cmd.name)) {
    const source = feeder(cmd, env.commands())
    const names = [...(source?.name === 'get-process' ? source.args : []), ...cmd.args]
      .flatMap((x) => x.text.split(','))
      .map((x) => x.trim())
    const hit = names.find((n) => GUARDED_PROCESS.test(n))
    if (hit !== undefined) return `${cmd.written} ${hit}: kills a security product or a server`
  }

  if (cmd.name === 'wmic' && /msmpeng|sqlservr|w3wp/i.test(cmd.text) && /\b(?:delete|terminate)\b/i.test(cmd.text))
    return 'wmic … terminate: kills a security product or a server'
  return null
}

export const defenderAndGuards = powershellRule({
  id: 'powershell.defender-and-guards',
  decision: 'deny',
  reason: 'strips Windows Defender, sinkholes security endpoints, or kills security and server processes',
  examples: {
    match: [
      String.raw`& "$env:ProgramFiles\Windows Defender\MpCmdRun.exe" -RemoveDefinitions -All`,
      'dism.exe /Online /Disable-Feature /FeatureName:Windows-Defender-Features',
      "Add-DnsClientNrptRule -Namespace '.wdcp.microsoft.com' -NameServers 0.0.0.0",
      'Get-Process -Name MsMpEng | Stop-Process -Force',
      'taskkill /f /im sqlservr.exe',
      'Stop-Process -Name w3wp,sqlservr -Force',
    ],
    not_match: [
      String.raw`& "$env:ProgramFiles\Windows Defender\MpCmdRun.exe" -Scan -ScanType 1`,
      'dism /online /get-features',
      'Get-DnsClientNrptRule',
      'Get-Process sqlservr',
      'Stop-Process -Name notepad',
    ],
  },
  check: defenderOff,
})

const LOG_CLEAR =
  /\]::GlobalSession\.ClearLog\(|EventLogSession\b.*\.ClearLog\(|\[(?:System\.Diagnostics\.)?EventLog\]::Delete/i
const TIME_SET = /^(?:\$[\w:]+|\$?\([^)]*\))(?:\.\w+)*\.(?:Creation|LastWrite|LastAccess)Time(?:Utc)?\s*=(?!=)/i

const CLOCK_VALUE = /^\d{1,4}[-/.:]\d{1,2}(?:[-/.:]\d{1,4})?$/

function traceErased(cmd: PsCommand): null | string {
  if (/clearlog|eventlog\]::delete/i.test(cmd.text) && LOG_CLEAR.test(cmd.text)) return 'clears event logs through .NET'
  if (/time/i.test(cmd.text) && TIME_SET.test(cmd.text)) return "rewrites a file's creation or modification time"
  if (/^\[(?:system\.)?io\.file\]::set(?:creation|lastwrite|lastaccess)time/.test(cmd.name))
    return `${cmd.written}: rewrites a file's times`
  if (cmd.name === 'set-date' && cmd.args.length > 0) return 'Set-Date: changes the system clock'
  // cmd's `date 01-01-2020`, `time 12:00` set the clock (PowerShell's `date` is Get-Date, which ignores it).
  if ((cmd.name === 'date' || cmd.name === 'time') && CLOCK_VALUE.test(cmd.args[0]?.text ?? ''))
    return `${cmd.name} ${cmd.args[0]?.text}: changes the system clock`
  if (cmd.name === 'net' && words(cmd)[0] === 'time' && words(cmd).includes('/set'))
    return 'net time /set: sets the clock from another machine'
  if (cmd.name === 'w32tm' && words(cmd).some((w) => /^\/(?:manualpeerlist|syncfromflags:manual|unregister)/.test(w)))
    return 'w32tm: points the clock at another time source'
  if (cmd.name === 'set-psreadlineoption') {
    const style = paramOf(cmd, 'historysavestyle', 8)
    if (style !== undefined && /nothing/i.test(style)) return 'Set-PSReadLineOption -HistorySaveStyle SaveNothing'
    if (paramOf(cmd, 'addtohistoryhandler', 3) !== undefined || paramOf(cmd, 'historysavepath', 8) !== undefined)
      return `${cmd.written}: stops commands being kept in the history`
  }

  if (cmd.name === 'doskey' && words(cmd).some((w) => /^\/(?:reinstall|listsize=0)/.test(w)))
    return 'doskey /reinstall: erases the command history'
  if (
    /consolehost_history|historysavepath/i.test(cmd.text) &&
    /^(?:remove-item|clear-content|set-content)$/.test(cmd.name)
  )
    return `${cmd.written}: erases PowerShell's command history`
  return null
}

export const erasedTraces = powershellRule({
  id: 'powershell.erased-traces',
  decision: 'deny',
  reason: 'erases the record: event logs cleared, file times or the clock rewritten, command history switched off',
  examples: {
    match: [
      "[Diagnostics.Eventing.Reader.EventLogSession]::GlobalSession.ClearLog('Security')",
      String.raw`(Get-Item .\a.exe).CreationTime = '2019-01-01'`,
      String.raw`$f.LastWriteTimeUtc = [datetime]'2001-01-01'`,
      "Set-Date '2020-01-01 00:00'",
      'w32tm /config /manualpeerlist:"198.51.100.9" /syncfromflags:manual /update',
      'Set-PSReadLineOption -HistorySaveStyle SaveNothing',
      'Remove-Item (Get-PSReadLineOption).HistorySavePath',
    ],
    not_match: [
      String.raw`(Get-Item .\a.exe).LastWriteTime`,
      'Get-ChildItem | Where-Object { $_.LastWriteTime -gt $d }',
      'Get-Date',
      'w32tm /query /status',
      'Set-PSReadLineOption -EditMode Emacs',
      'doskey /history',
      'wevtutil qe System /c:10 /f:text',
    ],
  },
  check: traceErased,
})

const TRUST_STORE = /\\(?:Root|AuthRoot|TrustedPublisher|CA)\b/i

function trustChanged(cmd: PsCommand, env: PsEnv): null | string {
  if (/^(?:import-certificate|import-pfxcertificate)$/.test(cmd.name)) {
    const store = paramOf(cmd, 'certstorelocation', 5) ?? ''
    return TRUST_STORE.test(store) ? `${cmd.written} ${store}: trusts a new root or publisher` : null
  }

  if (cmd.name === 'certutil' || cmd.name === 'certmgr') {
    const a = words(cmd)
    if (a.some((w) => /^[-/]delstore$/.test(w))) return `${cmd.written} -delstore: deletes certificates`
    const add = a.some((w) => /^[-/](?:addstore|add)$/.test(w))
    if (add && a.some((w) => /^(?:root|authroot|trustedpublisher|ca)$/.test(w)))
      return `${cmd.written} -addstore: trusts a new root or publisher`
    return null
  }

  if (cmd.name === 'remove-item') {
    const source = pipeSource(cmd, env.commands())
    const paths = [...operands(cmd, ['filter', 'include', 'exclude']), ...(source ? operands(source) : [])]
    const store = paths.find((p) => /^cert:/i.test(p))
    return store === undefined ? null : `${cmd.written} ${store}: deletes certificates`
  }

  return null
}

export const certificateTrust = powershellRule({
  id: 'powershell.certificate-trust',
  decision: 'deny',
  reason: 'changes which certificates the machine trusts (root stores) or deletes certificates',
  examples: {
    match: [
      String.raw`Import-Certificate -FilePath .\ca.cer -CertStoreLocation Cert:\LocalMachine\Root`,
      String.raw`certutil.exe -f -addstore root .\ca.cer`,
      'certutil -delstore My 1a2b3c',
      String.raw`Get-ChildItem Cert:\CurrentUser\My | Remove-Item`,
    ],
    not_match: [
      String.raw`certutil -hashfile .\setup.exe SHA256`,
      String.raw`Get-ChildItem Cert:\CurrentUser\My`,
      String.raw`Import-Certificate -FilePath .\dev.cer -CertStoreLocation Cert:\CurrentUser\My`,
    ],
  },
  check: trustChanged,
})

export const evasionRules: readonly PowerShellRule[] = [amsiBypass, defenderAndGuards, erasedTraces, certificateTrust]
