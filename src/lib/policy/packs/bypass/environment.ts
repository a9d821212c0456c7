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

/** Search paths for modules and libraries: the project's own directories in them are ordinary work. */
const SEARCH_PATHS = /^(?:PYTHONPATH|PERL5LIB|PERLLIB|RUBYLIB|LD_LIBRARY_PATH|DYLD_LIBRARY_PATH)$/

interface Assigned {
  readonly name: string
  /** The value when it is written out in full, else null. */
  readonly value: null | string
}

/** Assigned names, whether as a prefix (`X=1 cmd`), through env/sudo, or by export/declare. */
function assigned(cmd: Cmd): Assigned[] {
  const out: Assigned[] = cmd.assignments.map((a) => ({
    name: a.name,
    value: a.value === null ? '' : a.value.static ? a.value.value : null,
  }))
  if (['declare', 'export', 'local', 'readonly', 'typeset'].includes(cmd.name)) {
    for (const w of cmd.args) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(w.value)
      if (m) out.push({name: m[1] as string, value: w.static ? (m[2] as string) : null})
    }
  }

  return out
}

function assignedNames(cmd: Cmd): string[] {
  return assigned(cmd).map((a) => a.name)
}

/** Every entry of a search path is a directory of the workspace (`src`, `./lib`, `{workspace}/build`). */
function withinWorkspace(value: null | string, workspace: string): boolean {
  if (value === null || value === '') return false
  return value.split(':').every((part) => {
    if (part === '' || part.split('/').includes('..')) return false
    if (part.startsWith('/')) return part === workspace || part.startsWith(`${workspace}/`)
    return !/^[~$]/.test(part)
  })
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
      'PYTHONPATH=/tmp/evil python -m pytest',
      'export PERL5LIB=$HOME/x',
      'PYTHONPATH=../other python x.py',
    ],
    not_match: [
      'NODE_ENV=production npm start',
      'export DEBUG=1',
      'LANG=C sort f',
      'PYTHONPATH=src python -m pytest',
      'LD_LIBRARY_PATH=./build/lib:{workspace}/vendor ./build/app',
    ],
  },
  check(cmd, env) {
    const hit = assigned(cmd).find(
      (a) => INJECT_VARS.test(a.name) && !(SEARCH_PATHS.test(a.name) && withinWorkspace(a.value, env.ctx.workspace)),
    )
    return hit ? `sets ${hit.name}` : null
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
