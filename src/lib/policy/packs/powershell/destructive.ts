/** PowerShell pack: deleting files, formatting disks, shutting the machine down. */

import {isScratchPath, isWithin, placeWithin} from '../../paths.js'
import {powershellRule} from '../../rules.js'
import {deletedPaths, describe, has, psPlace} from './places.js'

const DELETERS = new Set(['remove-item', '[io.directory]::delete', '[io.file]::delete', 'rmdir'])

export const removeItem = powershellRule({
  id: 'powershell.remove-item',
  decision: 'deny',
  reason: 'PowerShell or cmd deletion outside the workspace (Remove-Item, del, rd, [IO.Directory]::Delete)',
  examples: {
    match: [
      String.raw`Remove-Item C:\Windows\* -Recurse -Force`,
      String.raw`Remove-Item -Path C:\Users -Recurse`,
      String.raw`Remove-Item $env:USERPROFILE\Documents -Recurse`,
      String.raw`Get-ChildItem C:\ -Recurse | Remove-Item -Force`,
      String.raw`ri C:\inetpub -r -fo`,
      String.raw`del /s /q C:\*`,
      String.raw`cmd /c "rd /s /q C:\"`,
      String.raw`[System.IO.Directory]::Delete("C:\data", $true)`,
      String.raw`rm -Recurse -Force C:\data`,
      'Remove-Item $target -Recurse -Force',
    ],
    not_match: [
      String.raw`Remove-Item .\build -Recurse -Force`,
      'Remove-Item node_modules -Recurse -Force',
      'Get-Help Remove-Item',
      String.raw`Write-Output "Remove-Item C:\ -Recurse"`,
      "Select-String -Pattern 'Remove-Item -Recurse' -Path x.ps1",
      String.raw`Remove-Item $env:TEMP\build -Recurse`,
      'rm -rf ./build',
      'git branch -d feature',
    ],
  },
  check(cmd, env) {
    const cmdStyle = cmd.syntax === 'cmd' || /^(?:del|erase|rd|rmdir)$/.test(cmd.written.toLowerCase())
    const isDelete = DELETERS.has(cmd.name) || (cmd.syntax === 'cmd' && /^(?:del|erase|rd|rmdir)$/.test(cmd.name))
    if (!isDelete) return null
    const forced =
      has(cmd, 'recurse', 'force') ||
      (cmdStyle && cmd.args.some((a) => /^\/[sqf]$/i.test(a.text))) ||
      cmd.name.startsWith('[')
    for (const raw of deletedPaths(cmd, env, cmdStyle && cmd.args.some((a) => /^\/[A-Za-z]$/.test(a.text)))) {
      const place = psPlace(raw, env.ctx)
      if (place.kind === 'unknown') {
        if (forced) return `${cmd.written} of a path the engine cannot resolve: ${place.why}`
        continue
      }

      if (
        isScratchPath(place) &&
        !(
          place.kind === 'path' &&
          (isWithin(env.ctx.workspace, place.path) || isWithin(env.ctx.runtimeDir, place.path))
        )
      )
        continue
      if (
        !placeWithin(place, env.ctx.workspace) ||
        (place.kind === 'path' && !place.below && place.path === env.ctx.workspace)
      )
        return `${cmd.written} outside the workspace: ${describe(place, raw)}`
    }

    return null
  },
})

export const formatDisk = powershellRule({
  id: 'powershell.format-disk',
  decision: 'deny',
  reason: 'formats, wipes or repartitions disks, or deletes backups, shadow copies or boot recovery',
  examples: {
    match: [
      'Format-Volume -DriveLetter D',
      'Clear-Disk -Number 1 -RemoveData',
      'format C: /q',
      'vssadmin delete shadows /all /quiet',
      'wmic shadowcopy delete',
      'wbadmin delete catalog -quiet',
      'bcdedit /set {default} recoveryenabled No',
      'diskpart',
    ],
    not_match: [
      'npm run format',
      'prettier --write .',
      'git format-patch HEAD~1',
      'Get-Help Format-Volume',
      'Get-Volume',
    ],
  },
  check(cmd) {
    const a = cmd.args.map((x) => x.text.toLowerCase())
    switch (cmd.name) {
      case 'format-volume':
      case 'clear-disk':
      case 'initialize-disk':
      case 'remove-partition':
      case 'set-partition':
      case 'resize-partition':
      case 'diskpart': {
        return `${cmd.written}: destroys what is on a disk`
      }

      case 'format': {
        return a.some((v) => /^[a-z]:$/.test(v)) ? `format ${a.join(' ')}: erases a drive` : null
      }

      case 'vssadmin': {
        return a[0] === 'delete' || a[0] === 'resize' ? `vssadmin ${a[0]}: deletes shadow copies (backups)` : null
      }

      case 'wmic': {
        return a.includes('shadowcopy') && a.includes('delete') ? 'wmic shadowcopy delete: deletes backups' : null
      }

      case 'wbadmin': {
        return a[0] === 'delete' ? `wbadmin delete ${a[1] ?? ''}: deletes backups` : null
      }

      case 'bcdedit': {
        return a.some((v) => v === '/set' || v === '/delete' || v === '/deletevalue')
          ? 'bcdedit: changes how Windows boots and recovers'
          : null
      }

      case 'cipher': {
        return a.some((v) => /^\/w/.test(v)) ? 'cipher /w: wipes free space' : null
      }

      case 'remove-wmiobject':
      case 'remove-ciminstance': {
        return /shadowcopy/i.test(cmd.text) ? `${cmd.written}: deletes shadow copies` : null
      }

      default: {
        return null
      }
    }
  },
})

export const stopComputer = powershellRule({
  id: 'powershell.stop-computer',
  decision: 'deny',
  reason: 'shuts down or restarts the machine (Stop-Computer, Restart-Computer, shutdown /s)',
  examples: {
    match: ['Stop-Computer -Force', 'Restart-Computer', 'shutdown /s /t 0', 'shutdown.exe /r /f'],
    not_match: ['echo shutdown', 'Get-Computer', 'Write-Host "Stop-Computer would shut it down"'],
  },
  check(cmd) {
    if (cmd.name === 'stop-computer' || cmd.name === 'restart-computer')
      return `${cmd.written}: powers the machine off or restarts it`
    if (cmd.name === 'shutdown' && cmd.args.some((a) => /^[/-][srpfhg]$/i.test(a.text)))
      return `shutdown ${cmd.args.map((a) => a.text).join(' ')}`
    return null
  },
})
