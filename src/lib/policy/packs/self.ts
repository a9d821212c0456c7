/**
 * Hub self-protection pack (SPEC §4.3): an agent must not read the tokens, rewrite the policy or the
 * audit log, drive the hub's own CLI (which finds the operator token by itself), touch
 * `AGENT_HUB_*` variables, or stop the daemon. Paths are compared after resolution, so
 * `../runtime/operator_token.txt` from the workspace is caught; the token file names are also
 * matched in the raw text, which catches forms the parser cannot resolve (PowerShell paths).
 */

import type {Cmd} from '../command.js'

import {DATA_ONLY, touches} from '../effects.js'
import {parseOptions} from '../options.js'
import {isWithin, type Place, placeWithin} from '../paths.js'
import {commandRule, type Rule, type RuleEnv, textRule} from '../rules.js'

const RECURSIVE = /^-[A-Za-z]*[rRa]$|^--recursive$|^--archive$/
const ALWAYS_RECURSIVE = new Set([
  'find',
  'rg',
  'ag',
  'ack',
  'tar',
  'zip',
  'du',
  'tree',
  'fd',
  'fdfind',
  'rsync',
  'git',
])

const runtimeDir = commandRule({
  id: 'self.runtime-dir',
  pack: 'self',
  decision: 'deny',
  reason: "touches the hub's runtime directory (tokens, audit log, pending requests, run records)",
  examples: {
    match: [
      'cat {runtime}/audit.log',
      'ls {runtime}',
      'echo x >> {runtime}/audit.log',
      'rm -rf {runtime}/pending',
      'cp x {runtime}/pending/20250101_000000_abcdef12.json',
      'cd {runtime} && cat daemon.json',
      'cat ../runtime/audit.log',
    ],
    not_match: ['cat ./runtime.txt', 'ls ./build', 'echo {runtime}'],
  },
  check(cmd, env) {
    const dir = env.ctx.runtimeDir
    for (const t of touches(cmd)) {
      for (const place of env.places(cmd, t.word)) {
        if (placeWithin(place, dir))
          return `touches the hub's runtime directory: ${place.kind === 'path' ? place.path : ''}`
      }
    }

    return null
  },
})

function isPolicyPlace(place: Place, file: string | undefined): boolean {
  if (place.kind === 'unknown') return false
  if (file !== undefined && place.kind === 'path' && place.path === file) return true
  return /(?:^|\/)hub\.policy\.json$/.test(place.path)
}

const policyFile = commandRule({
  id: 'self.policy-file',
  pack: 'self',
  decision: 'deny',
  reason: "touches the hub's policy file",
  examples: {
    match: ['cat {policy}', 'echo "{}" > {policy}', 'sed -i s/deny/allow/ ../hub.policy.json', 'rm hub.policy.json'],
    not_match: ['cat policy.md', 'ls ./policies'],
  },
  check(cmd, env) {
    for (const t of touches(cmd)) {
      for (const place of env.places(cmd, t.word)) {
        if (isPolicyPlace(place, env.ctx.policyFile))
          return `touches the hub's policy file: ${place.kind === 'unknown' ? t.word.value : place.path}`
      }

      if (!t.word.static && /hub\.policy\.json$/.test(t.word.value))
        return `touches the hub's policy file: ${t.word.value}`
    }

    return null
  },
})

const TOKEN_NAMES = /agent_hub_token\.txt|operator_token\.txt/i

const tokenNames = textRule({
  id: 'self.token-files',
  pack: 'self',
  decision: 'deny',
  reason: "names one of the hub's token files",
  pattern: TOKEN_NAMES,
  examples: {
    match: [
      'cat runtime/agent_hub_token.txt',
      String.raw`Get-Content runtime\operator_token.txt`,
      'find / -name operator_token.txt',
      'cat $(ls ../*/agent_hub_token.txt)',
    ],
    not_match: ['cat token.txt', 'echo operator'],
  },
})

const hubVariables = commandRule({
  id: 'self.hub-variables',
  pack: 'self',
  decision: 'deny',
  reason: 'reads or changes AGENT_HUB_* variables',
  examples: {
    match: [
      'echo $AGENT_HUB_TOKEN',
      'printenv AGENT_HUB_OPERATOR_TOKEN',
      'AGENT_HUB_POLICY=/tmp/p.json npm test',
      'export AGENT_HUB_STRICT_MODE=0',
      'unset AGENT_HUB_TOKEN',
      'env | grep AGENT_HUB_',
    ],
    not_match: ['echo AGENT_HUB', 'echo $HUB_TOKEN_X'],
  },
  check(cmd) {
    if (cmd.assignments.some((a) => a.name.startsWith('AGENT_HUB_'))) return 'sets an AGENT_HUB_* variable'
    const words = [...cmd.args, ...cmd.raw.redirects.flatMap((r) => (r.target ? [r.target] : []))]
    const expanded = words.flatMap((w) => w.vars).find((v) => v.startsWith('AGENT_HUB_'))
    if (expanded) return `expands $${expanded}`
    if (!DATA_ONLY.has(cmd.name) && cmd.argv.some((a) => a.includes('AGENT_HUB_')))
      return `names an AGENT_HUB_* variable`
    return null
  },
})

