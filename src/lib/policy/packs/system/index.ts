/**
 * System modification pack (SPEC §4.3): privilege escalation, services, scheduled jobs, users and
 * groups, firewall and network configuration, mounts, kernel modules and settings, system packages,
 * permissions on and writes to system paths, and shell start-up files (persistence).
 */

import type {CommandRule} from '../../rules.js'

import {asRoot, privilege, users} from './accounts.js'
import {mounts, pathHijack, setuid, startupFiles, systemEdit, systemPerms, systemWrite} from './files.js'
import {containerEscape, hostSettings, kernel, packages} from './host.js'
import {endSessions, macosSettings} from './macos-and-sessions.js'
import {firewall, networkConfig} from './network.js'
import {scheduled, services} from './services.js'

export const systemPack: readonly CommandRule[] = [
  privilege,
  asRoot,
  services,
  scheduled,
  users,
  firewall,
  networkConfig,
  mounts,
  setuid,
  systemPerms,
  systemWrite,
  systemEdit,
  startupFiles,
  pathHijack,
  kernel,
  packages,
  hostSettings,
  containerEscape,
  macosSettings,
  endSessions,
]
