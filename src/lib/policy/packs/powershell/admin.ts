/**
 * Windows administration cmdlets that destroy or open up what an organisation runs (issue 12): directory
 * users and groups, mailboxes, Azure resources, Hyper-V machines, shares, restore points, local accounts;
 * remote PowerShell sessions on other machines; log files emptied. PowerShell names its cmdlets verb-noun,
 * so the family is a destroying verb applied to an infrastructure noun, not a list of strings.
 */

import type {PsCommand} from '../../powershell.js'

import {powershellRule, type PowerShellRule} from '../../rules.js'

const DESTROYS = /^(?:remove|clear|disable|uninstall|reset|revoke|dismount)$/
const INFRA = new RegExp(
  String.raw`^(?:ad(?:user|group|groupmember|computer|organizationalunit|object|serviceaccount|domain\w*)|` +
    String.raw`az\w+|azurerm\w+|mg\w+|vm\w*|mailbox\w*|smbshare|computerrestore\w*|localuser|cluster\w*|` +
    String.raw`sqldatabase|dnsserver\w*|dhcpserver\w*|webapp\w*|website|spo\w+|pnp\w+|gpo)$`,
)
const ADMIN_GROUPS = /domain admins|enterprise admins|schema admins|administrators|backup operators/i
const REMOTE_SESSION = /^(?:enter-pssession|new-pssession|invoke-command)$/
const LOGS = /\\logs?\\|\.log\b|\\LogFiles\\|\\winevt\\/i

function verbNoun(cmd: PsCommand): [string, string] | null {
  const dash = cmd.name.indexOf('-')
  return dash <= 0 ? null : [cmd.name.slice(0, dash), cmd.name.slice(dash + 1)]
}

function adminChange(cmd: PsCommand): null | string {
  const parts = verbNoun(cmd)
  if (parts === null) return null
  const [verb, noun] = parts
  if (DESTROYS.test(verb) && INFRA.test(noun)) return `${cmd.written}: deletes or switches off ${noun}`
  if (verb === 'stop' && /^vm\w*$/.test(noun) && cmd.args.some((a) => a.text === '*' || a.param === 'turnoff'))
    return `${cmd.written} ${cmd.args.some((a) => a.text === '*') ? '*' : '-TurnOff'}: cuts power to virtual machines`
  if (verb === 'add' && noun.endsWith('groupmember') && ADMIN_GROUPS.test(cmd.text))
    return `${cmd.written}: adds an account to an administrators group`
  if (REMOTE_SESSION.test(cmd.name) && cmd.args.some((a) => a.param === 'computername' || a.param === 'session'))
    return `${cmd.written} -ComputerName: runs PowerShell on another machine`
  if (cmd.name === 'clear-content' && LOGS.test(cmd.text)) return 'Clear-Content of log files: erases the record'
  // `sc` is Set-Content's alias in Windows PowerShell: the service tool is known by how it is written.
  if (/^sc(?:\.exe)?$/i.test(cmd.written) && /^(?:create|delete)$/i.test(cmd.args[0]?.text ?? ''))
    return `sc ${cmd.args[0]?.text ?? ''}: installs or removes a Windows service`
  if (cmd.name === 'new-service') return 'New-Service: installs a Windows service (runs at boot as SYSTEM)'
  return null
}

export const adminDestroy = powershellRule({
  id: 'powershell.admin-destroy',
  decision: 'deny',
  reason:
    'deletes or switches off directory accounts, mailboxes, cloud resources, virtual machines, shares or restore ' +
    'points, adds an administrator, opens PowerShell on another machine, or empties logs',
  examples: {
    match: [
      'Get-ADUser -Filter * | Remove-ADUser -Confirm:$false',
      'Remove-ADGroupMember -Identity "Domain Admins" -Members x',
      'Add-ADGroupMember -Identity "Domain Admins" -Members hacker',
      'Get-Mailbox | Remove-Mailbox -Confirm:$false',
      'Remove-AzResourceGroup -Name prod -Force',
      'Get-VM | Remove-VM -Force',
      'Stop-VM -Name * -Force -TurnOff',
      'Remove-SmbShare -Name data -Force',
      String.raw`Disable-ComputerRestore -Drive "C:\"`,
      'Disable-LocalUser -Name Administrator',
      'Enter-PSSession -ComputerName prod01',
      'Invoke-Command -ComputerName prod01 -ScriptBlock { hostname }',
      String.raw`Clear-Content C:\inetpub\logs\LogFiles\*\*.log`,
      String.raw`sc.exe create x binPath= C:\x.exe start= auto`,
    ],
    not_match: [
      'Get-ADUser -Filter *',
      'Get-AzResourceGroup',
      'Get-VM',
      'Stop-VM -Name dev-box',
      'Add-ADGroupMember -Identity "Developers" -Members alice',
      'Invoke-Command -ScriptBlock { Get-Date }',
      String.raw`Clear-Content .\notes.txt`,
      String.raw`Remove-Item .\build -Recurse -Force`,
      'sc query wuauserv',
    ],
  },
  check: (cmd) => adminChange(cmd),
})

export const adminRules: readonly PowerShellRule[] = [adminDestroy]
