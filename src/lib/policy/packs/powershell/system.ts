/** PowerShell pack: services, accounts, scheduled tasks, defences, processes and credentials. */

import type {PsCommand} from '../../powershell.js'

import {powershellRule, type PsEnv} from '../../rules.js'
import {SECRET_PATH} from '../credentials/index.js'
import {has, psPlace, values} from './places.js'

const SERVICE_CMDLETS = /^(?:stop-service|set-service|remove-service|new-service|restart-service|suspend-service)$/
const ACCOUNT_CMDLETS =
  /^(?:new-localuser|set-localuser|remove-localuser|enable-localuser|add-localgroupmember|remove-localgroupmember)$/
const TASK_CMDLETS = /^(?:register-scheduledtask|set-scheduledtask|unregister-scheduledtask|new-scheduledtask)$/

export const systemChanges = powershellRule({
  id: 'powershell.system-changes',
  decision: 'deny',
  reason: 'changes services, the registry, users, scheduled tasks, shares or the firewall (PowerShell or cmd)',
  examples: {
    match: [
      String.raw`Set-ItemProperty -Path HKLM:\Software\x -Name y -Value 1`,
      'Stop-Service WinDefend',
      String.raw`reg add HKLM\Software\x /v y`,
      'net user eve P@ss /add',
      'schtasks /create /tn x /tr y',
      'sc stop WinDefend',
      'Set-NetFirewallProfile -Enabled False',
      'netsh advfirewall set allprofiles state off',
      'Start-Process powershell -Verb RunAs',
      String.raw`reg save HKLM\SAM sam.save`,
    ],
    not_match: [
      'Get-Service',
      'git reg',
      'echo net user',
      'Get-NetFirewallProfile',
      'net user',
      'Get-LocalUser',
      String.raw`Set-ItemProperty -Path .\a.txt -Name IsReadOnly -Value $true`,
    ],
  },
  check(cmd) {
    const a = cmd.args.map((x) => x.text.toLowerCase())
    const n = cmd.name
    if (/^(?:set|new|remove)-itemproperty$|^set-item$/.test(n)) {
      const target = values(cmd, ['path', 'literalpath'], ['name', 'value', 'type', 'propertytype'])[0] ?? ''
      return /^(?:hk(?:lm|cu|cr|u|cc):|registry::)/i.test(target)
        ? `${cmd.written} ${target}: changes the registry`
        : null
    }

    if (SERVICE_CMDLETS.test(n)) return `${cmd.written}: changes a service`
    if (ACCOUNT_CMDLETS.test(n)) return `${cmd.written}: changes local accounts`
    if (TASK_CMDLETS.test(n)) return `${cmd.written}: changes scheduled tasks`
    if (n === 'new-smbshare' || n === 'grant-smbshareaccess') return `${cmd.written}: shares a folder`
    if (n === 'set-netfirewallprofile' && cmd.args.some((x) => /^(?:false|0|\$false)$/i.test(x.text)))
      return 'Set-NetFirewallProfile -Enabled False: turns the firewall off'
    if (n === 'new-netfirewallrule' || n === 'remove-netfirewallrule' || n === 'disable-netfirewallrule')
      return `${cmd.written}: changes the firewall`
    if (n === 'start-process' && has(cmd, 'verb') && a.includes('runas'))
      return 'Start-Process -Verb RunAs: runs with administrator rights'
    if (n === 'reg' && /^(?:add|delete|import|load|restore|save|copy|unload)$/.test(a[0] ?? ''))
      return `reg ${a[0]}: changes or copies the registry`
    if (
      (n === 'sc' || cmd.written.toLowerCase() === 'sc.exe') &&
      /^(?:stop|delete|config|create|failure|sdset)$/.test(a[0] ?? '')
    )
      return `sc ${a[0]}: changes a service`
    if (n === 'schtasks' && a.some((v) => /^\/(?:create|change|delete|run)$/.test(v)))
      return 'schtasks: changes scheduled tasks'
    if (
      n === 'net' &&
      /^(?:user|localgroup|group)$/.test(a[0] ?? '') &&
      a.some((v) => /^\/(?:add|delete|del|active)/.test(v) || v.includes('/'))
    )
      return `net ${a[0]}: changes accounts or groups`
    if (n === 'net' && /^(?:stop|share|start)$/.test(a[0] ?? '') && a.length > 1)
      return `net ${a[0]} ${a[1] ?? ''}: changes services or shares`
    if (
      n === 'netsh' &&
      a.some((v) => /^(?:set|add|delete|reset)$/.test(v)) &&
      a.some((v) => /firewall|advfirewall|interface|portproxy/.test(v))
    )
      return `netsh ${a.join(' ')}: changes the firewall or network`
    return null
  },
})