const HUBBY = /node|hub|tsx|npm|agent|run\.js|^serve$/i
/**
 * How the daemon's command line reads in `ps` (a path of one's own may stand in front): what
 * `pkill -f`'s pattern is matched against. `node server.js` does not match these, `node` or `serve` does.
 */
const DAEMON_COMMAND_LINES = [
  'node /usr/local/lib/node_modules/hub/bin/run.js serve',
  'node ./bin/run.js serve --port 8787',
  '/usr/bin/node /usr/local/bin/hub serve',
  'npm exec hub serve',
  'npx hub serve',
  'hub serve',
  'node node_modules/.bin/tsx ./bin/dev.js serve',
]

/** Whether a `pkill -f` pattern (an extended regex) could match the daemon; one it cannot read could. */
function fullPatternHitsDaemon(pattern: string): boolean {
  // JavaScript's engine backtracks: a quantified group (`(.|.)*Z`), a back-reference or many repeats
  // (`.*.*.*.*…Z`) can take minutes on one line. Such a pattern, or a long one, is refused unread.
  const repeats = pattern.replaceAll(/\\./g, '').match(/[*+{]/g)?.length ?? 0
  if (pattern.length > 200 || repeats > 3 || /\)\s*[*+?{]|\\[1-9]/.test(pattern)) return true
  let re: RegExp
  try {
    re = new RegExp(pattern)
  } catch {
    return true
  }

  return DAEMON_COMMAND_LINES.some((line) => re.test(line))
}

const FINDERS = /^(?:pgrep|pidof|lsof|ps|fuser|ss|netstat|awk|grep)$/

/** A process finder looking for something that could be the daemon (by name, its port, or a pattern it cannot read). */
function findsDaemon(c: Cmd): boolean {
  if (!FINDERS.test(c.name) && c.name !== 'cat' && c.name !== 'jq') return false
  return c.args.some((w) => !w.static || HUBBY.test(w.value) || /\b8787\b|AGENT_HUB|daemon\.json/.test(w.value))
}

function killsDaemon(cmd: Cmd, env: RuleEnv): null | string {
  switch (cmd.name) {
    case 'pkill':
    case 'killall':
    case 'skill':
    case 'slay': {
      const parsed = parseOptions(cmd.args, {
        shortValue: 'sugtPGUFcaen',
        longValue: ['signal', 'user', 'group', 'uid', 'terminal', 'parent', 'pgroup', 'session', 'ns', 'nslist'],
      })
      const full = parsed.flags.has('-f') || parsed.flags.has('--full')
      const target = parsed.operands.find(
        (w) => !w.static || (full ? fullPatternHitsDaemon(w.value) : HUBBY.test(w.value)),
      )
      return target ? `${cmd.name} ${target.value}: may stop the hub daemon` : null
    }

    case 'fuser': {
      return cmd.argv.some((a) => /^-[A-Za-z]*k/.test(a)) ? 'fuser -k kills whatever holds the file or port' : null
    }

    case 'kill': {
      if (cmd.args.some((w) => w.vars.includes('PPID'))) return 'kill $PPID stops the process that started this command'
      for (const w of cmd.args) {
        for (const u of w.units) {
          if (u.dyn?.group === undefined) continue
          const finder = env.groupCommands(u.dyn.group).find((c) => findsDaemon(c))
          if (finder) return `kill of processes found with \`${finder.text.trim()}\`: may stop the hub daemon`
        }
      }

      if (cmd.viaNames.includes('xargs')) {
        const finder = env.producers(cmd).find((c) => findsDaemon(c))
        if (finder) return `kill of processes found with \`${finder.text.trim()}\`: may stop the hub daemon`
      }

      return null
    }

    default: {
      return null
    }
  }
}

const stopDaemon = commandRule({
  id: 'self.stop-daemon',
  pack: 'self',
  decision: 'deny',
  reason: 'may stop the hub daemon',
  programs: ['pkill', 'killall', 'skill', 'slay', 'fuser', 'kill'],
  examples: {
    match: [
      'pkill node',
      'pkill -f hub',
      "pkill -f 'run.js serve'",
      "pkill -f '(.|.)*Z'",
      "pkill -f '.*.*.*.*.*.*.*.*Z'",
      'pkill -f serve',
      'killall -9 node',
      'kill $(pgrep -f hub)',
      'kill -9 $PPID',
      'fuser -k 8787/tcp',
      'lsof -ti:8787 | xargs kill',
      'kill `cat {runtime}/daemon.json | jq .pid`',
    ],
    not_match: [
      'kill 12345',
      'pkill -f my-test-server',
      "pkill -f 'node server.js'",
      'kill %1',
      'kill -9 $(lsof -t -i:3000)',
      'kill $(pgrep -f vite)',
    ],
  },
  check: (cmd, env) => killsDaemon(cmd, env),
})

const hubCli = commandRule({
  id: 'self.hub-cli',
  pack: 'self',
  decision: 'deny',
  reason: "runs the hub's own CLI, which can approve requests with the operator token",
  examples: {
    match: [
      'hub approve 20250101_000000_abcdef12',
      'hub deny x',
      'npx hub approve x',
      'node ./bin/run.js approve x',
      '/usr/local/bin/hub serve',
    ],
    not_match: ['github status', 'echo hub'],
  },
  check(cmd) {
    if (cmd.name === 'hub' || cmd.name === 'agent-hub') return true
    if (['bun', 'bunx', 'node', 'npx', 'pnpm', 'tsx', 'yarn'].includes(cmd.name)) {
      const first = cmd.args.find((w) => !w.value.startsWith('-'))
      if (first && (first.value === 'hub' || /(?:^|\/)bin\/(?:run|dev)\.js$/.test(first.value)))
        return `${cmd.name} ${first.value}`
    }

    return null
  },
})

/** The daemon's operator routes (SPEC §7.1): deciding, sessions, token rotation. */
const OPERATOR_ROUTE =
  /\/(?:approve|deny)\/[\w-]+|\/(?:sessions|rotate-token|tokens?\/rotate)\b|\/api\/(?:approve|deny)\b/

const operatorApi = commandRule({
  id: 'self.operator-api',
  pack: 'self',
  decision: 'deny',
  reason: "calls the hub's operator endpoints (approving, denying, sessions) from a run",
  programs: ['curl', 'wget', 'http', 'https', 'xh', 'httpie', 'nc', 'ncat', 'socat', 'python', 'python3', 'node'],
  examples: {
    match: [
      'curl -X POST http://127.0.0.1:8787/approve/20250101_000000_abcdef12',
      'curl -s -XPOST localhost:8787/deny/20250101_000000_abcdef12 -d "{}"',
      'http POST :8787/approve/20250101_000000_abcdef12',
      'curl --unix-socket ../runtime/hub.sock http://x/approve/20250101_000000_abcdef12',
    ],
    not_match: ['curl http://127.0.0.1:3000/api/items', 'curl localhost:8787/health', 'curl https://x.io/approved'],
  },
  check(cmd) {
    const hit = cmd.args.find((w) => OPERATOR_ROUTE.test(w.value))
    return hit ? `${cmd.name} ${hit.value}: the hub's operator endpoint` : null
  },
})

const recursiveOverHub = commandRule({
  id: 'self.recursive-over-hub',
  pack: 'self',
  // It would read (or copy) the token files along with everything else.
  decision: 'deny',
  reason: "works recursively (or by glob) over a directory that holds the hub's runtime files",
  examples: {
    match: ['grep -r token {runtime}/..', 'cat {runtime}/../*/*', 'tar czf all.tgz {runtime}/..', 'cp -r / /tmp/x'],
    not_match: ['grep -r TODO .', 'ls ..', 'find . -name x'],
  },
  check(cmd, env) {
    const recursive = ALWAYS_RECURSIVE.has(cmd.name) || cmd.argv.some((a) => RECURSIVE.test(a))
    const hub = env.ctx.runtimeDir
    for (const t of touches(cmd)) {
      for (const place of env.places(cmd, t.word)) {
        if (place.kind !== 'path' || isWithin(place.path, hub)) continue
        if (isWithin(hub, place.path) && (recursive || place.below))
          return `reaches the hub's runtime directory through ${place.below ? `${place.path}/*` : place.path}`
      }
    }

    return null
  },
})

export const selfPack: readonly Rule[] = [
  runtimeDir,
  policyFile,
  tokenNames,
  hubVariables,
  stopDaemon,
  hubCli,
  operatorApi,
  recursiveOverHub,
]
