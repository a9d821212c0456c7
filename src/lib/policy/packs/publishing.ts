/**
 * Publishing the project, or a local port, through spellings the cloud rules do not see (issue 12):
 * a package uploader run as a Python module (`python -m twine upload`), release tools that publish
 * as they run (`np`, `semantic-release`, `release-it`), and public tunnels (`lt`, `tailscale funnel`).
 */

import {commandRule, type CommandRule} from '../rules.js'

/** Python modules that upload packages, and the verb that makes them upload. */
const PY_PUBLISH: Readonly<Record<string, RegExp>> = {
  twine: /^(?:upload|register)$/,
  flit: /^publish$/,
  hatch: /^publish$/,
  poetry: /^publish$/,
  pdm: /^publish$/,
  uv: /^publish$/,
}

/** Release tools whose plain run publishes; a dry run only prints what it would do. */
const RELEASERS = new Set(['np', 'semantic-release', 'release-it', 'lerna', 'changeset', 'vsce', 'ovsx'])
const RELEASE_VERB: Readonly<Record<string, RegExp>> = {
  lerna: /^publish$/,
  changeset: /^publish$/,
  vsce: /^publish$/,
  ovsx: /^publish$/,
}

const PYTHONS = ['python', 'python2', 'python3', 'py', 'pypy', 'pypy3', 'python3.10', 'python3.11', 'python3.12']

function pythonModule(argv: readonly string[]): null | string {
  const m = argv.indexOf('-m')
  const joined = argv.find((v) => /^-m\w/.test(v))
  const module = m === -1 ? joined?.slice(2) : argv[m + 1]
  const rest = m === -1 ? argv.slice(argv.indexOf(joined ?? '') + 1) : argv.slice(m + 2)
  const re = module === undefined ? undefined : PY_PUBLISH[module]
  const verb = rest.find((v) => !v.startsWith('-'))
  return re !== undefined && verb !== undefined && re.test(verb) ? `-m ${module} ${verb}` : null
}

function releaser(name: string, a: readonly string[]): null | string {
  if (a.some((v) => /^--(?:dry-run|preview|dryRun|no-publish)$|^-d$/.test(v))) return null
  const re = RELEASE_VERB[name]
  const verb = a.find((v) => !v.startsWith('-'))
  if (re !== undefined && (verb === undefined || !re.test(verb))) return null
  return `${name}${re === undefined ? '' : ` ${verb ?? ''}`}: publishes a release to a public registry`
}

const HELP_ONLY = /^(?:--?version|-v|--?help|-h|version|help)$/

export const publishMore = commandRule({
  id: 'remote.publish',
  pack: 'remote',
  decision: 'deny',
  reason: 'publishes the project to a public registry, or opens a local port to the internet',
  programs: [...PYTHONS, ...RELEASERS, 'lt', 'tailscale', 'zrok', 'pinggy', 'loophole', 'telebit'],
  examples: {
    match: [
      'python -m twine upload dist/*',
      'python3 -m twine upload --repository pypi dist/*',
      'py -m twine upload dist/*',
      'npx np',
      'npx semantic-release',
      'npx release-it --ci',
      'npx lerna publish from-package --yes',
      'lt --port 3000',
      'npx lt --port 8080 --subdomain demo',
      'tailscale funnel 3000',
      'tailscale funnel --bg 8080',
      'zrok share public localhost:3000',
    ],
    not_match: [
      'python -m pytest',
      'python -m twine check dist/*',
      'python -m build',
      'npx semantic-release --dry-run',
      'npx np --preview',
      'lt --help',
      'lt -la',
      'tailscale status',
      'tailscale serve 3000',
      'lerna run build',
    ],
  },
  check(cmd) {
    const a = cmd.argv
    if (PYTHONS.includes(cmd.name)) {
      const hit = pythonModule(a)
      return hit === null ? null : `${cmd.name} ${hit}: uploads the package to a public registry`
    }

    if (a.length > 0 && a.every((v) => HELP_ONLY.test(v))) return null
    if (RELEASERS.has(cmd.name)) return releaser(cmd.name, a)
    if (cmd.name === 'tailscale') {
      const verb = a.find((v) => !v.startsWith('-'))
      return verb === 'funnel' && !a.includes('status') && !a.includes('off') && !a.includes('reset')
        ? 'tailscale funnel: opens a local port to the whole internet'
        : null
    }

    // `lt` is localtunnel only with the port it exposes (`lt --port 3000`); other `lt`s are not judged here.
    if (cmd.name === 'lt' && !a.some((v) => /^(?:--port|-p)(?:=|$)|^-p\d+$/.test(v))) return null
    if (cmd.name === 'zrok')
      return a.includes('public') ? 'zrok share public: opens a local port to the internet' : null
    return `${cmd.name}: opens a local port to the internet through a public tunnel`
  },
})

export const publishingRules: readonly CommandRule[] = [publishMore]