export const defences = powershellRule({
  id: 'powershell.defences-and-logs',
  decision: 'deny',
  reason: 'disables Windows Defender or auditing, or clears event logs',
  examples: {
    match: [
      'Set-MpPreference -DisableRealtimeMonitoring $true',
      'Add-MpPreference -ExclusionPath C:\\',
      'Clear-EventLog -LogName Security',
      'wevtutil cl System',
    ],
    not_match: ['Get-MpPreference', 'Get-EventLog -LogName System -Newest 5', 'wevtutil qe System /c:5'],
  },
  check(cmd) {
    if (/^(?:set|add|remove)-mppreference$/.test(cmd.name)) return `${cmd.written}: weakens Windows Defender`
    if (/^(?:clear|remove|limit)-eventlog$|^clear-winevent$/.test(cmd.name)) return `${cmd.written}: erases event logs`
    if (cmd.name === 'wevtutil' && /^(?:cl|clear-log|sl|set-log)$/i.test(cmd.args[0]?.text ?? ''))
      return `wevtutil ${cmd.args[0]?.text}: erases or disables an event log`
    if (cmd.name === 'auditpol' && cmd.args.some((a) => /^\/(?:clear|remove)|disable/i.test(a.text)))
      return 'auditpol: switches auditing off'
    if (/^(?:uninstall-windowsfeature|disable-windowsoptionalfeature)$/.test(cmd.name) && /defender/i.test(cmd.text))
      return 'removes Windows Defender'
    return null
  },
})

/** Processes whose death crashes Windows or ends the user's session. */
const WINDOWS_VITAL = /^(?:lsass|csrss|winlogon|wininit|smss|services|svchost|explorer|dwm)(?:\.exe)?$/i

/** A process name the daemon could go by (it runs on node), or a pattern that could match it. */
const DAEMON_NAME = /^(?:node|nodejs|hub|npm|npx|tsx)(?:\.exe)?$|[*?]/i

type StopArg = 'filter' | 'id' | 'name' | 'other'

/** What a switch of Stop-Process or Get-Process (`-Id`, `-Name`, prefixes) or taskkill (`/PID`, `/IM`, `/FI`) takes. */
function stopSwitch(sw: string): StopArg | undefined {
  if (sw === 'pid' || 'id'.startsWith(sw)) return 'id'
  if (sw === 'im' || sw === 'processname' || 'name'.startsWith(sw)) return 'name'
  if (sw === 'fi') return 'filter'
  return /^(?:s|u|p|inputobject|computername)$/.test(sw) ? 'other' : undefined
}

/**
 * The names (or `*`) a Stop-Process, taskkill or tskill aims at, with a Get-Process feeding it read
 * too. Process ids are left out: an operator can look them up. Fed by anything else, or naming
 * nothing, it stops whatever it is given: `*`.
 */
function stopNames(cmd: PsCommand, env: PsEnv): string[] {
  const source =
    cmd.stage > 0 ? env.commands().find((c) => c.pipe === cmd.pipe && c.stage === cmd.stage - 1) : undefined
  const args = source?.name === 'get-process' ? [...source.args, ...cmd.args] : cmd.args
  const names: string[] = []
  let ids = 0
  let next: StopArg | undefined
  const take = (kind: StopArg | undefined, value: string): void => {
    for (const part of value.split(',').filter(Boolean)) {
      if (kind === 'filter') names.push('*')
      else if (kind === 'id' || (kind === undefined && /^\$?\w*\d\w*$|^\$/.test(part))) ids++
      else if (kind === 'name' || kind === undefined) names.push(part)
    }
  }

  for (const a of args) {
    const written = a.param === undefined && !a.quoted ? /^[/-]([A-Za-z]+)$/.exec(a.text)?.[1] : undefined
    const sw = a.param ?? written?.toLowerCase()
    if (sw === undefined) {
      take(next, a.text)
      next = undefined
    } else if (a.param !== undefined && !a.text.startsWith('-')) take(stopSwitch(sw), a.text)
    else next = stopSwitch(sw)
  }

  if (source !== undefined && source.name !== 'get-process') names.push('*')
  if (ids === 0 && names.length === 0) names.push('*')
  return names
}

export const stopProcess = powershellRule({
  id: 'powershell.stop-process',
  decision: 'deny',
  reason: 'stops processes by name or pattern (Stop-Process, taskkill) — the hub daemon among them',
  examples: {
    match: [
      'Stop-Process -Name node -Force',
      'taskkill /F /IM node.exe',
      'Get-Process node | Stop-Process',
      'Get-Process | Stop-Process -Force',
      'taskkill /F /FI "USERNAME eq dev"',
      'taskkill /F /IM lsass.exe',
      'Stop-Process -Name csrss -Force',
      'spps -Name n*',
    ],
    not_match: [
      'Get-Process python',
      'kill 12345',
      'kill -TERM 48213',
      'Get-Help Stop-Process',
      'Stop-Process -Id 14352',
      'spps -Id 42',
      'Get-Process -Id 14352 | Stop-Process',
      'taskkill /PID 18244 /F',
      'Stop-Process -Name notepad',
    ],
  },
  check(cmd, env) {
    if (cmd.name !== 'stop-process' && cmd.name !== 'taskkill' && cmd.name !== 'tskill') return null
    const vital = cmd.args.find((a) => WINDOWS_VITAL.test(a.text))
    if (vital) return `${cmd.written} ${vital.text}: kills a process Windows or the desktop session cannot run without`
    const daemon = stopNames(cmd, env).find((n) => DAEMON_NAME.test(n))
    if (daemon === undefined) return null
    return daemon === '*'
      ? `${cmd.written}: stops every process it is given or a filter selects — the hub daemon among them`
      : `${cmd.written} ${daemon}: stops processes by a name the hub daemon goes by`
  },
})

