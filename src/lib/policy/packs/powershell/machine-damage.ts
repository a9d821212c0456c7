/**
 * PowerShell pack: damage to the machine itself (issue 12) — boot code rewritten, recovery switched
 * off, shadow copies deleted through diskshadow, power cut through WMI, disks wiped or home folders
 * encrypted, the disk or the process table filled on purpose, Windows' own folders and the hosts file
 * written by cmd tools, DNS servers replaced, Windows components removed for every user, registry
 * hives deleted through a listing, system folders opened to everyone, and a link into the home folder
 * deleted through. Rules check the command's name before anything else.
 */
import type {PsCommand} from '../../powershell.js'

import {powershellRule, type PowerShellRule, type PsEnv} from '../../rules.js'
import {feeder, operands, paramOf, pipeSource, WINDOWS_DIR, words, writeTargets} from './writes.js'

/** A whole drive, everyone's or one's home folder, or Windows' own: never the workspace. */
const WIDE_PLACE = new RegExp(
  String.raw`^"?[A-Za-z]:\\?"?$|^"?[A-Za-z]:\\Users(?:\\|$)|^(?:\$env:userprofile|%userprofile%|\$home|~)(?:\\|$)|` +
    String.raw`^[A-Za-z]:\\Windows`,
  'i',
)
const TiB = 1024 ** 4
const SIZE_UNITS: Readonly<Record<string, number>> = {kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: TiB, pb: 1024 * TiB}

/** `2TB`, `1099511627776`: a byte count as PowerShell writes it. */
function bytes(text: string): number {
  const m = /^(\d+)(kb|mb|gb|tb|pb)?$/i.exec(text.trim())
  return m === null ? 0 : Number(m[1]) * (SIZE_UNITS[(m[2] ?? '').toLowerCase()] ?? 1)
}

