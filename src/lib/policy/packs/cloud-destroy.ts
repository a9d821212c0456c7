/**
 * Cloud and host destruction the infrastructure rules (infra.ts) do not name (issue 12): OpenStack,
 * smaller VPS providers' CLIs, and deleting a repository or release on GitHub/GitLab. Looking at
 * them stays the remote pack's `ask`.
 */

import type {Cmd} from '../command.js'

import {commandRule, type CommandRule} from '../rules.js'

/** Options of these CLIs that take a separate value, so their values are not read as verbs. */
const VALUE_OPTION = new RegExp(
  String.raw`^(?:--os-[\w-]+|--config|--profile|--region|--zone|--project|--context|-o|--output|` +
    String.raw`-X|--method|-H|--header|-f|-F|--field|--raw-field|--jq|-q|--input|-t|--template|-R|--repo|--hostname)$`,
)

function verbs(argv: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i] as string
    if (v === '--') break
    if (v.startsWith('-')) {
      if (!v.includes('=') && VALUE_OPTION.test(v)) i++
      continue
    }

    out.push(v.toLowerCase())
  }

  return out
}

const DELETE_VERB = /^(?:delete|destroy|remove|rm|purge|terminate)$/

/** `gh api -X DELETE`, `--method=delete`, `-XDELETE`. */
function apiMethod(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i] as string
    const joined = /^(?:-X|--method=?)(.+)$/.exec(v)
    if (joined && !v.startsWith('--method') && v.length > 2) return joined[1]?.toUpperCase()
    if (v.startsWith('--method=')) return v.slice(9).toUpperCase()
    if (v === '-X' || v === '--method') return argv[i + 1]?.toUpperCase()
  }

  return undefined
}

const FORGE_DELETE: Readonly<Record<string, string>> = {
  repo: 'deletes the repository on the forge, with its issues, pull requests and releases',
  release: 'deletes a published release (and its tag with --cleanup-tag)',
}

function forge(cmd: Cmd): null | string {
  const [noun, verb, ...rest] = verbs(cmd.argv)
  if (noun === 'api') {
    const method = apiMethod(cmd.argv)
    return method === 'DELETE' ? `${cmd.name} api -X DELETE ${verb ?? ''}: deletes it through the API`.trim() : null
  }

  if (noun !== undefined && verb !== undefined && DELETE_VERB.test(verb) && FORGE_DELETE[noun] !== undefined)
    return `${cmd.name} ${noun} ${verb} ${rest[0] ?? ''}`.trimEnd() + `: ${FORGE_DELETE[noun]}`
  return null
}

const HOSTS = ['openstack', 'nova', 'cinder', 'vultr-cli', 'vultr', 'scw', 'civo', 'exo', 'upctl', 'ovhcloud']

export const cloudDestroy = commandRule({
  id: 'destructive.cloud-destroy',
  pack: 'destructive',
  decision: 'deny',
  reason: 'deletes cloud servers, volumes or networks, or a repository or release on GitHub/GitLab',
  programs: [...HOSTS, 'gh', 'glab'],
  examples: {
    match: [
      'openstack server delete web1',
      'openstack --os-cloud prod volume delete vol1',
      'openstack network delete net1',
      'vultr-cli instance delete abc',
      'scw instance server delete 11111111-1111',
      'civo kubernetes remove my-cluster -y',
      'gh repo delete owner/repo --yes',
      'gh api -X DELETE repos/owner/repo',
      'gh api --method=DELETE repos/o/r/git/refs/heads/main',
      'gh release delete v1.0 --cleanup-tag -y',
      'glab repo delete group/proj',
    ],
    not_match: [
      'openstack server list',
      'openstack server show web1',
      'vultr-cli instance list',
      'gh repo view owner/repo',
      'gh api repos/owner/repo',
      'gh api -X GET repos/o/r/pulls',
      'gh release list',
      'gh pr close 12 --delete-branch',
      'glab repo clone group/proj',
    ],
  },
  check(cmd) {
    if (cmd.name === 'gh' || cmd.name === 'glab') return forge(cmd)
    const words = verbs(cmd.argv)
    const at = words.findIndex((v) => DELETE_VERB.test(v))
    if (at < 1 && !(at === 0 && (cmd.name === 'nova' || cmd.name === 'cinder'))) return null
    return `${cmd.name} ${words.slice(0, at + 1).join(' ')}: deletes cloud servers, volumes or networks`
  },
})

export const cloudDestroyRules: readonly CommandRule[] = [cloudDestroy]
