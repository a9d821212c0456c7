/**
 * The seed's PowerShell rules as a pack of their own (SPEC §4.3), judging tokenised PowerShell and
 * cmd.exe commands (powershell.ts), never text: `Write-Output "Format-Volume is dangerous"` and
 * `Get-Help Remove-Item` are data and help, and `Remove-Item .\build -Recurse -Force` is judged with
 * the same workspace-aware path logic as bash's `rm -rf ./build` (asked, not refused).
 *
 * A blocked request keeps the seed's audit form `deny:<rule id>`.
 */

import type {PowerShellRule} from '../../rules.js'

import {adminRules} from './admin.js'
import {download, encodedCommand, executionPolicy, invokeExpression, webRequest} from './code.js'
import {formatDisk, removeItem, stopComputer} from './destructive.js'
import {evasionRules} from './evasion.js'
import {hostRules} from './host.js'
import {lolbinRules} from './lolbins.js'
import {machineDamageRules} from './machine-damage.js'
import {persistenceRules} from './persistence.js'
import {secretsAndRemotingRules} from './secrets-and-remoting.js'
import {credentials, defences, stopProcess, systemChanges} from './system.js'
import {theftRules} from './theft.js'

export {hostCommandRules} from './host.js'
export {psPlace} from './places.js'

export const powershellPack: readonly PowerShellRule[] = [
  removeItem,
  formatDisk,
  stopComputer,
  invokeExpression,
  download,
  webRequest,
  executionPolicy,
  encodedCommand,
  systemChanges,
  defences,
  stopProcess,
  credentials,
  ...hostRules,
  ...secretsAndRemotingRules,
  ...adminRules,
  ...persistenceRules,
  ...evasionRules,
  ...lolbinRules,
  ...machineDamageRules,
  ...theftRules,
]
