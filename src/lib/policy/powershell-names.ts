/**
 * The names PowerShell and cmd.exe commands go by: aliases read as their cmdlets, and the aliases bash
 * shares (`rm`, `kill` …) read as cmdlets only when their arguments are PowerShell's.
 */
import type {PsArg} from './powershell.js'

/** Aliases that exist only in PowerShell (or cmd): always read as the cmdlet. */
const PS_ALIASES: Readonly<Record<string, string>> = {
  ri: 'remove-item',
  del: 'remove-item',
  erase: 'remove-item',
  rd: 'remove-item',
  gci: 'get-childitem',
  gi: 'get-item',
  gc: 'get-content',
  iex: 'invoke-expression',
  iwr: 'invoke-webrequest',
  irm: 'invoke-restmethod',
  spps: 'stop-process',
  sasv: 'start-service',
  spsv: 'stop-service',
  saps: 'start-process',
  start: 'start-process',
  icm: 'invoke-command',
  ni: 'new-item',
  si: 'set-item',
  sp: 'set-itemproperty',
  rp: 'remove-itemproperty',
  ii: 'invoke-item',
  gcm: 'get-command',
  gal: 'get-alias',
  gps: 'get-process',
  gsv: 'get-service',
  select: 'select-object',
  sls: 'select-string',
  dir: 'get-childitem',
  type: 'get-content',
  // Aliases PowerShell defines for the cmdlets persistence and evasion rules look at.
  cpi: 'copy-item',
  mi: 'move-item',
  ac: 'add-content',
  sal: 'set-alias',
  nal: 'new-alias',
  swmi: 'set-wmiinstance',
  gwmi: 'get-wmiobject',
  rwmi: 'remove-wmiobject',
  iwmi: 'invoke-wmimethod',
  sajb: 'start-job',
  rni: 'rename-item',
}

/** Aliases bash shares (`rm`, `ls`, `cat`, `kill` …): read as the cmdlet only with PowerShell-style arguments. */
const SHARED_ALIASES: Readonly<Record<string, string>> = {
  rm: 'remove-item',
  rmdir: 'remove-item',
  ls: 'get-childitem',
  cat: 'get-content',
  kill: 'stop-process',
  ps: 'get-process',
  curl: 'invoke-webrequest',
  wget: 'invoke-webrequest',
  cp: 'copy-item',
  mv: 'move-item',
  echo: 'write-output',
  sc: 'set-content',
}

const PS_PARAM = /^-[A-Za-z][A-Za-z]{2,}(?::.*)?$/
const WINDOWS_PATH = /^(?:[A-Za-z]:[\\/]|\\\\|\$env:|%\w+%|~\\|\.\\)|\\/

/** `kill -TERM`, `kill -SIGKILL`: signal names, which PowerShell's Stop-Process has no parameter for. */
const SIGNAL_NAME = new RegExp(
  '^(?:sig)?(?:hup|int|quit|ill|trap|abrt|iot|bus|fpe|kill|usr[12]|segv|pipe|alrm|term|stkflt|chld|cont|stop|' +
    'tstp|ttin|ttou|urg|xcpu|xfsz|vtalrm|prof|winch|io|poll|pwr|sys|rtmin|rtmax)$',
)

/** Whether the arguments look like PowerShell's (`-Recurse`, `C:\x`) rather than a POSIX tool's (`-rf`, `/etc`). */
function powershellStyle(name: string, args: readonly PsArg[]): boolean {
  return args.some(
    (a) =>
      (a.param !== undefined && PS_PARAM.test(`-${a.param}`) && !(name === 'kill' && SIGNAL_NAME.test(a.param))) ||
      WINDOWS_PATH.test(a.text),
  )
}

/**
 * Elixir's shell is also `iex` (`iex -S mix`): Invoke-Expression takes only -Command, so a switch of
 * Elixir's (`-S`, `--sname`, `--remsh` …) says which one runs.
 */
function elixirIex(args: readonly PsArg[]): boolean {
  return args.some(
    (a) => (a.param !== undefined && /^(?:s|r|pa|pz|e)$/.test(a.param)) || /^--[a-z]/.test(a.text) || a.text === '-S',
  )
}

/** The canonical lower-case name of a command as written (see PsCommand.name). */
export function canonicalName(written: string, args: readonly PsArg[], syntax: 'cmd' | 'powershell'): string {
  let name = written
    .replace(/^.*[\\/]/, '')
    .toLowerCase()
    .replace(/\.(?:exe|com|cmd|bat)$/, '')
  // `[System.IO.Directory]::Delete(…)`: a .NET call, named by type and method.
  const dotnet = /^\[(?:system\.)?([\w.]+)\]::(\w+)/i.exec(written)
  if (dotnet) name = `[${(dotnet[1] as string).toLowerCase()}]::${(dotnet[2] as string).toLowerCase()}`
  else if (name === 'iex' && elixirIex(args)) name = 'iex'
  else if (PS_ALIASES[name] !== undefined && (syntax === 'powershell' || name !== 'type'))
    name = PS_ALIASES[name] as string
  else if (SHARED_ALIASES[name] !== undefined && syntax === 'powershell' && powershellStyle(name, args))
    name = SHARED_ALIASES[name] as string
  return name
}
