/**
 * Destruction of whole machines and of what restores them (issue 12): virtual machines with their
 * disks, backups and snapshots, firmware, the power of a server through its management controller,
 * and package managers removing themselves or what everything depends on.
 */

import type {Cmd} from '../command.js'

import {commandRule, type CommandRule} from '../rules.js'
import {operandsOf} from '../subcommands.js'

const has = (a: readonly string[], re: RegExp): boolean => a.some((v) => re.test(v))

function virtualMachines(cmd: Cmd, verbs: readonly string[]): null | string {
  const [v0 = '', v1 = ''] = verbs
  switch (cmd.name) {
    case 'virsh': {
      if (/^(?:destroy|undefine|vol-delete|vol-wipe|pool-delete|pool-destroy|snapshot-delete)$/.test(v0))
        return `virsh ${v0}: powers off or deletes a virtual machine or its storage`
      return null
    }

    case 'vboxmanage': {
      if (v0 === 'unregistervm' && has(cmd.argv, /^--delete/)) return 'VBoxManage unregistervm --delete: deletes a VM'
      if (v0 === 'controlvm' && /^(?:poweroff|reset)$/.test(verbs[2] ?? ''))
        return `VBoxManage controlvm ${verbs[2]}: cuts a virtual machine's power`
      if (v0 === 'closemedium' && cmd.argv.includes('--delete'))
        return 'VBoxManage closemedium --delete: deletes a disk'
      return null
    }

    case 'xl':
    case 'xm': {
      return /^(?:destroy|shutdown)$/.test(v0) ? `${cmd.name} ${v0}: stops a Xen domain` : null
    }

    case 'qm':
    case 'pct': {
      return /^(?:destroy|stop)$/.test(v0) ? `${cmd.name} ${v0}: stops or deletes a Proxmox guest` : null
    }

    case 'vagrant': {
      return v0 === 'destroy' ? 'vagrant destroy: deletes the virtual machines with their disks' : null
    }

    case 'multipass':
    case 'lxc':
    case 'incus': {
      return /^(?:delete|purge)$/.test(v0) ? `${cmd.name} ${v0}: deletes instances with their disks` : null
    }

    case 'prlctl':
    case 'vmrun':
    case 'govc': {
      return /^(?:delete|deletevm|vm\.destroy)$/i.test(v0) ? `${cmd.name} ${v0}: deletes a virtual machine` : null
    }

    case 'ipmitool': {
      if (v0 === 'chassis' && v1 === 'power' && /^(?:off|cycle|reset|soft)$/.test(verbs[2] ?? ''))
        return `ipmitool chassis power ${verbs[2]}: cuts or cycles a server's power`
      return v0 === 'raw' ? 'ipmitool raw: sends raw commands to the management controller' : null
    }

    default: {
      return null
    }
  }
}

function backups(cmd: Cmd, verbs: readonly string[]): null | string {
  const [v0 = '', v1 = ''] = verbs
  switch (cmd.name) {
    case 'tmutil': {
      return /^(?:delete|deletelocalsnapshots|disable|removedestination|thinlocalsnapshots)$/.test(v0)
        ? `tmutil ${v0}: deletes or switches off Time Machine backups`
        : null
    }

    case 'restic':
    case 'kopia':
    case 'borg':
    case 'borgmatic': {
      if (/^(?:forget|prune|delete)$/.test(v0)) return `${cmd.name} ${v0}: deletes backups`
      return v0 === 'snapshot' && v1 === 'delete' ? `${cmd.name} snapshot delete: deletes backups` : null
    }

    case 'snapper': {
      return /^(?:delete|rm|remove)$/.test(v0) ? 'snapper delete: deletes file-system snapshots' : null
    }

    case 'duplicity': {
      return v0.startsWith('remove-') ? `duplicity ${v0}: deletes backups` : null
    }

    case 'wbadmin': {
      return v0 === 'delete' ? 'wbadmin delete: deletes Windows backups' : null
    }

    case 'tarsnap': {
      return cmd.argv.includes('-d') || cmd.argv.includes('--nuke') ? 'tarsnap -d/--nuke: deletes backups' : null
    }

    default: {
      return null
    }
  }
}

