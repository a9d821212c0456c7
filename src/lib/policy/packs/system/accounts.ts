/** System pack: running with other privileges, and changing users and groups. */

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

export const privilege = commandRule({
  id: 'system.privilege-escalation',
  pack: 'system',
  decision: 'deny',
  reason: 'runs with other privileges (sudo, su, doas, pkexec …)',
  examples: {
    match: [
      'sudo ls',
      'sudo -u root -- id',
      'su -',
      'su root -c "id"',
      'doas sh',
      'pkexec bash',
      'env sudo whoami',
      'timeout 5 sudo -n true',
      'chroot /mnt /bin/sh',
      'sudo -i',
    ],
    not_match: ['echo sudo', 'grep sudo /var/log/auth.log', 'man sudo'],
  },
  check(cmd) {
    if (PRIVILEGE.has(cmd.name)) return `runs with other privileges: ${cmd.name}`
    const wrapper = cmd.viaNames.find((n) => PRIVILEGE.has(n))
    return wrapper ? `runs with other privileges: ${wrapper}` : null
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
