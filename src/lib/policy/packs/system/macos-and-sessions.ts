/**
 * System pack: macOS system and security settings (`defaults write` to system domains or security
 * preferences, `pmset`, `systemsetup -set…`, `nvram`, `fdesetup`, `tccutil`), and ending other
 * users' login sessions (`loginctl terminate-user`, `pkill -t`, `skill -u`). Looking (`defaults read`,
 * `pmset -g`, `loginctl list-sessions`) stays the operator's call.
 */

import type {Cmd} from '../../command.js'

import {commandRule} from '../../rules.js'

/** Preference domains that hold security or machine-wide state. */
const SECURITY_DOMAIN = new RegExp(
  String.raw`^com\.apple\.(?:LaunchServices|alf|security(?:[\w.]*)|screensaver|loginwindow|SoftwareUpdate|` +
    String.raw`commerce|TCC|sharingd|AppleFileServer|RemoteManagement|RemoteDesktop|systempolicy[\w.]*|` +
    String.raw`MCX|TimeMachine|smb\.server|AssetCache|applicationaccess|NetworkBrowser|Safari\.SandboxBroker)$`,
  'i',
)
/** A domain given as a file outside the user's own preferences. */
const SYSTEM_DOMAIN_PATH = /^\/(?:Library|System|private|var|etc)\//
/** Keys that switch a protection off wherever they are written. */
const SECURITY_KEY = /^(?:LSQuarantine|askForPassword(?:Delay)?|GKAutoRearm|AutomaticCheckEnabled|globalstate)$/i
const DEFAULTS_WRITES = new Set(['write', 'delete', 'import', 'rename'])

function defaultsWrite(a: readonly string[]): null | string {
  // `defaults [-currentHost | -host h] write domain key value`
  const verbAt = a.findIndex((v, i) => !v.startsWith('-') && a[i - 1] !== '-host')
  const verb = a[verbAt]
  if (verb === undefined || !DEFAULTS_WRITES.has(verb)) return null
  const domain = a[verbAt + 1] ?? ''
  const key = a[verbAt + 2] ?? ''
  if (SYSTEM_DOMAIN_PATH.test(domain)) return `defaults ${verb} ${domain}: changes machine-wide preferences`
  if (SECURITY_DOMAIN.test(domain)) return `defaults ${verb} ${domain}: changes a security setting`
  return SECURITY_KEY.test(key) ? `defaults ${verb} ${domain} ${key}: switches a protection off` : null
}

function macos(cmd: Cmd): null | string {
  const a = cmd.argv
  switch (cmd.name) {
    case 'defaults': {
      return defaultsWrite(a)
    }

    case 'pmset': {
      // `pmset -g …` only looks; anything else changes power, sleep or wake settings of the machine.
      return a.length === 0 || a[0] === '-g' ? null : `pmset ${a.join(' ')}: changes the machine's power settings`
    }

    case 'systemsetup': {
      const set = a.find((v) => /^-set/i.test(v))
      return set === undefined ? null : `systemsetup ${set}: changes a machine-wide setting`
    }

    case 'nvram': {
      const writes = a.some((v) => /^-[A-Za-z]*[cdf]/.test(v) || (!v.startsWith('-') && v.includes('=')))
      return writes ? `nvram ${a.join(' ')}: changes firmware variables` : null
    }

    case 'fdesetup': {
      return a[0] === 'disable' || a[0] === 'removeuser' ? `fdesetup ${a[0]}: switches disk encryption off` : null
    }

    case 'tccutil': {
      return a[0] === 'reset' ? 'tccutil reset: clears privacy permissions' : null
    }

    default: {
      return null
    }
  }
}

export const macosSettings = commandRule({
  id: 'system.macos-settings',
  pack: 'system',
  decision: 'deny',
  reason: 'changes macOS system or security settings (system preference domains, power, firmware, encryption)',
  programs: ['defaults', 'pmset', 'systemsetup', 'nvram', 'fdesetup', 'tccutil'],
  examples: {
    match: [
      'defaults write /Library/Preferences/com.apple.loginwindow GuestEnabled -bool true',
      'defaults write com.apple.LaunchServices LSQuarantine -bool false',
      'defaults -currentHost write com.apple.screensaver askForPassword -int 0',
      'defaults write com.apple.alf globalstate -int 0',
      'defaults delete /Library/Preferences/com.apple.SoftwareUpdate',
      'pmset -a sleep 0',
      'pmset disablesleep 1',
      'systemsetup -setremotelogin on',
      'nvram boot-args="-v"',
      'fdesetup disable',
      'tccutil reset All',
    ],
    not_match: [
      'defaults read com.apple.dock',
      'defaults write com.apple.dock autohide -bool true',
      'defaults write -g ApplePressAndHoldEnabled -bool false',
      'defaults read /Library/Preferences/com.apple.loginwindow',
      'pmset -g batt',
      'systemsetup -getremotelogin',
      'nvram -p',
      'fdesetup status',
    ],
  },
  check: (cmd) => macos(cmd),
})

const SESSION_VERBS = /^(?:terminate-user|terminate-session|terminate-seat|kill-user|kill-session)$/

export const endSessions = commandRule({
  id: 'system.end-sessions',
  pack: 'system',
  decision: 'deny',
  reason: "ends users' login sessions and every process in them",
  programs: ['loginctl', 'pkill', 'skill', 'slay'],
  examples: {
    match: [
      'loginctl terminate-user alice',
      'loginctl terminate-session 3',
      'loginctl kill-session 3 --signal=KILL',
      'loginctl kill-user bob',
      'pkill -KILL -t pts/1',
      'pkill -9 --terminal tty2',
      'skill -KILL -u alice',
      'slay bob',
    ],
    not_match: [
      'loginctl list-sessions',
      'loginctl show-user alice',
      'loginctl lock-session',
      'pkill -f myserver',
      'skill -l',
    ],
  },
  check(cmd) {
    const a = cmd.argv
    switch (cmd.name) {
      case 'loginctl': {
        const verb = a.find((v) => !v.startsWith('-'))
        return verb !== undefined && SESSION_VERBS.test(verb) ? `loginctl ${verb}: ends login sessions` : null
      }

      case 'pkill': {
        const tty = a.find((v) => /^-t|^--terminal/.test(v))
        return tty === undefined ? null : 'pkill -t: kills every process on a terminal (a login session)'
      }

      case 'skill': {
        return a.some((v) => /^-[ut]$|^--(?:user|tty)/.test(v)) ? "skill: kills a user's or terminal's processes" : null
      }

      default: {
        return `${cmd.name}: kills every process of a user`
      }
    }
  },
})
