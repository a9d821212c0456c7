/**
 * The built-in packs (SPEC §4.3), in the order their rules are tried: when several deny one command,
 * the first decides, so the most specific explanation comes first (self-protection before the
 * generic "system path" rule, the shell-aware packs before the PowerShell regular expressions).
 */

import type {PackName, Rule} from '../rules.js'

import {bypassPack} from './bypass/index.js'
import {cloudDestroyRules} from './cloud-destroy.js'
import {cloudExposureRules} from './cloud-exposure.js'
import {cloudGuardrailRules} from './cloud-guardrails.js'
import {credentialsPack} from './credentials/index.js'
import {destructivePack} from './destructive.js'
import {displayRules} from './display-and-sockets.js'
import {drivesAndPowerRules} from './drives-and-power.js'
import {engineRules} from './engine.js'
import {forensicsPack} from './forensics.js'
import {gitInternals} from './git-internals.js'
import {gitRemovalRules} from './git-removals.js'
import {hiddenDeleter} from './hidden-name.js'
import {keysAndDnsRules} from './keys-and-dns.js'
import {listingRules} from './listings.js'
import {machineRules} from './machines.js'
import {moveRules} from './moves.js'
import {packageSettings} from './package-settings.js'
import {packageRules} from './packages.js'
import {hostCommandRules, powershellPack} from './powershell/index.js'
import {publishingRules} from './publishing.js'
import {remotePack} from './remote.js'
import {runawayRules} from './runaway.js'
import {selfPack} from './self.js'
import {stackAndStoreRules} from './stack-and-store-wipes.js'
import {systemPack} from './system/index.js'
import {windowsCommandRules, windowsRules} from './windows.js'

export interface Pack {
  readonly description: string
  readonly name: 'engine' | PackName
  /** Whether the policy file may switch it off. */
  readonly optional: boolean
  readonly rules: readonly Rule[]
}

export const BUILTIN_PACKS: readonly Pack[] = [
  {
    name: 'engine',
    description: 'fail-closed checks of the engine itself (parse errors, budgets, opaque names, hidden characters)',
    optional: false,
    rules: engineRules,
  },
  {
    name: 'self',
    description: "the hub's runtime directory, tokens, policy file, variables, CLI and daemon",
    optional: false,
    rules: selfPack,
  },
  {
    name: 'destructive',
    description:
      "deleting outside the workspace, disk tools, device writes, power, fork bombs, git's local history, " +
      'databases, infrastructure and containers',
    optional: true,
    rules: [
      ...destructivePack,
      ...runawayRules,
      hiddenDeleter,
      ...cloudDestroyRules,
      ...stackAndStoreRules,
      ...drivesAndPowerRules,
      ...gitRemovalRules,
      gitInternals,
      ...listingRules,
      ...machineRules,
      ...moveRules,
    ],
  },
  {
    name: 'forensics',
    description: 'erasing shell history and logs, switching off auditing and security modules, killing system daemons',
    optional: true,
    rules: [...forensicsPack, ...hostCommandRules],
  },
  {
    name: 'credentials',
    description: 'key and secret files, .env files, environment dumps, keychains',
    optional: true,
    rules: credentialsPack,
  },
  {
    name: 'bypass',
    description:
      'decode-and-run, download-and-run, eval of built strings, inline interpreters, /dev/tcp, loader injection',
    optional: true,
    rules: [...bypassPack, ...packageRules, packageSettings, ...windowsCommandRules],
  },
  {
    name: 'remote',
    description:
      'remote shells, listeners, uploads and exfiltration, force pushes; downloads, git push and cloud CLIs are asked',
    optional: true,
    rules: [...remotePack, ...publishingRules, ...keysAndDnsRules.filter((r) => r.pack === 'remote'), ...displayRules],
  },
  {
    name: 'system',
    description:
      'privilege escalation, services, scheduled jobs, users, firewall, mounts, kernel, packages, system paths',
    optional: true,
    rules: [
      ...systemPack,
      ...cloudGuardrailRules,
      ...cloudExposureRules,
      ...keysAndDnsRules.filter((r) => r.pack === 'system'),
    ],
  },
  {
    name: 'powershell',
    description: "the seed's PowerShell rules, as regular expressions over the raw text",
    optional: true,
    rules: [...powershellPack, ...windowsRules],
  },
]