/**
 * `Get-ChildItem env: | Where-Object Name -like 'NODE*'`: the listing goes through a filter that keeps
 * only what a written pattern names, as `env | grep NODE` does.
 */
/** `{ $_.Name -like 'JAVA*' }`, read as the pattern it compares the name with. */
const BLOCK_FILTER = /^\{\s*\$(?:_|psitem)\.(?:name|key)\s+-c?(?:like|match|eq)\s+(["']?)([^"'}]*)\1\s*\}$/i

function narrowed(cmd: PsCommand, env: PsEnv): boolean {
  const next = env.commands().find((c) => c.pipe === cmd.pipe && c.stage === cmd.stage + 1)
  if (next === undefined || !/^(?:where-object|where|\?|select-string|findstr)$/.test(next.name)) return false
  const patterns = next.args
    .filter((a) => a.param === undefined && !/^(?:name|key|value)$/i.test(a.text))
    .map((a) => (a.text.startsWith('{') ? (BLOCK_FILTER.exec(a.text)?.[2] ?? '') : a.text))
  return patterns.length > 0 && patterns.every((p) => /\w/.test(p) && !/^(?:\.\*?|\$true)$/.test(p))
}

const CREDENTIAL_CMDLETS =
  /^(?:get-credential|convertfrom-securestring|export-pfxcertificate|get-clipboard|invoke-mimikatz|out-minidump)$/

export const credentials = powershellRule({
  id: 'powershell.credentials',
  decision: 'deny',
  reason: 'reads credentials or dumps the environment (key files, env:, vaults, lsass, SAM)',
  examples: {
    match: [
      'Get-Credential',
      'Get-ChildItem env:',
      'gci env: | Out-File x',
      'cmdkey /list',
      String.raw`Get-Content $env:USERPROFILE\.ssh\id_rsa`,
      String.raw`type %USERPROFILE%\.ssh\id_rsa`,
      String.raw`rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump 624 C:\temp\lsass.dmp full`,
      'procdump -ma lsass.exe lsass.dmp',
    ],
    not_match: [
      'Get-ChildItem .',
      'ls env',
      'echo $env:PATH',
      'Get-Content README.md',
      String.raw`Get-Content ~\.ssh\id_rsa.pub`,
    ],
  },
  check(cmd, env) {
    if (CREDENTIAL_CMDLETS.test(cmd.name)) return `${cmd.written}: reads credentials`
    if (/mimikatz|sekurlsa|vaultcmd/i.test(cmd.written)) return `${cmd.written}: a credential theft tool`
    if (cmd.name === 'cmdkey' && cmd.args.some((a) => /^\/list/i.test(a.text)))
      return 'cmdkey /list: lists stored credentials'
    if (cmd.name === 'rundll32' && /comsvcs/i.test(cmd.text) && /minidump/i.test(cmd.text))
      return 'rundll32 comsvcs MiniDump: dumps process memory (lsass credentials)'
    if (cmd.name.startsWith('procdump') && /lsass/i.test(cmd.text)) return 'procdump of lsass: dumps credentials'
    if (/^(?:ntdsutil|esentutl)$/.test(cmd.name) && /ntds|ifm/i.test(cmd.text))
      return `${cmd.written}: copies the domain credential database`
    if (
      /^(?:get-childitem|get-item)$/.test(cmd.name) &&
      cmd.args.some((a) => /^env:\\?$/i.test(a.text)) &&
      !narrowed(cmd, env)
    )
      return `${cmd.written} env:: prints every environment variable`
    if (
      /^(?:get-content|copy-item|select-string|get-filehash|format-hex)$/.test(cmd.name) ||
      (cmd.syntax === 'cmd' && cmd.name === 'type')
    ) {
      for (const v of values(
        cmd,
        ['path', 'literalpath'],
        ['encoding', 'tail', 'totalcount', 'head', 'pattern', 'destination'],
      )) {
        const place = psPlace(v, env.ctx)
        const text = place.kind === 'unknown' ? v : place.path
        if (/(?:\.pub|known_hosts)$/i.test(text)) continue
        if (SECRET_PATH.test(text)) return `${cmd.written} ${v}: reads a secret file`
      }
    }

    return null
  },
})
