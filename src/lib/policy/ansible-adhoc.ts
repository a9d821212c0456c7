/**
 * Ansible ad-hoc commands (issue 12, held-out round): `ansible all -m shell -a 'rm -rf /var/lib/app'` runs
 * its argument on every host of the inventory, so the argument is judged as the command it is, run
 * elsewhere (`sh -c ARG`, working directory unknown). The modules that are one shell command under another
 * name are spelt as that command: `reboot`, `file state=absent` (`rm -rf`), `user state=absent`
 * (`userdel`), `service state=stopped` (`systemctl stop`). Other modules (`ping`, `setup`, `copy` …) peel
 * to nothing and stay ansible's own ask.
 */

import type {Peeled} from './wrappers.js'

import {literalWord, type Word} from './words.js'

function option(args: readonly Word[], short: string, long: string): undefined | Word {
  for (let i = 0; i < args.length; i++) {
    const v = (args[i] as Word).value
    if (v === short || v === long) return args[i + 1]
    if (v.startsWith(`${long}=`)) return literalWord(v.slice(long.length + 1))
    if (v.startsWith(short) && v.length > short.length && !v.startsWith('--')) return literalWord(v.slice(2))
  }

  return undefined
}

/** `key=value` pairs of a module's free-form arguments. */
function params(text: string): Map<string, string> {
  return new Map(
    [...text.matchAll(/(\w+)=("[^"]*"|'[^']*'|\S+)/g)].map((m) => [
      m[1] ?? '',
      (m[2] ?? '').replaceAll(/^["']|["']$/g, ''),
    ]),
  )
}

/** The shell spelling of a module call, or null for modules that are not one command. */
function moduleCommand(module: string, args: string): null | string[] {
  const p = params(args)
  const absent = p.get('state') === 'absent'
  switch (module.replace(/^ansible\.(?:builtin|posix|windows)\./, '')) {
    case 'reboot':
    case 'community.general.shutdown':
    case 'shutdown': {
      return [module.endsWith('reboot') ? 'reboot' : 'shutdown']
    }

    case 'file': {
      const path = p.get('path') ?? p.get('dest') ?? p.get('name')
      return absent && path !== undefined ? ['rm', '-rf', '--', path] : null
    }

    case 'user': {
      const name = p.get('name')
      return absent && name !== undefined ? ['userdel', '-r', name] : null
    }

    case 'service':
    case 'systemd':
    case 'systemd_service': {
      const name = p.get('name')
      return name !== undefined && p.get('state') === 'stopped' ? ['systemctl', 'stop', name] : null
    }

    default: {
      return null
    }
  }
}

export function peelAnsible(args: readonly Word[]): Peeled {
  const module = option(args, '-m', '--module-name')?.value ?? 'command'
  const argument = option(args, '-a', '--args')
  const via = `ansible -m ${module}`
  if (/^(?:ansible\.builtin\.)?(?:shell|command|raw)$/.test(module)) {
    return argument === undefined
      ? null
      : {words: [literalWord('sh'), literalWord('-c'), argument], via, elsewhere: true}
  }

  const line = moduleCommand(module, argument?.value ?? '')
  return line === null ? null : {words: line.map((w) => literalWord(w)), via, elsewhere: true}
}
