/**
 * Anti-forensics and security switched off (SPEC §4.3): erasing shell history and system logs,
 * turning off auditing, SELinux, AppArmor and platform protections, and killing init or the system
 * daemons that keep the machine (and its records) running.
 */

import type {Cmd} from '../command.js'

import {parseOptions} from '../options.js'
import {describePlace, isScratchPath, type Place, placeWithin} from '../paths.js'
import {type CommandRule, commandRule, type RuleEnv} from '../rules.js'
import {literalWord} from '../words.js'

const HIST_VARS = /^(?:HISTFILE|HISTSIZE|HISTFILESIZE|SAVEHIST|HISTCONTROL|HISTIGNORE)$/

const history = commandRule({
  id: 'forensics.shell-history',
  pack: 'forensics',
  decision: 'deny',
  reason: 'erases or switches off shell history (history -c, unset HISTFILE, HISTFILE=/dev/null, set +o history)',
  examples: {
    match: [
      'history -c',
      'unset HISTFILE',
      'export HISTFILE=/dev/null',
      'HISTSIZE=0',
      "export HISTIGNORE='*'",
      'set +o history',
      'history -d 5',
    ],
    not_match: ['history', 'history | tail', 'echo $HISTFILE', 'set -o pipefail', 'export HISTTIMEFORMAT="%F "'],
  },
  check(cmd) {
    const a = cmd.argv
    if (cmd.name === 'history' && a.some((v) => /^-[A-Za-z]*[cdw]/.test(v) && !/^-[A-Za-z]*[ar]$/.test(v)))
      return `history ${a.join(' ')}: erases shell history`
    if (cmd.name === 'unset' && a.some((v) => HIST_VARS.test(v))) return `unset ${a.join(' ')}: stops recording history`
    if (cmd.name === 'set' && a.some((v, i) => (v === '+o' && a[i + 1] === 'history') || /^\+[A-Za-z]*H/.test(v)))
      return 'set +o history: stops recording history'
    const assigned = [
      ...cmd.assignments.map((x) => ({name: x.name, value: x.value?.value ?? ''})),
      ...(['declare', 'export', 'local', 'readonly', 'typeset'].includes(cmd.name)
        ? a.flatMap((v) => {
            const m = /^([A-Za-z_]\w*)=(.*)$/s.exec(v)
            return m ? [{name: m[1] as string, value: m[2] as string}] : []
          })
        : []),
    ]
    const hit = assigned.find(
      (x) =>
        (x.name === 'HISTFILE' && (x.value === '' || x.value === '/dev/null')) ||
        (/^(?:HISTSIZE|HISTFILESIZE|SAVEHIST)$/.test(x.name) && /^0*$/.test(x.value)) ||
        // `HISTIGNORE='*'`: every command matches, so none is recorded.
        (x.name === 'HISTIGNORE' && /(?:^|:)\*(?::|$)/.test(x.value)),
    )
    return hit ? `${hit.name}=${hit.value}: stops recording history` : null
  },
})

const securityOff = commandRule({
  id: 'forensics.security-off',
  pack: 'forensics',
  decision: 'deny',
  reason: 'clears system logs or switches off auditing, SELinux, AppArmor or platform protections',
  examples: {
    match: [
      'journalctl --vacuum-time=1s',
      'journalctl --vacuum-size=1K',
      'journalctl --rotate --vacuum-files=1',
      'auditctl -D',
      'auditctl -e 0',
      'setenforce 0',
      'aa-teardown',
      'aa-disable /etc/apparmor.d/x',
      'csrutil disable',
      'csrutil authenticated-root disable',
      'spctl --master-disable',
      'utmpdump -r < x > /var/log/wtmp',
    ],
    not_match: [
      'journalctl -u nginx',
      'journalctl --disk-usage',
      'auditctl -l',
      'getenforce',
      'sestatus',
      'aa-status',
      'csrutil status',
    ],
  },
  check(cmd) {
    const a = cmd.argv
    switch (cmd.name) {
      case 'journalctl': {
        const hit = a.find((v) => v.startsWith('--vacuum-'))
        return hit === undefined ? null : `journalctl ${hit}: deletes system journal entries`
      }

      case 'auditctl': {
        if (a.includes('-D')) return 'auditctl -D: deletes every audit rule'
        if (a.some((v, i) => (v === '-e' && a[i + 1] === '0') || v === '-e0'))
          return 'auditctl -e 0: switches auditing off'
        return null
      }

      case 'setenforce': {
        return a.some((v) => /^(?:0|permissive)$/i.test(v)) ? 'setenforce 0: switches SELinux enforcement off' : null
      }

      case 'aa-teardown':
      case 'aa-disable':
      case 'aa-complain': {
        return `${cmd.name}: switches AppArmor protection off`
      }

      case 'apparmor_parser': {
        return a.some((v) => /^-[A-Za-z]*R$|^--remove$/.test(v))
          ? 'apparmor_parser -R: unloads AppArmor profiles'
          : null
      }

      case 'csrutil': {
        // `csrutil disable`, `csrutil authenticated-root disable`, `csrutil enable --without fs`.
        return a.includes('disable') || a.includes('--without') || a[0] === 'clear'
          ? `csrutil ${a.join(' ')}: switches System Integrity Protection off`
          : null
      }

      case 'spctl': {
        return a.some((v) => /^--master-disable$|^--global-disable$|^--disable$/.test(v))
          ? 'spctl: switches Gatekeeper off'
          : null
      }

      case 'utmpdump': {
        return a.includes('-r') ? 'utmpdump -r: rewrites login records' : null
      }

      default: {
        return null
      }
    }
  },
  programs: [
    'journalctl',
    'auditctl',
    'setenforce',
    'aa-teardown',
    'aa-disable',
    'aa-complain',
    'apparmor_parser',
    'csrutil',
    'spctl',
    'utmpdump',
  ],
})

