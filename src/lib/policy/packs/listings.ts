/**
 * Destroying everything a listing names (issue 12): a command that deletes or kills, given its
 * operands at run time by `xargs`/`parallel` or by `$(…)`, from a command that lists ALL containers,
 * namespaces, keys, processes, or the files under a system path (`docker ps -aq | xargs docker rm -f`,
 * `kill -9 $(ps -eo pid)`, `find /usr -type f | xargs rm`). A narrowed listing (a filter, a label,
 * a name) stays the operator's to judge.
 */

import type {Cmd} from '../command.js'

import {isSystemPath} from '../paths.js'
import {commandRule, type CommandRule, type RuleEnv} from '../rules.js'

const CONTAINER_CLIS = /^(?:docker|podman|nerdctl)$/
const KUBE_CLIS = /^(?:kubectl|oc|k)$/

const firstVerbs = (argv: readonly string[]): string[] => argv.filter((v) => !v.startsWith('-'))

/** What the consumer destroys, or null when it does not destroy. */
function destroys(cmd: Cmd): null | string {
  const verbs = firstVerbs(cmd.argv)
  if (CONTAINER_CLIS.test(cmd.name)) {
    const [a, b] = verbs
    if (a !== undefined && /^(?:rm|kill|stop|rmi)$/.test(a)) return `${cmd.name} ${a}`
    if (
      a !== undefined &&
      /^(?:container|image|volume|network)$/.test(a) &&
      b !== undefined &&
      /^(?:rm|kill|stop)$/.test(b)
    )
      return `${cmd.name} ${a} ${b}`
    return null
  }

  if (KUBE_CLIS.test(cmd.name)) return verbs[0] === 'delete' ? `${cmd.name} delete` : null
  if (cmd.name === 'redis-cli') {
    const verb = verbs.find((v) => /^(?:del|unlink)$/i.test(v))
    return verb === undefined ? null : `redis-cli ${verb}`
  }

  if (/^(?:kill|rm|shred|unlink|rmdir)$/.test(cmd.name)) return cmd.name
  return null
}

const PROCESS_FILTER = /^(?:grep|egrep|fgrep|rg|ag)$/

function containerListing(a: readonly string[]): null | string {
  if (a.some((v) => /^(?:-f|--filter)(?:=|$)/.test(v))) return null
  const [x, y] = firstVerbs(a)
  if (x === 'ps' || (x === 'container' && (y === 'ls' || y === 'list'))) return 'every container'
  if (x === 'images' || (x === 'image' && y === 'ls')) return 'every image'
  if ((x === 'volume' || x === 'network') && y === 'ls') return `every ${x}`
  return null
}

function kubeListing(a: readonly string[]): null | string {
  const verbs = firstVerbs(a)
  if (verbs[0] !== 'get' || a.some((v) => /^(?:-l|--selector|--field-selector)(?:=|$)/.test(v))) return null
  // `kubectl get ns -o name` (a kind and no name): every object of that kind.
  const kinds = verbs.slice(1).filter((v) => !/^(?:name|json|yaml|wide|jsonpath=.*)$/.test(v))
  return kinds.length === 1 ? `every ${kinds[0]}` : null
}

function redisListing(a: readonly string[]): null | string {
  const pattern = a[a.indexOf('--pattern') + 1]
  if (a.includes('--scan') && (!a.includes('--pattern') || pattern === '*')) return 'every key'
  const verbs = firstVerbs(a)
  const keys = verbs.findIndex((v) => /^keys$/i.test(v))
  return keys !== -1 && verbs[keys + 1] === '*' ? 'every key' : null
}

/** `find /usr …`, `ls /etc`, `echo $HOME`: a listing of (or the name of) a system path or the home directory. */
function pathListing(p: Cmd, env: RuleEnv): null | string {
  const listing = p.name !== 'echo' && p.name !== 'printf'
  for (const w of p.args) {
    if (w.value.startsWith('-')) continue
    for (const place of env.places(p, w)) {
      if (place.kind === 'home' && place.path === '~')
        return listing ? 'the files of the home directory' : 'the home directory'
      if (place.kind === 'path' && (place.path === '/' || isSystemPath(place.path, env.ctx.workspace)))
        return listing ? `the files under ${place.path}` : place.path
    }
  }

  return null
}

