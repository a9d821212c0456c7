/**
 * System pack: mounts, setuid bits, permissions on and writes to system paths, and shell start-up
 * files (persistence).
 */

import {permissionTargets, touches} from '../../effects.js'
import {deviceKind, isSystemPath, placeWithin} from '../../paths.js'
import {commandRule} from '../../rules.js'

export const mounts = commandRule({
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

export const setuid = commandRule({
  id: 'system.setuid',
  pack: 'system',
  decision: 'deny',
  reason: 'sets the setuid/setgid bit or file capabilities (a lasting way to gain privileges)',
  programs: ['chmod', 'setcap', 'install'],
  examples: {
    match: [
      'chmod u+s ./shell',
      'chmod 4755 /tmp/x',
      'chmod +s bash',
      'setcap cap_setuid+ep ./python',
      'install -m 4755 /bin/sh /tmp/x',
    ],
    not_match: ['chmod 755 ./run.sh', 'chmod u+x x', 'chmod 0644 file'],
  },
  check(cmd) {
    if (cmd.name === 'setcap') return true
    // `install -m 4755 src dst`: only the mode's value counts (the operands are paths).
    if (cmd.name === 'install') {
      const a = cmd.argv
      return (
        a.some((v, i) => (v === '-m' || v === '--mode') && SETUID_MODE.test(a[i + 1] ?? '')) ||
        a.some((v) => /^(?:-m|--mode=)(.+)$/.test(v) && SETUID_MODE.test(v.replace(/^(?:-m|--mode=)/, '')))
      )
    }

    return cmd.args.some((w) => SETUID_MODE.test(w.value))
  },
})

export const systemPerms = commandRule({
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

export const systemWrite = commandRule({
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

/** Terminal editors, and the tools made to edit one system file (`visudo`, `vipw`, `sudoedit`). */
const EDITORS = [
  'vi',
  'vim',
  'nvim',
  'ex',
  'ed',
  'nano',
  'pico',
  'emacs',
  'emacsclient',
  'joe',
  'jed',
  'mcedit',
  'micro',
  'kak',
  'hx',
  'helix',
  'editor',
  'sensible-editor',
  'sudoedit',
  'visudo',
  'vipw',
  'vigr',
]
/** Options that open the file read-only (`vim -R`, `nano -v`). */
const READ_ONLY = /^(?:-R|-M|--view)$/
/** Editor options whose value is a word of its own (`vim -c cmd`, `emacs -l file`). */
const EDITOR_VALUE = /^(?:-c|--cmd|-S|-u|-i|-l|--load|-f|--funcall|-T|-s|-w|-W|-t|-q)$/

export const systemEdit = commandRule({
  id: 'system.edit-system-file',
  pack: 'system',
  decision: 'deny',
  reason: 'opens a system file (/etc, /boot, /usr …) in an editor to change it',
  programs: EDITORS,
  examples: {
    match: [
      'vi /etc/passwd',
      'vim /etc/shadow',
      'sudo nano /etc/sudoers',
      'emacs -nw /etc/ssh/sshd_config',
      'ed /etc/pam.d/sshd',
      'nvim +12 /boot/grub/grub.cfg',
      'visudo',
      'vipw',
      'sudoedit /etc/hosts',
    ],
    not_match: ['vim src/main.ts', 'nano README.md', 'vim -R /etc/passwd', 'nano -v /etc/hosts', 'vi ~/notes.txt'],
  },
  check(cmd, env) {
    if (cmd.name === 'visudo' || cmd.name === 'vipw' || cmd.name === 'vigr') {
      if (cmd.argv.some((v) => /^(?:-c|--check|-h|--help|-V|--version)$/.test(v))) return null
      return `${cmd.name}: edits ${cmd.name === 'visudo' ? '/etc/sudoers' : 'the system account files'}`
    }

    const a = cmd.argv
    if (cmd.name !== 'sudoedit' && a.some((v) => READ_ONLY.test(v) || (cmd.name === 'nano' && v === '-v'))) return null
    for (let i = 0; i < cmd.args.length; i++) {
      const w = cmd.args[i]
      if (w === undefined) continue
      if (EDITOR_VALUE.test(w.value)) {
        i++
        continue
      }

      if (w.value.startsWith('-') || w.value.startsWith('+')) continue
      for (const place of env.places(cmd, w)) {
        if (place.kind === 'path' && isSystemPath(place.path, env.ctx.workspace))
          return `${cmd.name} ${place.path}: edits a system file`
      }
    }

    return null
  },
})

const STARTUP = new RegExp(
  String.raw`^~\/(?:\.bashrc|\.bash_profile|\.bash_login|\.bash_logout|\.profile|` +
    String.raw`\.zshrc|\.zprofile|\.zshenv|\.zlogin|\.kshrc|\.mkshrc|\.inputrc|` +
    String.raw`\.xprofile|\.xinitrc|\.config\/fish\/config\.fish|\.config\/autostart(?:\/.*)?|` +
    String.raw`\.config\/systemd(?:\/.*)?|Library\/LaunchAgents(?:\/.*)?)$`,
)

export const startupFiles = commandRule({
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

/** Directories in the home that shells search before the system's (installers put them first on PATH). */
const HOME_BIN = new RegExp(
  String.raw`^~\/(?:\.local\/bin|bin|\.cargo\/bin|go\/bin|\.npm-global\/bin|\.bun\/bin|\.deno\/bin|` +
    String.raw`\.volta\/bin|\.pyenv\/shims|\.rbenv\/shims)\/([^/]+)$`,
)

/** Names an agent or a person types without a path: a file of that name put first on PATH runs instead. */
const SHADOWED = new RegExp(
  '^(?:sudo|su|doas|ssh|scp|git|gpg|ls|cd|cat|cp|mv|rm|ps|env|which|bash|sh|zsh|python3?|pip3?|node|npm|npx|' +
    'pnpm|yarn|curl|wget|docker|kubectl|make|go|cargo|ruby|java|passwd|login|hub|code|vim?|nano|less|grep|find)$',
)

/** Python runs these at every start: a `.pth` line that begins with `import` is code. */
const PYTHON_STARTUP = /(?:^|\/)(?:[^/]+\.pth|sitecustomize\.py|usercustomize\.py)$/

export const pathHijack = commandRule({
  id: 'system.path-hijack',
  pack: 'system',
  decision: 'deny',
  reason: 'puts a program where it runs in place of a common command, or code Python runs at every start',
  examples: {
    match: [
      'cp ./helper ~/.local/bin/sudo',
      'echo "#!/bin/sh" > ~/bin/git',
      'ln -s /tmp/x ~/.cargo/bin/ls',
      'echo "import os" > /usr/lib/python3/dist-packages/zz.pth',
      'cp hook.py ~/.local/lib/python3.12/site-packages/sitecustomize.py',
    ],
    not_match: ['cp ./mytool ~/.local/bin/mytool', 'ls ~/.local/bin', 'echo x > ./paths.pth', 'cat ~/bin/git'],
  },
  check(cmd, env) {
    for (const t of touches(cmd)) {
      if (!t.write) continue
      for (const place of env.places(cmd, t.word)) {
        if (place.kind === 'unknown') {
          if (/\.pth['"]?$/.test(t.word.value)) return `writes a .pth file whose place is ${place.why}`
          continue
        }

        const name = place.kind === 'home' ? HOME_BIN.exec(place.path)?.[1] : undefined
        if (name !== undefined && SHADOWED.test(name)) return `writes ${place.path}: runs in place of ${name}`
        if (PYTHON_STARTUP.test(place.path) && !placeWithin(place, env.ctx.workspace))
          return `writes ${place.path}: Python runs it at every start`
      }
    }

    return null
  },
})
