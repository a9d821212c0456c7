/**
 * Tunnels that put this machine, or a service it can reach, on the internet (issue 12, held-out round):
 * VS Code and Dev Tunnels with anonymous access, reverse tunnels (chisel `R:`, frp, inlets, pagekite …),
 * and `kubectl port-forward` bound to every interface, which hands a cluster's database to the network.
 * ngrok, cloudflared and the like are cloud.ts's; a port-forward to localhost stays ask.
 */

import type {Cmd} from '../command.js'

import {isLoopbackHost} from '../hosts.js'
import {commandRule} from '../rules.js'
import {verbsOf} from '../subcommands.js'
import {optionValues} from './cloud-args.js'

/** Tools that exist to publish a local port through someone's relay. */
const RELAYS = new Set(['frpc', 'inlets', 'inlets-pro', 'pagekite', 'pagekite.py', 'tmole', 'tunnelmole', 'loclx'])
const ONLY_HELP = /^(?:--?version|-v|--?help|-h|version|help)$/

function tunnel(cmd: Cmd): null | string {
  const a = cmd.argv
  const verbs = verbsOf(cmd)
  if (RELAYS.has(cmd.name))
    return a.length > 0 && a.every((v) => ONLY_HELP.test(v))
      ? null
      : `${cmd.name}: publishes a local port to the internet`
  switch (cmd.name) {
    case 'code':
    case 'code-insiders':
    case 'code-tunnel': {
      const at = cmd.name === 'code-tunnel' ? -1 : verbs.indexOf('tunnel')
      if (cmd.name !== 'code-tunnel' && at !== 0) return null
      const next = verbs[at + 1]
      // `code tunnel status`, `user show`, `prune`: looking, not opening.
      if (next !== undefined && /^(?:status|user|prune|kill|restart|rename|unregister|help)$/.test(next)) return null
      return a.some((v) => ONLY_HELP.test(v)) ? null : `${cmd.name} tunnel: opens this machine to remote shells`
    }

    case 'devtunnel': {
      const anonymous = a.some((v) => /^(?:--allow-anonymous|-a|--anonymous)$/.test(v))
      return anonymous && (verbs[0] === 'host' || verbs[0] === 'access' || verbs[0] === 'create')
        ? `devtunnel ${verbs[0]} with anonymous access: anyone with the URL reaches the port`
        : null
    }

    case 'chisel': {
      const reverse = verbs[0] === 'client' && verbs.slice(2).some((v) => /^R:/i.test(v))
      return reverse ? 'chisel client R:…: lets the far end reach into this machine and its network' : null
    }

    case 'kubectl':
    case 'oc':
    case 'k': {
      if (!verbs.includes('port-forward')) return null
      const addresses = optionValues(a, ['--address']).flatMap((v) => v.split(','))
      const open = addresses.find((h) => !isLoopbackHost(h.replaceAll(/^\[|\]$/g, '')))
      return open === undefined
        ? null
        : `${cmd.name} port-forward --address ${open}: offers the cluster's service to the whole network`
    }

    default: {
      return null
    }
  }
}

export const tunnelExposure = commandRule({
  id: 'remote.tunnel-exposure',
  pack: 'remote',
  decision: 'deny',
  reason: 'opens a tunnel that puts this machine, or a service it reaches, on the internet or the whole network',
  programs: [...RELAYS, 'code', 'code-insiders', 'code-tunnel', 'devtunnel', 'chisel', 'kubectl', 'oc', 'k'],
  examples: {
    match: [
      'code tunnel --name build-box --accept-server-license-terms',
      'code tunnel service install',
      'devtunnel host -p 3389 --allow-anonymous',
      'chisel client https://relay.example.net R:2222:localhost:22',
      'kubectl -n data port-forward --address=0.0.0.0 pod/redis-0 6379',
      'kubectl port-forward svc/api 8080:80 --address localhost,10.0.0.4',
      'frpc -c ./frpc.toml',
    ],
    not_match: [
      'code .',
      'code tunnel status',
      'devtunnel host -p 3000',
      'chisel server --port 9312',
      'kubectl port-forward svc/web 8080:80',
      'kubectl port-forward --address 127.0.0.1 pod/db 5432',
      'frpc --version',
    ],
  },
  check: (cmd) => tunnel(cmd),
})
