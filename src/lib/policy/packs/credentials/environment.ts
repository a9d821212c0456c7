/** Credentials pack: environment dumps and secret variables. */

import type {Cmd} from '../../command.js'
import type {Word} from '../../words.js'

import {parseOptions} from '../../options.js'
import {commandRule, type RuleEnv} from '../../rules.js'

export const SECRET_NAME =
  /TOKEN|SECRET|PASSW(?:OR)?D|PASSPHRASE|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|AUTH|SESSION|COOKIE/i

function secretNames(words: readonly Word[]): string | undefined {
  return words.find(
    (w) => !w.value.startsWith('-') && SECRET_NAME.test(w.value) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(w.value),
  )?.value
}

/** Names that usually hold secrets, in a filter's pattern. */
const SECRETISH =
  /key|token|secret|pass|pwd|auth|cred|private|session|cookie|aws|gcp|azure|api|cert|sign|dsn|database_url/i

/**
 * `env | grep NODE`: the environment is filtered to names matching a plain word that names no
 * secret, so only those lines are printed. Anything else (`grep -v`, a pattern with regex
 * characters, a filter the engine cannot see) still prints secrets.
 */
function filteredToHarmless(cmd: Cmd, env: RuleEnv): boolean {
  const consumers = env.commands().filter((c) => env.producers(c).includes(cmd))
  if (consumers.length !== 1) return false
  const [filter] = consumers as [Cmd]
  if (!/^(?:grep|rg|egrep|fgrep)$/.test(filter.name)) return false
  const words = filter.argv.filter((v) => !v.startsWith('-'))
  const flags = filter.argv.filter((v) => v.startsWith('-'))
  if (words.length !== 1 || flags.some((f) => !/^-(?:[iwFE]+|-ignore-case|-word-regexp)$/.test(f))) return false
  const pattern = words[0] as string
  return /^\^?[A-Za-z][\w-]*=?$/.test(pattern) && !SECRETISH.test(pattern)
}

export const envDump = commandRule({
  id: 'credentials.env-dump',
  pack: 'credentials',
  decision: 'deny',
  reason: 'prints the environment, which may hold secrets',
  programs: ['env', 'printenv', 'set', 'export', 'declare', 'typeset', 'ps', 'compgen'],
  examples: {
    match: [
      'env',
      'printenv',
      'env | grep KEY',
      'env | grep -v NODE',
      'env | sort',
      'set',
      'export -p',
      'declare -p',
      'declare -x',
      'printenv GITHUB_TOKEN',
      'ps eww',
      'sudo env',
    ],
    not_match: [
      'env FOO=1 make',
      'env | grep NODE',
      'env | grep -i ^path',
      'printenv HOME',
      'set -euo pipefail',
      'export FOO=1',
      'declare -a arr',
      'ps aux',
      'env --version',
    ],
  },
  check(cmd, env) {
    const a = cmd.argv
    switch (cmd.name) {
      case 'env': {
        // `env -S '…'` runs a command (judged on its own); `env` alone prints everything.
        if (cmd.code !== undefined || a.some((v) => v === '--help' || v === '--version')) return null
        return filteredToHarmless(cmd, env) ? null : 'env with no command prints the whole environment'
      }

      case 'printenv': {
        const names = a.filter((v) => !v.startsWith('-'))
        if (names.length === 0) return 'printenv prints the whole environment'
        const secret = secretNames(cmd.args)
        return secret ? `printenv ${secret}` : null
      }

      case 'set': {
        return a.length === 0 ? 'set with no arguments prints every variable' : null
      }

      case 'export': {
        return a.every((v) => v === '-p') ? 'export -p prints every exported variable' : null
      }

      case 'declare':
      case 'typeset': {
        const parsed = parseOptions(cmd.args, {})
        const names = parsed.operands.map((w) => w.value)
        if (names.length === 0 && [...parsed.flags].every((f) => f === '-p' || f === '-x' || f === '-r' || f === '-g'))
          return `${cmd.name} ${a.join(' ')} prints variables`
        const secret = secretNames(parsed.operands)
        return secret && parsed.flags.has('-p') ? `${cmd.name} -p ${secret}` : null
      }

      case 'ps': {
        return a.some((v) => !v.startsWith('-') && /^[a-zA-Z]*e[a-zA-Z]*$/.test(v))
          ? 'ps e prints the environment of processes'
          : null
      }

      case 'compgen': {
        return null
      }

      default: {
        return null
      }
    }
  },
})

export const secretVariable = commandRule({
  id: 'credentials.secret-variable',
  pack: 'credentials',
  decision: 'ask',
  reason: 'expands a variable whose name suggests a secret',
  examples: {
    match: [
      'echo $GITHUB_TOKEN',
      'curl -H "Authorization: Bearer $API_KEY" http://localhost:3000',
      'echo "${DB_PASSWORD}" > out.txt',
    ],
    not_match: ['echo $HOME', 'echo $PATH', 'echo "$TOKENIZER_MODE_DEFAULT_X"x'],
  },
  check(cmd) {
    const words = [
      ...cmd.args,
      ...cmd.raw.redirects.flatMap((r) => (r.target ? [r.target] : [])),
      ...cmd.assignments.flatMap((a) => (a.value ? [a.value] : [])),
    ]
    for (const w of words) {
      const hit = w.vars.find((v) => SECRET_NAME.test(v) && !v.startsWith('AGENT_HUB_') && !v.startsWith('TOKENIZER'))
      if (hit) return `expands $${hit}`
    }

    return null
  },
})
