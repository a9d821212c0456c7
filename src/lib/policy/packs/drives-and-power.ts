/**
 * Erasing drives and powering the machine off through tools the disk and power rules (destructive.ts)
 * do not name (issue 12): NVMe and SCSI erase commands, and shutdown asked of logind over D-Bus or of
 * macOS through AppleScript.
 */

import {commandRule, type CommandRule} from '../rules.js'

/** `nvme` subcommands that erase or remove what a drive holds (reading it, `list`, `smart-log`, stays ask). */
const NVME_ERASE = /^(?:format|sanitize|delete-ns|detach-ns|create-ns|fw-download|fw-commit|fw-activate|security-send)$/
/** sg3_utils and friends that erase or unmap the whole device. */
const SCSI_ERASE = new Set(['sg_format', 'sg_sanitize', 'sg_unmap', 'sedutil-cli', 'secure-erase'])

export const driveErase = commandRule({
  id: 'destructive.drive-erase',
  pack: 'destructive',
  decision: 'deny',
  reason: 'erases a drive or a namespace of it in firmware (NVMe format/sanitize, SCSI format): nothing comes back',
  programs: ['nvme', ...SCSI_ERASE],
  examples: {
    match: [
      'nvme format /dev/nvme0n1',
      'sudo nvme format --ses=1 /dev/nvme0n1',
      'nvme sanitize /dev/nvme0n1 -a 2',
      'nvme delete-ns /dev/nvme0 -n 1',
      'sg_format --format /dev/sg0',
      'sg_sanitize --crypto /dev/sg1',
      'sedutil-cli --PSIDrevert ABCDEF /dev/sda',
    ],
    not_match: ['nvme list', 'nvme smart-log /dev/nvme0', 'nvme id-ctrl /dev/nvme0', 'nvme help', 'sg_format --help'],
  },
  check(cmd) {
    if (cmd.name === 'nvme') {
      const verb = cmd.argv.find((v) => !v.startsWith('-'))
      return verb !== undefined && NVME_ERASE.test(verb) ? `nvme ${verb}: erases the drive in firmware` : null
    }

    if (cmd.argv.length > 0 && cmd.argv.every((v) => /^(?:-h|--help|-V|--version)$/.test(v))) return null
    return `${cmd.name}: erases the whole device`
  },
})

/** The power methods of logind and systemd, and the desktop session managers' log-out and shutdown. */
const DBUS_POWER = new RegExp(
  String.raw`(?:^|[.\s])(?:PowerOff|Reboot|Halt|Suspend|Hibernate|HybridSleep|SuspendThenHibernate|KExec|` +
    String.raw`PowerOffWithFlags|RebootWithFlags|HaltWithFlags|SuspendWithFlags|HibernateWithFlags|` +
    String.raw`Shutdown|RequestShutdown|RequestReboot|Logout|TerminateSession|KillSession|TerminateUser|KillUser)$`,
)
const DBUS_POWER_SERVICE =
  /org\.freedesktop\.(?:login1|systemd1)|org\.gnome\.SessionManager|org\.kde\.(?:ksmserver|Shutdown)/

/** `tell app "System Events" to shut down`, `tell application "Finder" to restart`. */
const APPLESCRIPT_POWER = /\bto\s+(?:shut\s*down|restart|sleep|log\s*out)\b|«event\s+aevt(?:shut|rrst|rlgo)»/i

