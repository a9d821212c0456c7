/** System pack: firewall rules and network configuration of the host. */

import {commandRule} from '../../rules.js'

export const firewall = commandRule({
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
          new RegExp(
            String.raw`^-[A-Za-z]*[LSnvx]+[A-Za-z]*$|^--(?:list|list-rules|numeric|` +
              String.raw`verbose|line-numbers)$|^-t$|^(?:filter|nat|mangle|raw|INPUT|` +
              String.raw`OUTPUT|FORWARD)$`,
          ).test(v),
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

export const networkConfig = commandRule({
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