function bootAndDisks(cmd: PsCommand, env: PsEnv): null | string {
  const a = words(cmd)
  switch (cmd.name) {
    case 'bootsect': {
      return a.some((w) => /^\/(?:nt60|nt52|mbr)$/.test(w)) ? 'bootsect: rewrites the boot code of a disk' : null
    }

    case 'reagentc': {
      return a.includes('/disable') ? 'reagentc /disable: switches the recovery environment off' : null
    }

    case 'diskshadow': {
      // Fed through a pipe, or through a script (`/s f.txt`) the same request wrote.
      const all = env.commands()
      return all.some((c) => c !== cmd && /delete\s+shadows/i.test(c.text))
        ? 'diskshadow delete shadows: deletes backups'
        : null
    }

    case 'wmic': {
      return /\bos\b/i.test(cmd.text) && /\bcall\s+(?:shutdown|reboot|win32shutdown)/i.test(cmd.text)
        ? 'wmic os call shutdown: powers the machine off'
        : null
    }

    case 'invoke-cimmethod':
    case 'invoke-wmimethod': {
      const os = /win32_operatingsystem/i.test(`${feeder(cmd, env.commands())?.text ?? ''} ${cmd.text}`)
      return os && /shutdown|reboot/i.test(cmd.text)
        ? `${cmd.written} Win32_OperatingSystem: powers the machine off`
        : null
    }

    case 'sdelete':
    case 'sdelete64': {
      const wide = operands(cmd, ['p']).find((o) => WIDE_PLACE.test(o) && !o.startsWith('-'))
      return wide === undefined && !a.includes('-z') && !a.includes('-c')
        ? null
        : `sdelete ${wide ?? ''}: wipes a drive or a home folder beyond recovery`
    }

    case 'cipher': {
      const target = a.map((w) => w.replace(/^\/s:/, '')).find((w) => WIDE_PLACE.test(w))
      return a.includes('/e') && target !== undefined ? `cipher /e ${target}: encrypts files across the disk` : null
    }

    default: {
      // `(Get-WmiObject Win32_OperatingSystem).Win32Shutdown(12)`
      return /win32_operatingsystem/i.test(cmd.text) && /\.(?:Win32Shutdown|Shutdown|Reboot)\(/i.test(cmd.text)
        ? 'Win32_OperatingSystem shutdown: powers the machine off'
        : null
    }
  }
}

export const bootAndDiskDamage = powershellRule({
  id: 'powershell.boot-and-disks',
  decision: 'deny',
  reason: 'rewrites boot code, switches recovery off, deletes shadow copies, cuts power, or wipes or encrypts a disk',
  examples: {
    match: [
      'bootsect.exe /nt60 ALL /force /mbr',
      'reagentc.exe /disable',
      "'delete shadows all' | diskshadow",
      'wmic os where primary=true call reboot',
      String.raw`sdelete64 -accepteula -p 3 -s C:\Users`,
      String.raw`cipher /e /s:C:\Users`,
    ],
    not_match: [
      'reagentc /info',
      'diskshadow /l log.txt',
      'wmic os get caption',
      String.raw`sdelete -p 1 .\secret.txt`,
      String.raw`cipher /c .\notes.txt`,
    ],
  },
  check: bootAndDisks,
})

function flood(cmd: PsCommand): null | string {
  if (cmd.name === 'fsutil' && words(cmd).slice(0, 2).join(' ') === 'file createnew') {
    const size = bytes(cmd.args[3]?.text ?? '')
    return size >= 10 * 1024 ** 3 ? `fsutil file createnew ${cmd.args[3]?.text}: fills the disk` : null
  }

  if (/\.setlength\(/i.test(cmd.text)) {
    const size = bytes(/\.setlength\(\s*([^)]+)\)/i.exec(cmd.text)?.[1] ?? '')
    return size >= 10 * 1024 ** 3 ? 'SetLength: makes a file that fills the disk' : null
  }

  if (/^(?:start-job|sajb|start-threadjob|start-process)$/.test(cmd.name)) {
    const range = /^(\d+)\.\.(\d+)$/.exec(cmd.items?.written ?? '')
    const count = range === null ? 0 : Math.abs(Number(range[2]) - Number(range[1]))
    return count >= 50 ? `${cmd.written} in a loop of ${count}: starts processes until the machine stalls` : null
  }

  return null
}

export const resourceFlood = powershellRule({
  id: 'powershell.resource-flood',
  decision: 'deny',
  reason: 'fills the disk with a huge file, or starts background jobs or processes by the hundred',
  examples: {
    match: [
      String.raw`fsutil file createnew D:\big.dat 500000000000`,
      String.raw`$s = [IO.File]::OpenWrite('C:\x'); $s.SetLength(5TB)`,
      '1..500 | % { Start-Job { while ($true) { } } }',
    ],
    not_match: [
      String.raw`fsutil file createnew .\test.bin 1048576`,
      '$ms.SetLength(0)',
      '1..3 | ForEach-Object { Start-Job { Get-Date } }',
    ],
  },
  check: flood,
})

const HOSTS = /\\drivers\\etc\\(?:hosts|lmhosts|networks)$/i
const CMD_WRITERS = /^(?:copy|xcopy|robocopy|move|expand|replace|mklink|write-output|echo|type|get-content)$/

function systemWrites(cmd: PsCommand): null | string {
  if (CMD_WRITERS.test(cmd.name)) {
    const target = writeTargets(cmd).find((t) => WINDOWS_DIR.test(t.replace(/^"/, '')) || HOSTS.test(t))
    if (target !== undefined) return `${cmd.written} → ${target}: writes into Windows' own folders`
  }

  if (/^\[(?:system\.)?io\.file\]::(?:copy|move|write\w*|append\w*)$/.test(cmd.name)) {
    const dest = /,\s*["']([^"']+)["']/.exec(cmd.args[0]?.text ?? '')?.[1] ?? ''
    const first = /\(\s*["']([^"']+)["']/.exec(cmd.args[0]?.text ?? '')?.[1] ?? ''
    const target = /copy|move/.test(cmd.name) ? dest : first
    if (WINDOWS_DIR.test(target)) return `${cmd.written} ${target}: writes into Windows' own folders`
  }

  if (cmd.name === 'set-dnsclientserveraddress' && paramOf(cmd, 'serveraddresses', 2) !== undefined)
    return `Set-DnsClientServerAddress ${paramOf(cmd, 'serveraddresses', 2)}: every name resolves through it`
  return null
}

export const systemFiles = powershellRule({
  id: 'powershell.system-files',
  decision: 'deny',
  reason: "writes into Windows' own folders (a library planted, the hosts file) or replaces the DNS servers",
  examples: {
    match: [
      String.raw`copy /y .\x.dll %windir%\System32\x.dll`,
      String.raw`echo 10.0.0.1 update.example.com >> %SystemRoot%\System32\drivers\etc\hosts`,
      String.raw`xcopy .\payload C:\Windows\Tasks\ /e`,
      'Set-DnsClientServerAddress -InterfaceIndex 12 -ServerAddresses ("198.51.100.1","198.51.100.2")',
    ],
    not_match: [
      String.raw`copy C:\Windows\System32\drivers\etc\hosts .\hosts.bak`,
      String.raw`type C:\Windows\System32\drivers\etc\hosts`,
      'Get-DnsClientServerAddress',
      'Set-DnsClientServerAddress -InterfaceIndex 12 -ResetServerAddresses',
    ],
  },
  check: systemWrites,
})

const COMPONENT_REMOVERS = new RegExp(
  '^(?:remove-appxpackage|remove-appxprovisionedpackage|remove-windowscapability|disable-windowsoptionalfeature|' +
    'uninstall-windowsfeature|remove-windowsfeature|remove-windowspackage)$',
)
const EVERYONE = /everyone|\bUsers\b|Authenticated Users|S-1-1-0|BUILTIN\\Users/i
const FULL = /FullControl|Modify|\bWrite\b/i

function componentsAndRights(cmd: PsCommand, env: PsEnv): null | string {
  if (COMPONENT_REMOVERS.test(cmd.name)) {
    const fed = feeder(cmd, env.commands())
    const all = words(cmd).includes('-allusers') || (fed !== undefined && /-allusers/i.test(fed.text))
    const wholeList = fed !== undefined && fed.name.startsWith('get-') && operands(fed, ['name']).length === 0
    if (all || wholeList || /provisioned|capability|feature|windowspackage/.test(cmd.name))
      return `${cmd.written}: removes Windows components${all ? ' for every user' : ''}`
    return null
  }

  if (cmd.name === 'remove-item' || cmd.name === 'remove-itemproperty') {
    const fed = pipeSource(cmd, env.commands())
    const key = fed === undefined ? undefined : operands(fed).find((p) => /^(?:HK\w+:|Registry::)/i.test(p))
    return key === undefined ? null : `${fed?.written} ${key} | ${cmd.written}: deletes registry keys`
  }

  if (cmd.name === 'set-acl') {
    const target = paramOf(cmd, 'path') ?? operands(cmd, ['aclobject'])[0] ?? ''
    if (!WINDOWS_DIR.test(target) && !/^[A-Za-z]:\\?(?:Program Files|ProgramData)?\\?$/i.test(target)) return null
    const all = env
      .commands()
      .map((c) => c.text)
      .join('\n')
    return EVERYONE.test(all) && FULL.test(all) ? `Set-Acl ${target}: opens a system folder to everyone` : null
  }

  return null
}

export const componentsAndAcl = powershellRule({
  id: 'powershell.components-and-rights',
  decision: 'deny',
  reason: 'removes Windows components for every user, deletes registry keys through a listing, or opens system folders',
  examples: {
    match: [
      'Get-AppxPackage -AllUsers | Remove-AppxPackage -AllUsers',
      'Get-WindowsCapability -Online | Remove-WindowsCapability -Online',
      String.raw`Get-ChildItem HKCU:\Software | Remove-Item -Recurse`,
      String.raw`$a = Get-Acl C:\Windows; $a.SetAccessRule($r('Everyone','FullControl')); Set-Acl C:\Windows $a`,
    ],
    not_match: [
      'Get-AppxPackage *zune* | Remove-AppxPackage',
      String.raw`Get-ChildItem .\build | Remove-Item -Recurse`,
      String.raw`Get-Acl C:\Windows`,
      String.raw`Set-Acl .\data $acl`,
    ],
  },
  check: componentsAndRights,
})

/** `New-Item -ItemType Junction -Path L -Target T`, `mklink /J L T`: the link and what it points to. */
function linkOf(cmd: PsCommand): null | {link: string; target: string} {
  if (cmd.name === 'new-item' && /junction|symboliclink/i.test(paramOf(cmd, 'itemtype') ?? '')) {
    const link = paramOf(cmd, 'path') ?? operands(cmd, ['itemtype', 'value', 'target', 'name'])[0]
    const target = paramOf(cmd, 'target') ?? paramOf(cmd, 'value')
    return link === undefined || target === undefined ? null : {link, target}
  }

  if (cmd.name === 'mklink') {
    const [link, target] = operands(cmd)
    return link === undefined || target === undefined ? null : {link, target}
  }

  return null
}

const bare = (p: string): string =>
  p
    .replace(/^\.[\\/]/, '')
    .replace(/[\\/]+$/, '')
    .toLowerCase()

function deletedThroughLink(cmd: PsCommand, env: PsEnv): null | string {
  const made = linkOf(cmd)
  if (made === null || !WIDE_PLACE.test(made.target)) return null
  const link = bare(made.link)
  for (const c of env.commands()) {
    if (c.name !== 'remove-item') continue
    const fed = feeder(c, env.commands())
    const paths = [...operands(c), ...(fed ? operands(fed) : [])].map((p) => bare(p))
    if (paths.some((p) => p === link || p.startsWith(`${link}\\`) || p.startsWith(`${link}/`)))
      return `${made.link} → ${made.target}, then deleted through: deletes ${made.target}`
  }

  return null
}

export const linkThenDelete = powershellRule({
  id: 'powershell.link-then-delete',
  decision: 'deny',
  reason: 'makes a link to the home folder, a drive or Windows, then deletes through it',
  examples: {
    match: [
      String.raw`New-Item -ItemType Junction -Path .\cache -Target $HOME; Remove-Item .\cache\* -Recurse -Force`,
      String.raw`cmd /c mklink /J lnk C:\Users & rd /s /q lnk`,
    ],
    not_match: [String.raw`New-Item -ItemType Junction -Path .\cache -Target D:\cache; Remove-Item .\cache\*`],
  },
  check: deletedThroughLink,
})

export const machineDamageRules: readonly PowerShellRule[] = [
  bootAndDiskDamage,
  resourceFlood,
  systemFiles,
  componentsAndAcl,
  linkThenDelete,
]
