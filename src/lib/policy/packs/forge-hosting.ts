/**
 * A code forge's own settings and history changed through its CLI or API (issue 12, held-out round): a
 * branch moved by force through the refs API, branch protection taken off, a private repository made
 * public, repository secrets deleted, and DELETE sent to the forge's API with curl (the `gh api -X
 * DELETE` spelling is cloud-destroy.ts). Reading the same endpoints, opening pull requests and listing
 * secrets stay the remote pack's ask.
 */

import type {Cmd} from '../command.js'

import {commandRule} from '../rules.js'
import {verbsOf} from '../subcommands.js'
import {optionValues} from './cloud-args.js'

/** The API of GitHub (and Enterprise's /api/v3), GitLab (/api/v4), Bitbucket and Gitea/Forgejo (/api/v1). */
const FORGE_API = new RegExp(
  String.raw`^(?:https?://)?(?:api\.github\.com|api\.bitbucket\.org|[^/\s]+/api/v[134])/|` +
    String.raw`^(?:https?://)?gitlab\.[^/\s]+/api/`,
  'i',
)

/** The method of `-X M`, `-XM`, `--request M`, `--method M`, `--method=M`; undefined when not given. */
function method(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '-X' || a === '--request' || a === '--method') return argv[i + 1]?.toUpperCase()
    const m = /^(?:-X|--request=|--method=)(\w+)$/.exec(a)
    if (m) return (m[1] as string).toUpperCase()
  }

  return undefined
}

/** `-f k=v`, `-F k=v`, `--field`, `--raw-field`: the body of a `gh api` call. */
function fields(argv: readonly string[]): string[] {
  return optionValues(argv, ['-f', '-F', '--field', '--raw-field'])
}

const PROTECTION_OFF = new RegExp(
  String.raw`^(?:enforce_admins|required_pull_request_reviews|required_status_checks|required_linear_history)` +
    String.raw`(?:\[\])?=(?:false|null)?$`,
  'i',
)

/** A body that weakens branch protection: reviews, checks or admin enforcement off, force pushes allowed. */
function weakens(body: readonly string[]): string | undefined {
  return body.find((f) => PROTECTION_OFF.test(f) || /^(?:allow_force_pushes|allow_deletions)=true$/i.test(f))
}

/** Options of `gh api` that take a separate value, so that the endpoint is found wherever it is written. */
const API_VALUE: ReadonlySet<string> = new Set([
  '-X',
  '--method',
  '-H',
  '--header',
  '-f',
  '-F',
  '--field',
  '--raw-field',
  '--jq',
  '-q',
  '--input',
  '-t',
  '--template',
  '-R',
  '--repo',
  '--hostname',
  '-p',
  '--preview',
  '--cache',
])

/** The endpoint of `gh api [options] ENDPOINT [options]`. */
function endpointOf(argv: readonly string[]): string {
  for (let i = argv.indexOf('api') + 1; i < argv.length; i++) {
    const a = argv[i] as string
    if (API_VALUE.has(a)) i++
    else if (!a.startsWith('-')) return a
  }

  return ''
}

/** GraphQL mutations that delete a repository, branch or safeguard, or move a branch by force. */
const GRAPHQL_DESTROY = new RegExp(
  String.raw`\bmutation\b[\s\S]*\b(?:delete(?:Repository|Ref|BranchProtectionRule|Environment|Ruleset)\b|` +
    String.raw`update(?:Refs?|Ref)\b[\s\S]*\bforce\s*:\s*true|updateRepository\b[\s\S]*\bvisibility\s*:\s*PUBLIC)`,
)

