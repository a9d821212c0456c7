/** System pack: kernel modules and settings, system packages, host settings, container escapes. */

import type {Cmd} from '../../command.js'

import {commandRule} from '../../rules.js'

export const kernel = commandRule({
  id: 'system.kernel',
  pack: 'system',
  decision: 'deny',
  reason: 'loads kernel modules or changes kernel settings',
  programs: ['insmod', 'rmmod', 'modprobe', 'depmod', 'kexec', 'sysctl', 'dmesg', 'kldload', 'kextload'],
  examples: {
    match: [
      'insmod ./rootkit.ko',
      'modprobe -r usb_storage',
      'sysctl -w net.ipv4.ip_forward=1',
      'sysctl kernel.randomize_va_space=0',
      'sysctl -p',
      'dmesg -C',
    ],
    not_match: ['sysctl -a', 'sysctl net.ipv4.ip_forward', 'lsmod', 'dmesg | tail', 'modinfo ext4'],
  },
  check(cmd) {
    const a = cmd.argv
    switch (cmd.name) {
      case 'sysctl': {
        return a.some(
          (v) => /^-[A-Za-z]*[wp]|^--write|^--load|^--system/.test(v) || (!v.startsWith('-') && v.includes('=')),
        )
          ? `sysctl ${a.join(' ')}`
          : null
      }

      case 'dmesg': {
        return a.some((v) => /^-[A-Za-z]*[cCDEn]|^--clear|^--read-clear|^--console-/.test(v))
          ? `dmesg ${a.join(' ')}`
          : null
      }

      case 'modprobe': {
        return a.some((v) => /^-[A-Za-z]*[cnDR]$|^--show|^--dry-run|^--resolve-alias/.test(v)) &&
          !a.some((v) => /^-[A-Za-z]*r/.test(v))
          ? null
          : `modprobe ${a.join(' ')}`
      }

      default: {
        return `${cmd.name}: kernel modules or settings`
      }
    }
  },
})

const PKG_WRITE: Readonly<Record<string, RegExp>> = {
  apt: new RegExp(
    String.raw`^(install|reinstall|remove|purge|autoremove|upgrade|full-upgrade|` +
      String.raw`dist-upgrade|update|build-dep|clean|autoclean|edit-sources|satisfy)$`,
  ),
  'apt-get': new RegExp(
    String.raw`^(install|reinstall|remove|purge|autoremove|upgrade|dist-upgrade|` +
      String.raw`update|build-dep|clean|autoclean|dselect-upgrade|satisfy)$`,
  ),
  aptitude: /^(install|remove|purge|reinstall|update|upgrade|safe-upgrade|full-upgrade|markauto|hold)$/,
  dpkg: /^(-i|--install|-r|--remove|-P|--purge|--unpack|--configure|-a|--set-selections|--force-.*)$/,
  dnf: /^(install|remove|erase|upgrade|update|downgrade|reinstall|autoremove|distro-sync|swap|group)$/,
  yum: /^(install|remove|erase|upgrade|update|downgrade|reinstall|autoremove|distro-sync|swap|groupinstall)$/,
  rpm: /^(-[A-Za-z]*[iUFe]|--install|--upgrade|--freshen|--erase|--import)/,
  pacman: /^(-[A-Za-z]*[SRU]|--sync|--remove|--upgrade)/,
  zypper: /^(install|in|remove|rm|update|up|dist-upgrade|dup|patch|addrepo|ar)$/,
  apk: /^(add|del|upgrade|update|fix)$/,
  snap: /^(install|remove|refresh|revert|enable|disable)$/,
  flatpak: /^(install|uninstall|update|remote-add)$/,
  emerge: /^(?!--search|-s$|--info|--pretend|-p$).+/,
  pkg: /^(install|delete|remove|upgrade|update|autoremove)$/,
  port: /^(install|uninstall|upgrade|selfupdate|activate|deactivate)$/,
}

export const packages = commandRule({
  id: 'system.packages',
  pack: 'system',
  decision: 'deny',
  reason: 'installs, removes or upgrades system packages',
  programs: Object.keys(PKG_WRITE),
  examples: {
    match: [
      'apt-get install -y nmap',
      'apt remove openssh-server',
      'dpkg -i x.deb',
      'yum install x',
      'pacman -Syu',
      'rpm -e foo',
      'apk add curl',
      'snap install x',
    ],
    not_match: ['apt list --installed', 'apt-cache search x', 'dpkg -l', 'rpm -qa', 'pacman -Q', 'apt show curl'],
  },
  check(cmd) {
    const re = PKG_WRITE[cmd.name]
    if (re === undefined) return null
    const hit = cmd.argv.find((a) => re.test(a))
    return hit === undefined ? null : `${cmd.name} ${hit}: changes system packages`
  },
})