/** Processes the machine, its logs or its containers depend on; killing them is sabotage. */
const SYSTEM_DAEMONS = new RegExp(
  String.raw`^(?:init|systemd(?:-[\w-]+)?|sshd?|dbus-daemon|dbus-broker|dbus|` +
    String.raw`auditd|rsyslogd?|syslog-ng|syslogd|journald|cron|crond|atd|anacron|` +
    String.raw`dockerd|containerd(?:-shim\S*)?|kubelet|kube-\w+|etcd|NetworkManager|` +
    String.raw`wpa_supplicant|polkitd|udevd|Xorg|Xwayland|gdm3?|sddm|lightdm|` +
    String.raw`launchd|cupsd|firewalld|chronyd|ntpd|snapd|networkd|resolved|` +
    String.raw`logind|agetty|getty|login|udisksd|upowerd|accounts-daemon|avahi-daemon|` +
    String.raw`postgres|mysqld|mongod|redis-server|nginx|apache2|httpd)$`,
)

/** The desktop session (and Windows' own processes): killing one logs the user out or leaves the screen dead. */
const DESKTOP_SESSION = new RegExp(
  String.raw`^(?:gnome-shell|gnome-session(?:-binary)?|plasmashell|kwin_(?:x11|wayland)|ksmserver|mutter|` +
    String.raw`xfce4-session|xfwm4|cinnamon|Xquartz|WindowServer|loginwindow|Finder|Dock|SystemUIServer|` +
    String.raw`explorer|dwm|lsass|csrss|winlogon|wininit|smss|svchost)(?:\.exe)?$`,
  'i',
)

function killedNames(cmd: Cmd): string[] {
  const parsed = parseOptions(cmd.args, {
    shortValue: 'sugtPGUFcaen',
    longValue: ['signal', 'user', 'group', 'uid', 'terminal', 'parent', 'pgroup', 'session', 'ns', 'nslist'],
  })
  const full = parsed.flags.has('-f') || parsed.flags.has('--full')
  const out: string[] = []
  for (const w of parsed.operands) {
    if (full) out.push(...w.value.split(/[\s/]+/))
    else out.push(w.value)
  }

  return out
}

/** The PIDs `kill` is given, and whether each came from a process finder (and which names it looked for). */
function killTargets(cmd: Cmd, env: RuleEnv): {finders: string[]; pids: string[]} {
  const a = cmd.argv
  let i = 0
  if (a[0] === '-s' || a[0] === '-n' || a[0] === '--signal') i = 2
  else if (a[0] !== undefined && a[0].startsWith('-') && a[0] !== '--' && !/^-\d+$/.test(a[0] ?? '')) i = 1
  else if (a[0] !== undefined && /^-\d+$/.test(a[0]) && a.length > 1) i = 1
  if (a[i] === '--') i++
  const pids = a.slice(i)
  const finders: string[] = []
  for (const w of cmd.args) {
    for (const u of w.units) {
      if (u.dyn?.group === undefined) continue
      for (const c of env.groupCommands(u.dyn.group)) {
        if (/^(?:pidof|pgrep|pkill)$/.test(c.name)) finders.push(...c.argv.filter((v) => !v.startsWith('-')))
      }
    }
  }

  if (cmd.viaNames.includes('xargs'))
    for (const p of env.producers(cmd))
      if (/^(?:pidof|pgrep)$/.test(p.name)) finders.push(...p.argv.filter((v) => !v.startsWith('-')))
  return {pids, finders}
}

