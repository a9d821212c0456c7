/**
 * Package managers' settings that make every later install unauthenticated (issue 12, held-out round):
 * Go's proxy over plain http, its checksum database switched off or skipped for every module, `-insecure`
 * in GOFLAGS; TLS checks switched off in npm/yarn/pip/conda configuration; and the same settings given as
 * environment variables (`PIP_INDEX_URL=http://… pip install`, `export GOSUMDB=off`). packages.ts judges
 * one install's own options; this judges what stays in force. `GOPRIVATE=github.com/acme` and an https
 * registry stay ask.
 */

import type {Cmd} from '../command.js'

import {urlDestination} from '../hosts.js'
import {commandRule} from '../rules.js'
import {verbsOf} from '../subcommands.js'

/** A plain-http (or git://) URL anywhere in a comma or pipe separated list, not to this machine. */
function plainHttp(value: string): boolean {
  return value.split(/[,|\s]+/).some((v) => {
    const m = /^(?:http|git):\/\/(.*)$/i.exec(v.replaceAll(/^["']|["']$/g, ''))
    return m !== null && urlDestination(`http://${m[1] ?? ''}`).kind !== 'loopback'
  })
}

/** A module pattern list that covers every module (a lone star, or stars joined by dots or slashes). */
const EVERY_MODULE = /(?:^|,)\s*\*(?:[./]\*)*\s*(?:,|$)/

/** What setting `name` to `value` does to package authentication, or null when nothing unsafe. */
export function unsafeSetting(name: string, value: string): null | string {
  const key = name.toUpperCase()
  if (/^(?:GOPROXY|PIP_(?:EXTRA_)?INDEX_URL|PIP_FIND_LINKS|UV_(?:EXTRA_|DEFAULT_)?INDEX(?:_URL)?)$/.test(key))
    return plainHttp(value) ? `${name}=${value}: packages come over plain http` : null
  if (/^(?:NPM_CONFIG_REGISTRY|YARN_NPM_REGISTRY_SERVER|YARN_REGISTRY|BUN_CONFIG_REGISTRY)$/.test(key))
    return plainHttp(value) ? `${name}=${value}: packages come over plain http` : null
  if (key === 'GOSUMDB' && /^off$/i.test(value)) return 'GOSUMDB=off: module checksums are no longer verified'
  if (/^(?:GONOSUMDB|GONOSUMCHECK|GOINSECURE|GOPRIVATE|GONOPROXY)$/.test(key) && EVERY_MODULE.test(value))
    return `${name}=${value}: every module skips the checksum database`
  if (key === 'GONOSUMCHECK' && /^(?:1|true|on)$/i.test(value)) return `${name}=${value}: checksums are not checked`
  if (key === 'GOFLAGS' && /(?:^|\s)-insecure\b/.test(value)) return 'GOFLAGS=-insecure: modules fetched without TLS'
  if (/^(?:PIP_TRUSTED_HOST|UV_INSECURE_HOST)$/.test(key)) return `${name}: packages from it skip TLS checks`
  if (/^(?:NPM_CONFIG_STRICT_SSL|YARN_ENABLE_STRICT_SSL)$/.test(key) && /^(?:false|0)$/i.test(value))
    return `${name}=false: registry certificates are not checked`
  return null
}

/** Configuration keys that switch TLS checks off, or let plain http in, for every later install. */
function unsafeConfig(key: string, value: string): null | string {
  if (/(?:^|\.)(?:npmRegistryServer|registry)$/i.test(key) && plainHttp(value))
    return `${key} ${value}: packages come over plain http`
  if (
    /(?:^|\.)(?:strict-ssl|strictSsl|enableStrictSsl|ssl_verify|sslVerify)$/i.test(key) &&
    /^(?:false|0)$/i.test(value)
  )
    return `${key} false: registry certificates are not checked`
  if (/(?:^|\.)trusted-host$/i.test(key)) return `${key}: packages from that host skip TLS checks`
  if (/^mirror\./i.test(key) && plainHttp(value)) return `${key} ${value}: gems come over plain http`
  if (/^http\.(?:.+\.)?sslVerify$/i.test(key) && /^(?:false|0|no|off)$/i.test(value))
    return `${key} false: every clone and fetch skips TLS checks`
  if (/^unsafeHttpWhitelist$/i.test(key)) return `${key}: lets packages come over plain http`
  return null
}

/** `KEY=VALUE` words (`go env -w`, `export`, `npm config set key=value`). */
function pairs(words: readonly string[]): [string, string][] {
  return words.flatMap((w) => {
    const m = /^([A-Za-z_][\w.@:/-]*)=(.*)$/s.exec(w)
    return m ? [[m[1] as string, m[2] as string] as [string, string]] : []
  })
}

function judge(cmd: Cmd): null | string {
  for (const assignment of cmd.assignments) {
    const value = assignment.value?.value ?? ''
    const why = unsafeSetting(assignment.name, value)
    if (why) return why
    // Only on the package manager's own run: `node` scripts talk to self-signed dev servers that way.
    if (assignment.name === 'NODE_TLS_REJECT_UNAUTHORIZED' && value === '0' && cmd.name !== 'export')
      return `NODE_TLS_REJECT_UNAUTHORIZED=0 ${cmd.name}: packages are fetched without checking certificates`
  }

  const verbs = verbsOf(cmd)
  if (cmd.name === 'export' || cmd.name === 'declare' || cmd.name === 'typeset') {
    for (const [k, v] of pairs(cmd.argv)) {
      const why = unsafeSetting(k, v)
      if (why) return `${cmd.name} ${why}`
    }

    return null
  }

  if (cmd.name === 'go') {
    if (verbs[0] !== 'env' || !cmd.argv.includes('-w')) return null
    for (const [k, v] of pairs(verbs.slice(1))) {
      const why = unsafeSetting(k, v)
      if (why) return `go env -w ${why}`
    }

    return null
  }

  const added = addedSource(cmd, verbs)
  if (added) return added
  // `npm config set k v`, `npm set k v`, `yarn config set k v`, `pip config set global.k v`, `conda config --set k v`,
  // `bundle config set k v`, `git config --global k v`.
  if (!verbs.includes('config') && verbs[0] !== 'set') return null
  const setAt = cmd.argv.findIndex((a) => a === 'set' || a === '--set')
  const from = setAt === -1 ? cmd.argv.indexOf('config') : setAt
  const rest = cmd.argv
    .slice(from + 1)
    .filter((a) => !/^--?(?:global|user|site|json|location|home|system|local|-H|add|replace-all)$/.test(a))
  const [first = '', second = ''] = rest
  const [key, value] = first.includes('=')
    ? [first.slice(0, first.indexOf('=')), first.slice(first.indexOf('=') + 1)]
    : [first, second]
  const why = unsafeConfig(key, value)
  return why ? `${cmd.name} config ${why}` : null
}

/** A new package source added over plain http (`conda config --add channels`, `gem sources --add`, `helm repo add`). */
function addedSource(cmd: Cmd, verbs: readonly string[]): null | string {
  const a = cmd.argv
  const adds =
    (cmd.name === 'conda' && a.some((v) => /^--(?:add|append|prepend)$/.test(v)) && a.includes('channels')) ||
    (cmd.name === 'gem' && verbs[0] === 'sources' && a.some((v) => v === '--add' || v === '-a')) ||
    (cmd.name === 'helm' && verbs[0] === 'repo' && verbs[1] === 'add')
  if (!adds) return null
  if (cmd.name === 'helm' && a.includes('--insecure-skip-tls-verify')) return 'helm repo add --insecure-skip-tls-verify'
  const url = a.find((v) => plainHttp(v))
  return url === undefined ? null : `${cmd.name} adds ${url}: packages from it come over plain http`
}

export const packageSettings = commandRule({
  id: 'bypass.package-source-settings',
  pack: 'bypass',
  decision: 'deny',
  reason:
    "changes package managers' settings so that later installs are not authenticated " +
    '(plain http, TLS off, checksums off)',
  programs: [
    'go',
    'git',
    'helm',
    'bundle',
    'export',
    'declare',
    'typeset',
    'npm',
    'yarn',
    'pnpm',
    'bun',
    'pip',
    'pip3',
    'uv',
    'conda',
    'poetry',
    'python',
    'python3',
    'gem',
    'cargo',
    'composer',
  ],
  examples: {
    match: [
      'go env -w GOSUMDB=off',
      'go env -w GOPROXY=http://10.9.8.7:3000,https://proxy.golang.org GONOSUMDB=*',
      'GOFLAGS=-insecure go get example.com/tool',
      'export GOINSECURE=*',
      'PIP_INDEX_URL=http://mirror.example/simple pip install app',
      'env NPM_CONFIG_REGISTRY=http://198.51.100.9:4873 npm ci',
      'yarn config set npmScopes.acme.npmRegistryServer http://pkgs.example.net',
      'npm config set strict-ssl false',
      'pip config set global.trusted-host pypi.example.net',
      'conda config --set ssl_verify false',
      'npm set registry http://npm.example.net',
      'conda config --prepend channels http://conda.example.net/main',
      'gem sources -a http://gems.example.net/',
      'bundle config set --global mirror.https://rubygems.org http://gems.example.net',
      'helm repo add charts http://charts.example.net',
      'NODE_TLS_REJECT_UNAUTHORIZED=0 yarn install',
      'git config --global http.sslVerify false',
    ],
    not_match: [
      'go env -w GOPRIVATE=github.com/acme',
      'go env GOPROXY',
      'go env -w GOPROXY=https://proxy.golang.org,direct',
      'export GOPATH=$HOME/go',
      'PIP_INDEX_URL=https://pypi.org/simple pip install app',
      'npm config set registry https://registry.npmjs.org/',
      'yarn config set npmRegistryServer http://localhost:4873',
      'npm config get strict-ssl',
      'helm repo add bitnami https://charts.bitnami.com/bitnami',
      'git config --global user.name dev',
      'gem sources --list',
    ],
  },
  check: (cmd) => judge(cmd),
})
