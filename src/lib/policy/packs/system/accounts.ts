/** System pack: running with other privileges, and changing users and groups. */

import type {Cmd} from '../../command.js'

import {commandRule} from '../../rules.js'

const PRIVILEGE = new Set([
  'sudo',
  'su',
  'doas',
  'pkexec',
  'runuser',
  'sudoedit',
  'run0',
  'setpriv',
  'capsh',
  'chroot',
  'nsenter',
  'unshare',
  'ksu',
  'calife',
  'dzdo',
  'pbrun',
  'sg',
  'newgrp',
  'machinectl',
])

/** Wrappers judged by the command they run: they only ask (see `asRoot`), the command decides. */
const SUDO = new Set(['sudo', 'doas'])
/** Commands that only look, whoever runs them (the other rules still judge what they read). */
const LOOKS: Readonly<Record<string, (a: readonly string[], verbs: readonly string[]) => boolean>> = {
  iptables: (a) => a.some((v) => /^-[A-Za-z]*[LS]|^--list/.test(v)) && !a.some((v) => /^-[A-Za-z]*[FXZDAIPN]/.test(v)),
  ip6tables: (a) => LOOKS.iptables?.(a, []) ?? false,
  nft: (_a, v) => v[0] === 'list',
  systemctl: (_a, v) => v.length === 0 || /^(?:status|show|cat|list-[\w-]+|is-[\w-]+)$/.test(v[0] ?? ''),
  journalctl: (a) => !a.some((v) => /^--(?:vacuum|rotate|flush|relinquish)/.test(v)),
  docker: (_a, v) => /^(?:ps|images|logs|inspect|stats|top|version|info|events|port|diff|history)$/.test(v[0] ?? ''),
  podman: (a, v) => LOOKS.docker?.(a, v) ?? false,
  ip: (_a, v) => v.length <= 1 || /^(?:show|list|ls|get)$/.test(v[1] ?? ''),
  ...Object.fromEntries(
    [
      'ls',
      'lsof',
      'ss',
      'netstat',
      'ps',
      'top',
      'htop',
      'dmesg',
      'du',
      'df',
      'stat',
      'file',
      'lsblk',
      'blkid',
      'id',
      'whoami',
      'wc',
      'head',
      'tail',
      'less',
      'grep',
      'uptime',
      'free',
      'lsmod',
      'lspci',
      'lsusb',
      'dmidecode',
    ].map((n) => [n, (): boolean => true]),
  ),
}

function readsOnly(cmd: Cmd): boolean {
  const look = LOOKS[cmd.name]
  if (look === undefined || cmd.code !== undefined) return false
  return look(
    cmd.argv,
    cmd.argv.filter((v) => !v.startsWith('-')),
  )
}

/** `sudo` with no command: listing and cache flags are fine, a login shell or an editor as root is not. */
function sudoAlone(argv: readonly string[]): null | string {
  const flags = argv.filter((a) => a.startsWith('-'))
  if (
    argv.length > 0 &&
    flags.every((a) =>
      /^-(?:[lvkKVhn]+|-list|-validate|-reset-timestamp|-remove-timestamp|-version|-help|-non-interactive|U)$/.test(a),
    )
  )
    return null
  return `sudo ${argv.join(' ')}: a root shell or an editor as root`.trim()
}

export const privilege = commandRule({
  id: 'system.privilege-escalation',
  pack: 'system',
  decision: 'deny',
  reason: 'runs with other privileges (sudo, su, doas, pkexec …), unless sudo only looks (sudo iptables -L)',
  examples: {
    match: [
      'sudo apt-get install x',
      'sudo -u root -- make install',
      'su -',
      'su root -c "id"',
      'doas sh',
      'pkexec bash',
      'env sudo -i',
      'timeout 5 sudo -s',
      'chroot /mnt /bin/sh',
      'sudo -i',
      'sudo su -',
      'sudo bash',
      'sudo -s',
    ],
    not_match: ['echo sudo', 'grep sudo /var/log/auth.log', 'man sudo', 'sudo -l', 'sudo iptables -L -n'],
  },
  check(cmd) {
    if (SUDO.has(cmd.name)) return sudoAlone(cmd.argv)
    if (PRIVILEGE.has(cmd.name)) return `runs with other privileges: ${cmd.name}`
    const wrapper = cmd.viaNames.find((n) => PRIVILEGE.has(n))
    if (wrapper === undefined) return null
    // `sudo iptables -L`, `sudo journalctl -u x`: looking at the system as root is the operator's
    // call (asked by `asRoot`); anything else run as root is refused here, whatever else judges it.
    if (SUDO.has(wrapper) && cmd.viaNames.every((n) => !PRIVILEGE.has(n) || SUDO.has(n)) && readsOnly(cmd)) return null
    return `runs with other privileges: ${wrapper}`
  },
})

export const users = commandRule({
  id: 'system.users-and-groups',
  pack: 'system',
  decision: 'deny',
  reason: 'creates, changes or deletes users, groups or passwords',
  programs: [
    'useradd',
    'userdel',
    'usermod',
    'adduser',
    'deluser',
    'addgroup',
    'delgroup',
    'groupadd',
    'groupdel',
    'groupmod',
    'gpasswd',
    'passwd',
    'chpasswd',
    'chage',
    'chsh',
    'chfn',
    'vipw',
    'vigr',
    'visudo',
    'newusers',
    'pwconv',
    'dscl',
    'sysadminctl',
  ],
  examples: {
    match: [
      'useradd -m eve',
      'usermod -aG sudo eve',
      'passwd',
      'echo "root:x" | chpasswd',
      'groupadd admins',
      'visudo',
    ],
    not_match: ['id', 'groups', 'whoami', 'getent passwd eve'],
  },
  check: (cmd) => `${cmd.name}: changes users or groups`,
})

/** Whatever `sudo` runs is judged by the other rules; running it as root is still the operator's call. */
export const asRoot = commandRule({
  id: 'system.runs-as-root',
  pack: 'system',
  decision: 'ask',
  reason: 'runs as root (sudo, doas): an operator decides',
  examples: {
    match: ['sudo iptables -L -n', 'sudo systemctl status nginx', 'doas ls /root', 'sudo -l'],
    not_match: ['ls', 'echo sudo', 'sudo apt-get update'],
  },
  check(cmd, env) {
    const wrapper = cmd.viaNames.find((n) => SUDO.has(n)) ?? (SUDO.has(cmd.name) ? cmd.name : undefined)
    // Only where the privilege rule let it through: a refusal needs no second, softer match.
    if (wrapper === undefined || privilege.check(cmd, env)) return null
    return `runs as root through ${wrapper}`
  },
})