function ghApi(cmd: Cmd): null | string {
  const a = cmd.argv
  const endpoint = endpointOf(a)
  const body = fields(a)
  if (endpoint === 'graphql') {
    const query = body.find((f) => GRAPHQL_DESTROY.test(f))
    return query === undefined ? null : `${cmd.name} api graphql: a mutation that deletes or force-moves on the forge`
  }

  // `gh api` with fields and no method sends a POST.
  const verb = method(a) ?? (body.length > 0 ? 'POST' : 'GET')
  if (verb === 'GET') return null
  if (/\/git\/refs\//.test(endpoint) && body.some((f) => /^force=true$/i.test(f)))
    return `${cmd.name} api ${verb} ${endpoint} force=true: moves the branch on the server, dropping its commits`
  if (/\/protection(?:\/|$)/.test(endpoint)) {
    const weak = weakens(body)
    if (weak !== undefined) return `${cmd.name} api ${verb} ${endpoint} ${weak}: takes branch protection off`
  }

  if (
    /^\/?repos\/[^/]+\/[^/]+\/?$/.test(endpoint) &&
    body.some((f) => /^(?:visibility=public|private=false)$/i.test(f))
  )
    return `${cmd.name} api ${verb} ${endpoint}: makes the repository public`
  return null
}

/** What the forge keeps that has no undo: a deleted secret or key cannot be read back. */
const DELETED_NOUNS = /^(?:secret|variable|deploy-key|ssh-key|gpg-key)$/

function forgeCli(cmd: Cmd): null | string {
  const [noun, verb] = verbsOf(cmd)
  if (noun === 'api') return ghApi(cmd)
  if (noun === 'repo' && verb === 'edit') {
    const visibility = optionValues(cmd.argv, ['--visibility'])
    return visibility.some((v) => /^public$/i.test(v))
      ? `${cmd.name} repo edit --visibility public: publishes the repository and its history`
      : null
  }

  if (noun !== undefined && DELETED_NOUNS.test(noun) && (verb === 'delete' || verb === 'remove' || verb === 'rm'))
    return `${cmd.name} ${noun} ${verb}: deletes it from the forge, with no copy to restore`
  return null
}

function httpClient(cmd: Cmd): null | string {
  const a = cmd.argv
  const url = a.find((v) => FORGE_API.test(v))
  if (url === undefined) return null
  // httpie and xh take the method as a word before the URL.
  const verb = cmd.name === 'curl' || cmd.name === 'wget' ? method(a) : a.find((v) => /^[A-Z]+$/.test(v))
  if (verb === 'DELETE') return `${cmd.name} DELETE ${url}: deletes it through the forge's API`
  if ((verb === 'PATCH' || verb === 'POST') && /\/git\/refs\//.test(url) && /"force"\s*:\s*true/.test(a.join(' ')))
    return `${cmd.name} ${verb} ${url} force: moves the branch on the server, dropping its commits`
  return null
}

export const forgeHosting = commandRule({
  id: 'remote.forge-settings',
  pack: 'remote',
  decision: 'deny',
  reason:
    "changes a forge's history or safeguards: force-moves a branch through the API, removes branch protection, " +
    'makes a repository public, deletes secrets, or sends DELETE to its API',
  programs: ['gh', 'glab', 'tea', 'curl', 'wget', 'http', 'https', 'xh'],
  examples: {
    match: [
      'gh api --method PATCH repos/o/r/git/refs/heads/release -F force=true -f sha=abc',
      'gh api repos/o/r/branches/main/protection -X PUT -F enforce_admins=false -F restrictions=',
      'gh api -XPATCH repos/o/r -f visibility=public',
      'gh repo edit o/r --visibility=public',
      'gh secret remove DEPLOY_KEY -R o/r',
      'glab variable delete AWS_KEY',
      'gh api graphql -f query=\'mutation { deleteRef(input: {refId: "x"}) { clientMutationId } }\'',
      'curl -sS --request DELETE -H "Authorization: Bearer x" https://api.github.com/repos/o/r',
      'http DELETE https://gitlab.example.com/api/v4/projects/12 PRIVATE-TOKEN:x',
    ],
    not_match: [
      'gh api repos/o/r',
      'gh api repos/o/r/branches/main/protection',
      'gh api -X PATCH repos/o/r/git/refs/heads/topic -f sha=abc',
      'gh api repos/o/r/branches/main/protection -X PUT -F enforce_admins=true',
      'gh secret list',
      "gh api graphql -f query='query { viewer { login } }'",
      'gh secret set TOKEN < token.txt',
      'gh repo edit o/r --description "docs"',
      'gh pr create --fill',
      'curl -s https://api.github.com/repos/o/r/pulls',
      'curl -X DELETE http://localhost:3000/api/items/1',
    ],
  },
  check(cmd) {
    return cmd.name === 'gh' || cmd.name === 'glab' || cmd.name === 'tea' ? forgeCli(cmd) : httpClient(cmd)
  },
})