const PATH_LISTERS = new Set(['find', 'ls', 'fd', 'echo', 'printf'])

/** Whether a producer lists everything of its kind, and what. */
function listsAll(p: Cmd, env: RuleEnv): null | string {
  if (CONTAINER_CLIS.test(p.name)) return containerListing(p.argv)
  if (KUBE_CLIS.test(p.name)) return kubeListing(p.argv)
  if (p.name === 'redis-cli') return redisListing(p.argv)
  if (p.name === 'ps') return 'every process'
  return PATH_LISTERS.has(p.name) ? pathListing(p, env) : null
}

/** Every command upstream of this one in its pipeline (producers of producers …), nearest first. */
function upstream(cmd: Cmd, env: RuleEnv): Cmd[] {
  const out: Cmd[] = []
  let frontier: readonly Cmd[] = env.producers(cmd)
  for (let depth = 0; depth < 8 && frontier.length > 0; depth++) {
    out.push(...frontier)
    frontier = frontier.flatMap((c) => env.producers(c))
  }

  return out
}

/** The commands whose output becomes this command's operands: its `$(…)` groups, or what feeds its xargs. */
function feeders(cmd: Cmd, env: RuleEnv): Cmd[] {
  const out: Cmd[] = []
  for (const w of cmd.args)
    for (const u of w.units) if (u.dyn?.group !== undefined) out.push(...env.groupCommands(u.dyn.group))
  // `… | while read id; do docker rm -f $id; done`: the loop's body reads the pipe through a variable.
  const throughLoop = cmd.args.some((w) => w.raw.includes('$'))
  if (cmd.viaNames.includes('xargs') || cmd.viaNames.includes('parallel') || throughLoop)
    out.push(...upstream(cmd, env))
  return out
}

export const destroyListed = commandRule({
  id: 'destructive.destroy-everything-listed',
  pack: 'destructive',
  decision: 'deny',
  reason:
    'deletes or kills everything a listing names (every container, namespace, key or process, or the files ' +
    'under a system path), fed through xargs or $(…)',
  programs: [
    'docker',
    'podman',
    'nerdctl',
    'kubectl',
    'oc',
    'k',
    'redis-cli',
    'kill',
    'rm',
    'shred',
    'unlink',
    'rmdir',
  ],
  examples: {
    match: [
      'docker ps -aq | xargs docker rm -f',
      'docker ps -q | xargs -r docker kill',
      'docker kill $(docker ps -q)',
      'kubectl get ns -o name | xargs kubectl delete',
      "redis-cli --scan --pattern '*' | xargs redis-cli del",
      "ps aux | awk '{print $2}' | xargs kill -9",
      'kill -9 $(ps -eo pid --no-headers)',
      'echo $HOME | xargs -n1 rm -rf',
      'find /usr -type f -print0 | xargs -0 rm -f',
      'docker ps -q | while read id; do docker rm -f $id; done',
    ],
    not_match: [
      'docker ps -q --filter name=web | xargs docker stop',
      'docker ps -aq | xargs docker inspect',
      'kubectl get pods -l app=web -o name | xargs kubectl delete',
      "redis-cli --scan --pattern 'cache:*' | xargs redis-cli del",
      "ps aux | grep my-worker | awk '{print $2}' | xargs kill",
      'find . -name "*.pyc" | xargs rm -f',
      'kill $(cat server.pid)',
    ],
  },
  check(cmd, env) {
    const what = destroys(cmd)
    if (what === null) return null
    const feed = feeders(cmd, env)
    if (feed.length === 0) return null
    // `ps … | grep X | … | xargs kill`: only the processes matching X, unless X finds the hub's daemon.
    const filter = feed.find((c) => PROCESS_FILTER.test(c.name))
    for (const p of feed) {
      const all = listsAll(p, env)
      if (all === null) continue
      if (p.name === 'ps' && filter !== undefined) {
        const pattern = firstVerbs(filter.argv).join(' ')
        if (/\b(?:node|hub)\b/.test(pattern))
          return `${what} of what \`ps | ${filter.name} ${pattern}\` finds: stops the hub daemon (it runs on node) too`
        continue
      }

      return `${what} of ${all} that \`${p.name} ${p.argv.join(' ')}\` lists`
    }

    return null
  },
})

export const listingRules: readonly CommandRule[] = [destroyListed]
