/**
 * Windows host sabotage the seed's PowerShell rules did not name (issue 12): shadow copies deleted
 * through a WMI/CIM pipeline, an account's password set from the command line, network adapters
 * switched off, PowerShell's history erased, endless process floods and the batch fork bomb.
 */

import type {PsCommand} from '../../powershell.js'

import {commandRule, type CommandRule, powershellRule, type PowerShellRule, type PsEnv} from '../../rules.js'

const SHADOW = /win32_shadowcopy/i
const REMOVERS = /^(?:remove-ciminstance|remove-wmiobject|foreach-object|%|foreach)$/

/** `Get-WmiObject Win32_ShadowCopy | ForEach-Object {$_.Delete()}`, `… | Remove-CimInstance`. */
function shadowPipeline(cmd: PsCommand, env: PsEnv): null | string {
  if (!REMOVERS.test(cmd.name) || cmd.stage === 0) return null
  if (cmd.name !== 'remove-ciminstance' && cmd.name !== 'remove-wmiobject' && !/\.Delete\(\)/i.test(cmd.text))
    return null
  const source = env.commands().find((c) => c.pipe === cmd.pipe && c.stage < cmd.stage && SHADOW.test(c.text))
  return source === undefined ? null : `${source.written} Win32_ShadowCopy | ${cmd.written}: deletes every shadow copy`
}

const arg = (cmd: PsCommand, i: number): string | undefined => cmd.args[i]?.text

function accounts(cmd: PsCommand): null | string {
  if (cmd.name === 'net' && /^user$/i.test(arg(cmd, 0) ?? '')) {
    const password = arg(cmd, 2)
    if (arg(cmd, 1) !== undefined && password !== undefined && !password.startsWith('/'))
      return `net user ${arg(cmd, 1) ?? ''} <password>: sets the account's password`
    return null
  }

  if (cmd.name === 'set-localuser' && cmd.args.some((a) => a.param === 'password'))
    return 'Set-LocalUser -Password: sets an account password'
  if (cmd.name === 'enable-localuser') return 'Enable-LocalUser: switches an account on'
  if (cmd.name === 'set-adaccountpassword') return 'Set-ADAccountPassword: sets a domain account password'
  return null
}

const HISTORY_FILE = /HistorySavePath|ConsoleHost_history/i
const HISTORY_WRITERS = /^(?:remove-item|clear-content|set-content|out-file|new-item|copy-item|move-item)$/

function history(cmd: PsCommand): null | string {
  if (cmd.name === 'clear-history') return 'Clear-History: erases the session history'
  if (HISTORY_WRITERS.test(cmd.name) && HISTORY_FILE.test(cmd.text))
    return `${cmd.written} of the PSReadLine history file: erases the command history`
  if (
    cmd.name === 'set-psreadlineoption' &&
    cmd.args.some((a, i) => a.param === 'historysavestyle' && /savenothing/i.test(a.text + (arg(cmd, i + 1) ?? '')))
  )
    return 'Set-PSReadLineOption -HistorySaveStyle SaveNothing: stops recording commands'
  return null
}

const ENDLESS = /\(\s*\$true\s*\)|\(\s*;\s*;\s*\)|\(\s*1\s*-eq\s*1\s*\)/i
const SPAWN = /\b(?:start-process|saps|start|powershell|pwsh|cmd|Start-Job|Invoke-Command)\b/i

function flood(cmd: PsCommand): null | string {
  if (/^(?:while|for|do)$/.test(cmd.name) && ENDLESS.test(cmd.text) && SPAWN.test(cmd.text))
    return `${cmd.written} (endless) starting processes: a process flood that hangs the machine`
  // Batch: `%0|%0` runs the script piped into itself, each copy twice …; `echo %0^|%0 > bomb.bat` writes
  // one (read here as PowerShell, where `^` does not escape, it is the same `… | %0`).
  if (cmd.written === '%0' && cmd.stage > 0) return '%0|%0: a batch fork bomb (the script runs itself without end)'
  if (cmd.args.some((a) => /%0\s*\^?\|\s*%0/.test(a.text))) return 'writes a batch fork bomb (%0|%0)'
  return null
}

function network(cmd: PsCommand): null | string {
  if (/^(?:disable-netadapter|remove-netadapter|disable-netadapterbinding|set-netipinterface)$/.test(cmd.name))
    return cmd.name === 'set-netipinterface'
      ? null
      : `${cmd.written}: switches network adapters off (the machine drops off the network)`
  return null
}

export const hostSabotage = powershellRule({
  id: 'powershell.host-sabotage',
  decision: 'deny',
  reason:
    'deletes shadow copies, sets account passwords, switches network adapters off, erases the command history ' +
    'or floods the machine with processes',
  examples: {
    match: [
      'Get-WmiObject Win32_Shadowcopy | ForEach-Object {$_.Delete()}',
      'Get-CimInstance Win32_ShadowCopy | Remove-CimInstance',
      'gwmi win32_shadowcopy | % { $_.Delete() }',
      'net user Administrator NewPass123',
      'net user admin *',
      'Disable-NetAdapter -Name * -Confirm:$false',
      'Remove-Item (Get-PSReadlineOption).HistorySavePath',
      'Clear-History',
      'Set-PSReadLineOption -HistorySaveStyle SaveNothing',
      'while($true){Start-Process powershell}',
      'for(;;){ saps cmd }',
      '%0|%0',
      'echo %0^|%0 > bomb.bat && bomb.bat',
    ],
    not_match: [
      'Get-CimInstance Win32_ShadowCopy',
      'Get-Process | ForEach-Object { $_.Name }',
      'net user',
      'net user alice',
      'Get-NetAdapter',
      'Get-PSReadlineOption',
      'Get-History',
      'while ($i -lt 3) { Start-Process notepad; $i++ }',
      'echo %0',
    ],
  },
  check: (cmd, env) => shadowPipeline(cmd, env) ?? accounts(cmd) ?? history(cmd) ?? flood(cmd) ?? network(cmd),
})

export const deleteJournal = commandRule({
  id: 'forensics.ntfs-journal',
  pack: 'forensics',
  decision: 'deny',
  reason: 'deletes the NTFS change journal (fsutil usn deletejournal): the record of which files changed',
  programs: ['fsutil'],
  examples: {
    match: ['fsutil usn deletejournal /D C:', 'fsutil.exe usn deleteJournal /n c:'],
    not_match: ['fsutil usn queryjournal C:', 'fsutil fsinfo drives'],
  },
  check: (cmd) =>
    /^usn$/i.test(cmd.argv[0] ?? '') && /^deletejournal$/i.test(cmd.argv[1] ?? '')
      ? 'fsutil usn deletejournal: deletes the record of which files changed'
      : null,
})

export const hostRules: readonly PowerShellRule[] = [hostSabotage]
export const hostCommandRules: readonly CommandRule[] = [deleteJournal]
