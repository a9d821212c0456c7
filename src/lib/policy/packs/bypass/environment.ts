/** Bypass pack: loader and start-up injection through the environment, and PATH overrides. */

import type {Cmd} from '../../command.js'

import {commandRule} from '../../rules.js'

const INJECT_VARS = new RegExp(
  String.raw`^(?:LD_PRELOAD|LD_AUDIT|LD_LIBRARY_PATH|DYLD_INSERT_LIBRARIES|` +
    String.raw`DYLD_LIBRARY_PATH|DYLD_FRAMEWORK_PATH|BASH_ENV|ENV|SHELLOPTS|` +
    String.raw`BASHOPTS|PS4|NODE_OPTIONS|PERL5OPT|PERL5LIB|PERLLIB|RUBYOPT|` +
    String.raw`RUBYLIB|PYTHONSTARTUP|PYTHONPATH|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|` +
    String.raw`JDK_JAVA_OPTIONS|BASH_FUNC_.*|LESSOPEN|LESSCLOSE|GCONV_PATH|` +
    String.raw`HOSTALIASES|GIT_EXEC_PATH|GIT_CONFIG_.*)$`,
)

/** Assigned names, whether as a prefix (`X=1 cmd`), through env/sudo, or by export/declare. */
function assignedNames(cmd: Cmd): string[] {
  const names = cmd.assignments.map((a) => a.name)
  if (['declare', 'export', 'local', 'readonly', 'typeset'].includes(cmd.name)) {
    for (const w of cmd.args) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(w.value)
      if (m) names.push(m[1] as string)
    }
  }

  return names
}

export const loaderInjection = commandRule({
  id: 'bypass.loader-injection',
  pack: 'bypass',
  decision: 'deny',
  reason: 'sets an environment variable that makes later programs load or run code of its choosing',
  examples: {
    match: [
      'LD_PRELOAD=./evil.so ls',
      'export LD_PRELOAD=/tmp/x.so',
      'env BASH_ENV=/tmp/x bash -c true',
      'NODE_OPTIONS="--require /tmp/x.js" npm test',
      "PS4='$(id)' bash -x -c :",
      'sudo LD_LIBRARY_PATH=/tmp ls',
    ],
    not_match: ['NODE_ENV=production npm start', 'export DEBUG=1', 'LANG=C sort f'],
  },
  check(cmd) {
    const hit = assignedNames(cmd).find((n) => INJECT_VARS.test(n))
    return hit ? `sets ${hit}` : null
  },
})

export const pathOverride = commandRule({
  id: 'bypass.path-override',
  pack: 'bypass',
  decision: 'ask',
  reason: 'changes PATH, so later program names may resolve to other programs',
  examples: {
    match: ['PATH=/tmp/evil:$PATH git status', 'export PATH=.:$PATH', 'env PATH=./bin make'],
    not_match: ['echo $PATH', 'which git'],
  },
  check: (cmd) => assignedNames(cmd).includes('PATH'),
})
