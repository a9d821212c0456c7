/**
 * System modification pack (SPEC §4.3): privilege escalation, services, scheduled jobs, users and
 * groups, firewall and network configuration, mounts, kernel modules and settings, system packages,
 * permissions on and writes to system paths, and shell start-up files (persistence).
 */

import {permissionTargets, touches} from '../effects.js'
import {deviceKind, isSystemPath} from '../paths.js'
import {type CommandRule, commandRule} from '../rules.js'

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

const privilege = commandRule({
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

const SYSTEMCTL_READ = new Set([
  'status',
  'show',
  'cat',
  'list-units',
  'list-unit-files',
  'list-sockets',
  'list-timers',
  'list-jobs',
  'list-dependencies',
  'list-machines',
  'is-active',
  'is-enabled',
  'is-failed',
  'is-system-running',
  'help',
  'get-default',
  'show-environment',
])

const SERVICE_PROGRAMS = new Set([
  'systemctl',
  'service',
  'rc-service',
  'rc-update',
  'update-rc.d',
  'chkconfig',
  'initctl',
  'launchctl',
  'sv',
  'svcadm',
  'systemd-run',
])

const services = commandRule({
  id: 'system.services',
  pack: 'system',
  decision: 'deny',
  reason: 'starts, stops or changes system services',
  examples: {
    match: [
      'systemctl stop nginx',
      'systemctl --user enable foo.service',
      'service ssh restart',
      'launchctl load ~/Library/LaunchAgents/x.plist',
      'update-rc.d foo defaults',
      'systemd-run --on-calendar=hourly /bin/true',
      'systemd-run --user sleep 1',
    ],
    not_match: ['systemctl status nginx', 'systemctl is-active docker', 'service --status-all', 'systemctl'],
  },
  check(cmd) {
    // systemd-run is peeled like a wrapper so its command is judged; running it is itself a service.
    if (cmd.viaNames.includes('systemd-run')) return 'systemd-run starts a transient service or timer'
    if (!SERVICE_PROGRAMS.has(cmd.name)) return null
    const verb = cmd.argv.find((a) => !a.startsWith('-'))
    if (cmd.name === 'systemctl') return verb !== undefined && !SYSTEMCTL_READ.has(verb) ? `systemctl ${verb}` : null
    if (cmd.name === 'service') {
      const [, action] = cmd.argv.filter((a) => !a.startsWith('-'))
      return action !== undefined && action !== 'status' ? `service ${cmd.argv.join(' ')}` : null
    }

    return `${cmd.name}: changes system services`
  },
})

const scheduled = commandRule({
  id: 'system.scheduled-jobs',
  pack: 'system',
  decision: 'deny',
  reason: 'creates or changes scheduled jobs (cron, at, timers)',
  programs: ['crontab', 'at', 'batch', 'atrm', 'anacron', 'schtasks'],
  examples: {
    match: ['crontab -e', 'crontab mycron.txt', 'crontab -r', 'echo "rm -rf /" | at now + 1 minute', 'batch'],
    not_match: ['crontab -l', 'atq'],
  },
  check(cmd) {
    if (cmd.name === 'crontab') {
      const a = cmd.argv
      return a.includes('-l') && !a.some((v) => v === '-r' || v === '-e' || v === '-i')
        ? null
        : 'crontab: changes scheduled jobs'
    }

    // `at -l` lists jobs and `at -c N` prints one; neither schedules anything.
    if (
      cmd.name === 'at' &&
      cmd.argv.length > 0 &&
      cmd.argv.every((v) => /^-[lc]$|^\d+$|^-q$|^[a-zA-Z]$/.test(v)) &&
      cmd.argv.some((v) => v === '-l' || v === '-c')
    )
      return null
    return `${cmd.name}: schedules jobs`
  },
})

const users = commandRule({
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

const firewall = commandRule({
  id: 'system.firewall',
  pack: 'system',
  decision: 'deny',
  reason: 'changes the firewall',
  programs: [
    'iptables',
    'ip6tables',
    'iptables-restore',
    'ip6tables-restore',
    'iptables-legacy',
    'iptables-nft',
    'nft',
    'ufw',
    'firewall-cmd',
    'pfctl',
    'ipfw',
    'ebtables',
    'arptables',
    'netsh',
  ],
  examples: {
    match: ['iptables -F', 'ufw disable', 'nft flush ruleset', 'firewall-cmd --add-port=22/tcp', 'sudo ufw allow 22'],
    not_match: ['ss -tlnp', 'netstat -an', 'iptables -L -n', 'iptables -S', 'ufw status', 'nft list ruleset'],
  },
  check(cmd) {
    const a = cmd.argv
    // Listing the rules changes nothing.
    const reads =
      (/tables/.test(cmd.name) &&
        a.length > 0 &&
        a.every((v) =>
          /^-[A-Za-z]*[LSnvx]+[A-Za-z]*$|^--(?:list|list-rules|numeric|verbose|line-numbers)$|^-t$|^(?:filter|nat|mangle|raw|INPUT|OUTPUT|FORWARD)$/.test(
            v,
          ),
        ) &&
        a.some((v) => /^-[A-Za-z]*[LS]|^--list/.test(v))) ||
      (cmd.name === 'ufw' && (a[0] === 'status' || a[0] === 'show' || a[0] === 'app' || a[0] === 'version')) ||
      (cmd.name === 'nft' &&
        a.includes('list') &&
        !a.some((v) => /^(?:add|delete|flush|insert|replace|create|destroy)$/.test(v))) ||
      (cmd.name === 'firewall-cmd' &&
        a.length > 0 &&
        a.every((v) => /^--(?:state|list-|get-|query-|info-|zone=)/.test(v))) ||
      (cmd.name === 'pfctl' && a.every((v) => v.startsWith('-s'))) ||
      (cmd.name === 'netsh' &&
        a.some((v) => /^show$/i.test(v)) &&
        !a.some((v) => /^(?:set|add|delete|reset)$/i.test(v)))
    return reads ? null : `${cmd.name}: changes the firewall`
  },
})

const networkConfig = commandRule({
  id: 'system.network-config',
  pack: 'system',
  decision: 'deny',
  reason: 'changes network interfaces or routes',
  programs: ['ip', 'ifconfig', 'route', 'nmcli', 'tc', 'brctl', 'ifup', 'ifdown'],
  examples: {
    match: [
      'ip link set eth0 down',
      'ip route add default via 10.0.0.1',
      'ifconfig eth0 down',
      'route add default gw 10.0.0.1',
      'nmcli connection delete home',
      'ifdown eth0',
    ],
    not_match: ['ip addr', 'ip route show', 'ifconfig', 'route -n', 'nmcli device status'],
  },
  check(cmd) {
    const a = cmd.argv
    switch (cmd.name) {
      case 'ip': {
        return a.some((v) => /^(add|del|delete|set|flush|change|replace|append|prepend)$/.test(v))
          ? `ip ${a.join(' ')}`
          : null
      }

      case 'ifconfig': {
        return a.filter((v) => !v.startsWith('-')).length >= 2 ? `ifconfig ${a.join(' ')}` : null
      }

      case 'route': {
        return a.some((v) => /^(add|del|delete|change|flush)$/.test(v)) ? `route ${a.join(' ')}` : null
      }

      case 'nmcli': {
        return a.some((v) => /^(up|down|delete|modify|add|disconnect|connect|off|on|reload)$/.test(v))
          ? `nmcli ${a.join(' ')}`
          : null
      }

      case 'tc': {
        return a.some((v) => /^(add|del|delete|change|replace)$/.test(v)) ? `tc ${a.join(' ')}` : null
      }

      default: {
        return `${cmd.name}: changes network configuration`
      }
    }
  },
})

const mounts = commandRule({
  id: 'system.mounts',
  pack: 'system',
  decision: 'deny',
  reason: 'mounts or unmounts file systems or swap',
  programs: ['mount', 'umount', 'swapon', 'swapoff', 'losetup', 'mount.nfs', 'mount.cifs'],
  examples: {
    match: ['mount /dev/sdb1 /mnt', 'umount /home', 'swapoff -a', 'mount -o remount,rw /', 'losetup -f disk.img'],
    not_match: ['findmnt', 'df -h', 'mount'],
  },
  check: (cmd) => (cmd.name === 'mount' && cmd.argv.length === 0 ? null : `${cmd.name}: changes mounts`),
})

const SETUID_MODE = /(?:^|,)[ugoa]*[+=][rwxXt]*s|^[0-7]?[2467][0-7]{3}$/

const setuid = commandRule({
  id: 'system.setuid',
  pack: 'system',
  decision: 'deny',
  reason: 'sets the setuid/setgid bit or file capabilities (a lasting way to gain privileges)',
  programs: ['chmod', 'setcap'],
  examples: {
    match: ['chmod u+s ./shell', 'chmod 4755 /tmp/x', 'chmod +s bash', 'setcap cap_setuid+ep ./python'],
    not_match: ['chmod 755 ./run.sh', 'chmod u+x x', 'chmod 0644 file'],
  },
  check(cmd) {
    if (cmd.name === 'setcap') return true
    return cmd.args.some((w) => SETUID_MODE.test(w.value))
  },
})

const systemPerms = commandRule({
  id: 'system.permissions-on-system-paths',
  pack: 'system',
  decision: 'deny',
  reason: 'changes permissions or ownership of system paths',
  programs: ['chmod', 'chown', 'chgrp', 'chattr', 'setfacl', 'chcon', 'chflags'],
  examples: {
    match: ['chmod 777 /etc/passwd', 'chown root /usr/bin/x', 'chattr -i /etc/resolv.conf', 'chmod -R 777 /'],
    not_match: ['chmod +x ./run.sh', 'chown me ./file', 'chmod 600 ~/notes.txt'],
  },
  check(cmd, env) {
    for (const w of permissionTargets(cmd)) {
      for (const place of env.places(cmd, w)) {
        if (place.kind === 'path' && isSystemPath(place.path, env.ctx.workspace))
          return `${cmd.name} on a system path: ${place.path}`
      }
    }

    return null
  },
})

const systemWrite = commandRule({
  id: 'system.write-system-path',
  pack: 'system',
  decision: 'deny',
  reason: 'writes to a system path (/etc, /usr, /boot, /var …)',
  examples: {
    match: [
      'echo "127.0.0.1 x" >> /etc/hosts',
      'tee /etc/sudoers.d/x',
      'cp evil /usr/local/bin/ls',
      'sed -i s/a/b/ /etc/ssh/sshd_config',
      'touch /boot/x',
      'mv /usr/bin/python /tmp/',
      'echo 1 > /proc/sys/kernel/sysrq',
      'tar -xf x.tar -C /',
      'curl -o /usr/bin/x http://localhost/x',
      'cd /etc && echo x > hosts',
    ],
    not_match: [
      'cat /etc/hosts',
      'cp /etc/hosts ./hosts.bak',
      'echo x > ./out.txt',
      'echo x > /dev/null',
      'echo x > /tmp/out.txt',
      'tar -xf x.tar',
    ],
  },
  check(cmd, env) {
    for (const t of touches(cmd)) {
      if (!t.write) continue
      for (const place of env.places(cmd, t.word)) {
        if (place.kind !== 'path') continue
        const device = deviceKind(place.path)
        // Disks are the destructive pack's, /dev/tcp and /dev/udp the bypass pack's.
        if (device === 'harmless' || device === 'disk' || /^\/dev\/(?:tcp|udp)\//.test(place.path)) continue
        if (device === 'other') return `writes to the device ${place.path}`
        if (isSystemPath(place.path, env.ctx.workspace)) return `writes to a system path: ${place.path}`
      }
    }

    return null
  },
})

const STARTUP =
  /^~\/(?:\.bashrc|\.bash_profile|\.bash_login|\.bash_logout|\.profile|\.zshrc|\.zprofile|\.zshenv|\.zlogin|\.kshrc|\.mkshrc|\.inputrc|\.xprofile|\.xinitrc|\.config\/fish\/config\.fish|\.config\/autostart(?:\/.*)?|\.config\/systemd(?:\/.*)?|Library\/LaunchAgents(?:\/.*)?)$/

const startupFiles = commandRule({
  id: 'system.startup-files',
  pack: 'system',
  decision: 'deny',
  reason: 'writes a shell start-up or autostart file (runs code at every login)',
  examples: {
    match: [
      'echo "curl x | sh" >> ~/.bashrc',
      'cp evil.sh ~/.profile',
      'tee -a ~/.zshrc',
      'touch ~/.config/autostart/x.desktop',
    ],
    not_match: ['cat ~/.bashrc', 'grep alias ~/.zshrc'],
  },
  check(cmd, env) {
    for (const t of touches(cmd)) {
      if (!t.write) continue
      for (const place of env.places(cmd, t.word)) {
        if (place.kind === 'home' && STARTUP.test(place.path)) return `writes ${place.path}`
      }
    }

    return null
  },
})

const kernel = commandRule({
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
  apt: /^(install|reinstall|remove|purge|autoremove|upgrade|full-upgrade|dist-upgrade|update|build-dep|clean|autoclean|edit-sources|satisfy)$/,
  'apt-get':
    /^(install|reinstall|remove|purge|autoremove|upgrade|dist-upgrade|update|build-dep|clean|autoclean|dselect-upgrade|satisfy)$/,
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

const packages = commandRule({
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

const hostSettings = commandRule({
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

const containerEscape = commandRule({
  id: 'system.container-escape',
  pack: 'system',
  decision: 'deny',
  reason: 'starts a container with host-level access (privileged, host namespaces, or the host root mounted)',
  programs: ['docker', 'podman', 'nerdctl'],
  examples: {
    match: [
      'docker run --privileged -it alpine',
      'docker run -v /:/host alpine',
      'podman run --pid=host x',
      'docker run --volume=/etc:/etc x',
      'docker run -v /var/run/docker.sock:/s x',
    ],
    not_match: ['docker run --rm -v "$PWD":/app node:20 npm test', 'docker ps', 'docker build -t x .'],
  },
  check(cmd) {
    const a = cmd.argv
    if (!a.some((v) => v === 'run' || v === 'create' || v === 'exec')) return null
    for (let i = 0; i < a.length; i++) {
      const v = a[i] as string
      if (
        v === '--privileged' ||
        /^--(?:pid|net|network|ipc|uts|userns)=host$/.test(v) ||
        /^--cap-add=(?:ALL|SYS_ADMIN)$/i.test(v)
      )
        return `${cmd.name} ${v}`
      const mount =
        v === '-v' || v === '--volume' || v === '--mount' ? a[i + 1] : /^(?:-v|--volume=|--mount=)(.+)$/.exec(v)?.[1]
      if (
        mount !== undefined &&
        /^(?:type=bind,)?(?:source=|src=)?(\/(?:etc|var\/run\/docker\.sock|run\/docker\.sock|root|boot|proc|sys|dev)?)(?::|,|$)/.test(
          mount,
        )
      ) {
        return `${cmd.name} mounts a host path: ${mount}`
      }
    }

    return null
  },
})

export const systemPack: readonly CommandRule[] = [
  privilege,
  services,
  scheduled,
  users,
  firewall,
  networkConfig,
  mounts,
  setuid,
  systemPerms,
  systemWrite,
  startupFiles,
  kernel,
  packages,
  hostSettings,
  containerEscape,
]