export const powerRequests = commandRule({
  id: 'destructive.power-request',
  pack: 'destructive',
  decision: 'deny',
  reason: 'asks the system (logind over D-Bus, or macOS through AppleScript) to shut down, reboot, suspend or log out',
  programs: ['dbus-send', 'busctl', 'gdbus', 'qdbus', 'qdbus6', 'dbus-send.exe', 'osascript', 'rtcwake'],
  examples: {
    match: [
      'dbus-send --system --print-reply --dest=org.freedesktop.login1 /org/freedesktop/login1 ' +
        'org.freedesktop.login1.Manager.PowerOff boolean:true',
      'busctl call org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager Reboot b true',
      'gdbus call --system --dest org.freedesktop.login1 --object-path /org/freedesktop/login1 ' +
        '--method org.freedesktop.login1.Manager.Suspend true',
      `osascript -e 'tell app "System Events" to shut down'`,
      `osascript -e 'tell application "Finder" to restart'`,
      `osascript -e 'tell application "System Events" to log out'`,
      'rtcwake -m off -s 60',
    ],
    not_match: [
      'busctl list',
      'busctl status org.freedesktop.login1',
      'dbus-send --session --dest=org.freedesktop.Notifications /x org.freedesktop.Notifications.Notify',
      'gdbus introspect --system --dest org.freedesktop.login1 --object-path /org/freedesktop/login1',
      `osascript -e 'display notification "done"'`,
      `osascript -e 'tell application "Safari" to activate'`,
    ],
  },
  check(cmd) {
    // `rtcwake -m off|mem|disk|standby` powers the machine down (to wake later); `-m no`/`show` only set or read.
    if (cmd.name === 'rtcwake') {
      const mode = cmd.argv.find((v, i) => /^(?:-m|--mode)$/.test(cmd.argv[i - 1] ?? '') || v.startsWith('--mode='))
      const m = mode?.replace(/^--mode=/, '')
      return m !== undefined && /^(?:off|mem|disk|standby|freeze)$/.test(m)
        ? `rtcwake -m ${m}: powers the machine down`
        : null
    }

    if (cmd.name === 'osascript') {
      const script = cmd.argv.find((v) => APPLESCRIPT_POWER.test(v))
      return script === undefined ? null : 'osascript: tells macOS to shut down, restart, sleep or log out'
    }

    if (!cmd.argv.some((v) => DBUS_POWER_SERVICE.test(v))) return null
    const method = cmd.argv.find((v) => DBUS_POWER.test(v))
    return method === undefined
      ? null
      : `${cmd.name} ${method.replace(/^.*\./, '')}: asks the system to power off or end sessions`
  },
})

const POWER_VERBS = new Set([
  'poweroff',
  'reboot',
  'halt',
  'suspend',
  'hibernate',
  'hybrid-sleep',
  'suspend-then-hibernate',
  'kexec',
  'rescue',
  'emergency',
  'soft-reboot',
])

/** Kept in the destructive pack (its id says so); here beside the other ways to power the machine down. */
export const power = commandRule({
  id: 'destructive.power',
  pack: 'destructive',
  decision: 'deny',
  reason: 'shuts down, reboots or changes the run level of the machine',
  programs: ['shutdown', 'reboot', 'halt', 'poweroff', 'init', 'telinit', 'systemctl', 'loginctl', 'kexec', 'uadmin'],
  examples: {
    match: [
      'shutdown -h now',
      'sudo reboot',
      'halt',
      'poweroff',
      'init 0',
      'telinit 6',
      'systemctl poweroff',
      'systemctl reboot -i',
      'loginctl reboot',
    ],
    not_match: ['systemctl status nginx', 'echo reboot', 'init --version'],
  },
  check(cmd) {
    switch (cmd.name) {
      case 'init':
      case 'telinit': {
        return cmd.argv.some((a) => /^[0-6sSqQ]$/.test(a))
          ? `${cmd.name} ${cmd.argv.join(' ')}: changes the run level`
          : null
      }

      case 'systemctl':
      case 'loginctl': {
        const verb = cmd.argv.find((a) => !a.startsWith('-'))
        return verb !== undefined && POWER_VERBS.has(verb) ? `${cmd.name} ${verb}` : null
      }

      case 'kexec': {
        return cmd.argv.some((a) => a === '-e' || a === '--exec')
      }

      default: {
        return `${cmd.name}: powers off or restarts the machine`
      }
    }
  },
})

export const drivesAndPowerRules: readonly CommandRule[] = [driveErase, powerRequests]