const killSystem = commandRule({
  id: 'forensics.kill-system',
  pack: 'forensics',
  decision: 'deny',
  reason:
    'kills init, a system daemon (sshd, journald, dockerd …) or the desktop session (gnome-shell, Finder, ' +
    'explorer): takes the machine, its records or the user session down',
  programs: ['kill', 'pkill', 'killall', 'skill', 'slay'],
  examples: {
    match: [
      'kill -9 1',
      'kill -SIGKILL 1',
      'kill -s KILL 1',
      'pkill -9 -x systemd',
      'killall -9 sshd',
      'pkill -f sshd',
      'kill -9 $(pidof sshd)',
      'killall -HUP init',
      'killall -9 gnome-shell',
      'killall WindowServer',
      'killall explorer.exe',
      'pkill -x loginwindow',
    ],
    not_match: [
      'kill 12345',
      'kill -9 4242',
      'pkill -f my-server',
      'killall node-dev',
      'kill %1',
      'kill -1 4242',
      'killall docker-finder',
      'pkill -x my-explorer',
    ],
  },
  check(cmd, env) {
    if (cmd.name === 'kill') {
      const {pids, finders} = killTargets(cmd, env)
      if (pids.includes('1')) return 'kill 1: signals init, which takes the whole machine down'
      const daemon = finders.find((n) => SYSTEM_DAEMONS.test(n))
      if (daemon) return `kill of ${daemon}: a system daemon`
      const session = finders.find((n) => DESKTOP_SESSION.test(n))
      return session ? `kill of ${session}: ends the desktop session` : null
    }

    const names = killedNames(cmd)
    const daemon = names.find((n) => SYSTEM_DAEMONS.test(n))
    if (daemon) return `${cmd.name} ${daemon}: kills a system daemon`
    const session = names.find((n) => DESKTOP_SESSION.test(n))
    return session
      ? `${cmd.name} ${session}: kills the desktop session (the user is logged out or left without a screen)`
      : null
  },
})

/** Files whose times are the record of what happened: logs, shell history, login records. */
const RECORD_FILE = /(?:\.log(?:\.\d+)?|_history|\/(?:wtmp|btmp|utmp|lastlog|faillog)|\/log\/[^/]*)$/

/** `touch -r ref`, `-d date`, `-t stamp`: the option that sets a chosen time, and its value. */
function touchTimes(a: readonly string[]): {operands: string[]; ref: null | string; sets: boolean} {
  let ref: null | string = null
  let sets = false
  const operands: string[] = []
  for (let i = 0; i < a.length; i++) {
    const v = a[i] as string
    if (v === '--') {
      operands.push(...a.slice(i + 1))
      break
    }

    const long = /^--(reference|date|time)(?:=(.*))?$/.exec(v)
    if (long) {
      const value = long[2] ?? a[++i] ?? ''
      if (long[1] === 'reference') ref = value
      if (long[1] !== 'time') sets = true
      continue
    }

    const short = /^-[acfhm]*([rdtAB])(.*)$/.exec(v)
    if (short) {
      const value = short[2] === '' ? (a[++i] ?? '') : (short[2] as string)
      if (short[1] === 'r') ref = value
      sets = true
      continue
    }

    if (!v.startsWith('-') || v === '-') operands.push(v)
  }

  return {operands, ref, sets}
}

const timestomp = commandRule({
  id: 'forensics.timestomp',
  pack: 'forensics',
  decision: 'deny',
  reason:
    'forges file times (touch -r/-d/-t) on system files or logs, or copies them from a system file: hides changes',
  programs: ['touch'],
  examples: {
    match: [
      'touch -r /etc/passwd /etc/shadow',
      'touch -r /bin/ls ./backdoor',
      "touch -d '2001-01-01' /var/log/auth.log",
      'touch -t 200101010000 /usr/bin/sudo',
      'touch --reference=/etc/hosts ~/.bashrc',
      'touch -a -m -t 202001010000 ~/.bash_history',
      'touch -d "2 years ago" ./logs/app.log',
    ],
    not_match: [
      'touch -r a b',
      'touch -d "1 hour ago" ./src/x.ts',
      'touch /tmp/x',
      'touch file',
      'touch -t 0101 /tmp/a',
    ],
  },
  check(cmd, env) {
    const {operands, ref, sets} = touchTimes(cmd.argv)
    if (!sets) return null
    const outside = (p: Place): boolean =>
      p.kind !== 'unknown' && !placeWithin(p, env.ctx.workspace) && !isScratchPath(p)
    if (ref !== null) {
      const place = env.places(cmd, literalWord(ref)).find((p) => outside(p))
      if (place !== undefined) return `touch -r ${describePlace(place)}: copies a system file's times (timestomping)`
    }

    const words = cmd.args.filter((w) => operands.includes(w.value))
    for (const w of words) {
      for (const place of env.places(cmd, w)) {
        if (place.kind === 'unknown') continue
        if (outside(place) || RECORD_FILE.test(place.path))
          return `touch sets a chosen time on ${describePlace(place)}: hides when it changed`
      }
    }

    return null
  },
})

export const forensicsPack: readonly CommandRule[] = [history, securityOff, killSystem, timestomp]
