/**
 * Packages from sources nobody can authenticate (issue 12): an index, registry or archive over plain
 * http, TLS or signature checks switched off, install scripts run as root. Whoever sits on the path
 * decides what code runs. Installing from the usual registries, or over https, stays the operator's
 * call: these rules only refuse the unauthenticated variants.
 */

import type {Cmd} from '../command.js'

import {urlDestination} from '../hosts.js'
import {commandRule, type CommandRule} from '../rules.js'
import {argvValues, verbsOf} from '../subcommands.js'

/** A plain-http (or git over http) source that is not this machine. */
function insecureUrl(text: string): boolean {
  const m = /^(?:git\+)?(?:http|git):\/\/(.*)$/i.exec(text)
  if (!m) return false
  return urlDestination(`http://${m[1] ?? ''}`).kind !== 'loopback'
}

const SOURCE_OPTIONS = [
  '-i',
  '--index-url',
  '--extra-index-url',
  '-f',
  '--find-links',
  '--registry',
  '--source',
  '--git',
  '--index',
  '--default-index',
]
const INSTALL_VERBS = /^(?:install|i|add|tap|download|get|update|upgrade|sync)$/
const CONFIG_KEYS = /(?:^|\.)(?:registry|index-url|extra-index-url|find-links|source|@[\w-]+:registry)$/i
/** Language package managers (the system's own, apt or dnf, are judged by the system pack). */
const LANGUAGE_MANAGERS = /^(?:pip\d*|pipx|uv|npm|yarn|pnpm|bun|gem|cargo|composer|python\d*)$/
const PIP_NAMES = /^(?:pip\d*(?:\.\d+)?|pipx|uv|python\d*(?:\.\d+)?|poetry|conda|pdm)$/

/** Switches that turn off what authenticates a package (signatures, TLS, root-only scripts). */
function unsafeSwitch(cmd: Cmd): null | string {
  const a = cmd.argv
  const hit = (re: RegExp): string | undefined => a.find((v) => re.test(v))
  if (hit(/^--trusted-host(?:=|$)/)) return `${cmd.name} --trusted-host: installs packages without checking TLS`
  if (hit(/^--unsafe-perm(?:=true)?$/)) return `${cmd.name} --unsafe-perm: runs the packages' install scripts as root`
  if (hit(/^--break-system-packages$/))
    return `${cmd.name} --break-system-packages: installs over the packages the system itself runs on`
  const flag =
    hit(/^--allow-unauthenticated$|^--allow-insecure-repositories$/) ??
    hit(/^--no-?gpg-?check$|^--nosignature$|^--nodigest$|^--no-verify-signatures?$/) ??
    hit(/^--force-(?:all|bad-verify)$/) ??
    // apt's `-o Acquire::AllowInsecureRepositories=true` and friends.
    hit(/AllowInsecureRepositories|AllowUnauthenticated|AllowDowngradeToInsecureRepositories/i)
  return flag === undefined ? null : `${cmd.name} ${flag}: installs packages whose signatures are not checked`
}

export const untrustedPackages = commandRule({
  id: 'bypass.untrusted-package-source',
  pack: 'bypass',
  decision: 'deny',
  reason: 'installs code from a source nobody can authenticate (plain http, TLS or signature checks off)',
  programs: [
    'pip',
    'pip3',
    'pipx',
    'uv',
    'python',
    'python3',
    'poetry',
    'conda',
    'pdm',
    'npm',
    'npx',
    'yarn',
    'pnpm',
    'bun',
    'gem',
    'bundle',
    'cargo',
    'brew',
    'apt',
    'apt-get',
    'aptitude',
    'dpkg',
    'rpm',
    'yum',
    'dnf',
    'zypper',
    'composer',
  ],
  examples: {
    match: [
      'pip install --index-url http://pypi.example.org/simple flask',
      'pip install -i http://10.1.1.1/simple x',
      'python3 -m pip install --trusted-host mirror.example --extra-index-url http://mirror.example x',
      'npm install git+http://example.org/x.git',
      'yarn add http://example.org/pkg.tgz',
      'npm config set registry http://registry.example.org',
      'npm install -g some-cli --unsafe-perm',
      'gem install rails --source http://gems.example.org',
      'cargo install --git http://example.org/tool',
      'apt-get install -y --allow-unauthenticated foo',
      'rpm -ivh --nosignature foo.rpm',
      'dnf install --nogpgcheck foo',
      'sudo pip install requests',
      'pip install --break-system-packages x',
    ],
    not_match: [
      'pip install requests',
      'pip install --index-url https://pypi.org/simple flask',
      'pip install -i http://localhost:8080/simple x',
      'npm install git+https://github.com/org/x.git',
      'npm install',
      'npm config get registry',
      'apt-get install -y jq',
      'cargo install ripgrep',
    ],
  },
  check(cmd) {
    const a = cmd.argv
    const unsafe = unsafeSwitch(cmd)
    if (unsafe) return unsafe
    const verbs = verbsOf(cmd)
    // `sudo pip install x`, `sudo npm install -g x`: the package's install scripts run as root.
    const root = cmd.viaNames.find((n) => n === 'sudo' || n === 'doas')
    if (root !== undefined && LANGUAGE_MANAGERS.test(cmd.name) && verbs.some((v) => /^(?:install|i|add)$/.test(v)))
      return `${root} ${cmd.name} install: the packages' install scripts run as root`
    // `npm config set registry http://…`, `pip config set global.index-url http://…`
    const config = verbs.indexOf('config')
    if (config !== -1 && verbs[config + 1] === 'set') {
      const key = verbs[config + 2] ?? ''
      const value = key.includes('=') ? key.slice(key.indexOf('=') + 1) : (verbs[config + 3] ?? '')
      if (CONFIG_KEYS.test(key.split('=')[0] ?? '') && insecureUrl(value))
        return `${cmd.name} config set ${key.split('=')[0]}: takes every later package from plain http`
    }

    const source = argvValues(a, SOURCE_OPTIONS).find((v) => insecureUrl(v))
    if (source !== undefined && (PIP_NAMES.test(cmd.name) || verbs.some((v) => INSTALL_VERBS.test(v))))
      return `${cmd.name}: installs packages from ${source} over plain http, where anyone on the way can swap them`
    if (!verbs.some((v) => INSTALL_VERBS.test(v))) return null
    const url = verbs.find((v) => insecureUrl(v))
    return url === undefined
      ? null
      : `${cmd.name}: installs ${url} over plain http, where anyone on the way can swap it`
  },
})

export const packageRules: readonly CommandRule[] = [untrustedPackages]