export const hostSettings = commandRule({
  id: 'system.host-settings',
  pack: 'system',
  decision: 'deny',
  reason: 'changes machine-wide settings (host name, clock, locale, boot loader, alternatives)',
  programs: [
    'hostnamectl',
    'hostname',
    'timedatectl',
    'date',
    'hwclock',
    'localectl',
    'update-alternatives',
    'update-grub',
    'grub-install',
    'grub-mkconfig',
    'efibootmgr',
    'bcdedit',
    'scutil',
  ],
  examples: {
    match: [
      'hostname evil',
      'hostnamectl set-hostname x',
      'date -s "2020-01-01"',
      'timedatectl set-ntp false',
      'hwclock --systohc',
      'update-alternatives --set java /x',
      'grub-install /dev/sda',
    ],
    not_match: ['hostname', 'hostname -f', 'date', 'date +%s', 'timedatectl status', 'hwclock --show'],
  },
  check(cmd) {
    const a = cmd.argv
    switch (cmd.name) {
      case 'hostname': {
        return a.some((v) => !v.startsWith('-')) || a.some((v) => v === '-F' || v === '--file')
          ? `hostname ${a.join(' ')}`
          : null
      }

      case 'date': {
        return a.some((v) => /^-[A-Za-z]*s|^--set/.test(v)) ? `date ${a.join(' ')}` : null
      }

      case 'hwclock': {
        return a.some((v) => /^(-w|--systohc|-s|--hctosys|--set|--adjust|-a)$/.test(v))
          ? `hwclock ${a.join(' ')}`
          : null
      }

      case 'hostnamectl':
      case 'timedatectl':
      case 'localectl': {
        return a.some((v) => v.startsWith('set-')) ? `${cmd.name} ${a.join(' ')}` : null
      }

      case 'update-alternatives': {
        return a.some((v) => /^--(set|install|remove|remove-all|auto|config|all)$/.test(v))
          ? `update-alternatives ${a.join(' ')}`
          : null
      }

      case 'efibootmgr': {
        return a.some((v) =>
          /^-[A-Za-z]*[cBoaAnNtT]|^--(create|delete|bootorder|active|inactive|bootnext|timeout)/.test(v),
        )
          ? `efibootmgr ${a.join(' ')}`
          : null
      }

      case 'scutil': {
        return a.includes('--set') ? `scutil ${a.join(' ')}` : null
      }

      default: {
        return `${cmd.name}: changes how the machine boots`
      }
    }
  },
})

const CONTAINER_CLIS = new Set(['docker', 'podman', 'nerdctl', 'ctr', 'kubectl'])
const PRIVILEGED_EXEC = /^[\w-]+ exec --privileged$/

/** The command runs inside `docker exec --privileged` (marked in its `via` by the wrapper). */
function privilegedExec(cmd: Cmd): null | string {
  const privileged = cmd.via.find((v) => PRIVILEGED_EXEC.test(v))
  return privileged === undefined ? null : `${privileged}: runs a command with host-level access`
}

export const containerEscape = commandRule({
  id: 'system.container-escape',
  pack: 'system',
  decision: 'deny',
  reason: 'starts a container with host-level access (privileged, host namespaces, or the host root mounted)',
  // No program list: `docker exec --privileged web sh` is judged on the inner `sh`, marked in its `via`.
  examples: {
    match: [
      'docker exec --privileged web sh',
      'docker exec -it --privileged -u root web bash -c "mount /dev/sda1 /mnt"',
      'podman exec --privileged db sh',
      'docker run --cap-add SYS_ADMIN alpine',
      'docker run --security-opt seccomp=unconfined alpine',
      'docker run --device /dev/nvme0n1 alpine',
      'ctr run --privileged docker.io/library/busybox:latest t sh',
      `kubectl run x --image=alpine --overrides='{"spec":{"hostPID":true}}'`,
      'docker run --privileged -it alpine',
      'docker run -v /:/host alpine',
      'podman run --pid=host x',
      'docker run --volume=/etc:/etc x',
      'docker run -v /var/run/docker.sock:/s x',
    ],
    not_match: [
      'docker run --rm -v "$PWD":/app node:20 npm test',
      'docker ps',
      'docker build -t x .',
      'docker exec -it web sh',
      'docker exec -u root web id',
      'npm run --privileged',
    ],
  },
  check(cmd) {
    if (!CONTAINER_CLIS.has(cmd.name)) return privilegedExec(cmd)
    const a = cmd.argv
    if (!a.some((v) => v === 'run' || v === 'create' || v === 'exec')) return null
    if (cmd.name === 'kubectl') {
      const overrides = a.find((v, i) => v.startsWith('--overrides') || a[i - 1] === '--overrides') ?? ''
      return /"(?:privileged|hostPID|hostNetwork|hostIPC)"\s*:\s*true|"hostPath"/.test(overrides)
        ? 'kubectl run --overrides: a pod with host-level access'
        : null
    }

    for (let i = 0; i < a.length; i++) {
      const v = a[i] as string
      // `--opt value` and `--opt=value` alike.
      const joined = /^--(?:pid|net|network|ipc|uts|userns|cap-add|security-opt|device)$/.test(v)
        ? `${v}=${a[i + 1] ?? ''}`
        : v
      if (
        joined === '--privileged' ||
        /^--(?:pid|net|network|ipc|uts|userns)=host$/.test(joined) ||
        /^--cap-add=(?:ALL|SYS_ADMIN|SYS_PTRACE|SYS_MODULE|SYS_RAWIO|DAC_READ_SEARCH|DAC_OVERRIDE|NET_ADMIN)$/i.test(
          joined,
        ) ||
        /^--security-opt=(?:(?:apparmor|seccomp|systempaths)[:=]unconfined|label[:=]disable)/.test(joined) ||
        /^--device=\/dev\/(?:sd|nvme|vd|xvd|hd|mem|kmem|port|disk)/.test(joined)
      )
        return `${cmd.name} ${joined}: the container gets host-level access`
      const mount =
        v === '-v' || v === '--volume' || v === '--mount' ? a[i + 1] : /^(?:-v|--volume=|--mount=)(.+)$/.exec(v)?.[1]
      if (
        mount !== undefined &&
        new RegExp(
          String.raw`^(?:type=bind,)?(?:source=|src=)?(\/(?:etc|var\/run\/docker\.sock|` +
            String.raw`run\/docker\.sock|root|boot|proc|sys|dev)?)(?::|,|$)`,
        ).test(mount)
      ) {
        return `${cmd.name} mounts a host path: ${mount}`
      }
    }

    return null
  },
})