function firmware(cmd: Cmd, verbs: readonly string[]): null | string {
  if (cmd.name === 'flashrom' && has(cmd.argv, /^-[A-Za-z]*[wE]|^--write|^--erase/))
    return 'flashrom: rewrites or erases the machine firmware'
  if (cmd.name === 'fwupdmgr' || cmd.name === 'fwupdtool') {
    return /^(?:install|install-blob|downgrade|reinstall)$/.test(verbs[0] ?? '')
      ? `${cmd.name} ${verbs[0]}: flashes firmware from a file`
      : null
  }

  return null
}

const MANAGERS = /^(?:pip\d*|setuptools|npm|yarn|corepack|gem|rubygems-update|bundler|cargo|rustup|apt|dpkg|rpm)$/

/** A package manager removing itself, or removing while ignoring what depends on the package. */
function packageManagers(cmd: Cmd, verbs: readonly string[]): null | string {
  const [v0 = ''] = verbs
  const removing = /^(?:uninstall|remove|rm|un|r|erase)$/.test(v0)
  if (!removing) return null
  const targets = verbs.slice(1)
  const self = targets.find((t) => MANAGERS.test(t))
  if (self !== undefined && /^(?:pip\d*|npm|gem|brew|pnpm|yarn)$/.test(cmd.name))
    return `${cmd.name} ${v0} ${self}: removes the package manager itself`
  if (cmd.name === 'brew' && has(cmd.argv, /^--ignore-dependencies$/))
    return 'brew uninstall --ignore-dependencies: breaks what depends on the package'
  if (cmd.name === 'gem' && has(cmd.argv, /^-[A-Za-z]*a[A-Za-z]*$|^--all$/) && has(cmd.argv, /^-[A-Za-z]*I|^--ignore/))
    return 'gem uninstall --all --ignore-dependencies: removes every gem'
  return null
}

export const machines = commandRule({
  id: 'destructive.machines-and-backups',
  pack: 'destructive',
  decision: 'deny',
  reason: 'deletes virtual machines, backups or snapshots, rewrites firmware, or removes a package manager',
  programs: [
    'virsh',
    'vboxmanage',
    'xl',
    'xm',
    'qm',
    'pct',
    'vagrant',
    'multipass',
    'lxc',
    'incus',
    'prlctl',
    'vmrun',
    'govc',
    'ipmitool',
    'tmutil',
    'restic',
    'kopia',
    'borg',
    'borgmatic',
    'snapper',
    'duplicity',
    'wbadmin',
    'tarsnap',
    'flashrom',
    'fwupdmgr',
    'fwupdtool',
    'pip',
    'pip3',
    'npm',
    'pnpm',
    'yarn',
    'gem',
    'brew',
  ],
  examples: {
    match: [
      'virsh undefine web --remove-all-storage',
      'VBoxManage unregistervm dev --delete',
      'VBoxManage controlvm prod poweroff',
      'xl destroy dom1',
      'vagrant destroy -f',
      'qm destroy 101',
      'ipmitool -I lanplus -H bmc chassis power off',
      'tmutil deletelocalsnapshots /',
      'restic -r /backup forget --keep-last 1 --prune',
      'borg delete /backup::archive',
      'flashrom -p internal -w rom.bin',
      'npm uninstall -g npm',
      'pip uninstall -y pip',
      'brew uninstall --ignore-dependencies openssl',
    ],
    not_match: [
      'virsh list --all',
      'vagrant up',
      'vagrant status',
      'restic snapshots',
      'borg list /backup',
      'tmutil listbackups',
      'flashrom -p internal -r backup.bin',
      'npm uninstall lodash',
      'pip uninstall -y requests',
      'ipmitool chassis status',
    ],
  },
  check(cmd) {
    // Options of these tools mostly take no separate value, except the few listed here.
    const argv = cmd.argv.filter((_v, i) => !/^-(?:I|H|U|P|r|p|c|-repo|-config)$/.test(cmd.argv[i - 1] ?? ''))
    const verbs = operandsOf(cmd.name, argv)
    return virtualMachines(cmd, verbs) ?? backups(cmd, verbs) ?? firmware(cmd, verbs) ?? packageManagers(cmd, verbs)
  },
})

export const machineRules: readonly CommandRule[] = [machines]
