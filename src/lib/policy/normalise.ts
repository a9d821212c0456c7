/**
 * From a walked simple command to what actually runs: wrappers (`sudo`, `env`, `timeout`, `xargs` …)
 * are peeled off and remembered in `via`, the program is named by its base name, a name built at
 * run time is marked opaque (and, where earlier assignments or `$(echo …)` say what it could be,
 * judged as each of those too), and code handed to another interpreter of shell code (`bash -c`,
 * `eval`, a here-document fed to `sh`, `find -exec`, `ssh host cmd` …) is parsed again.
 */

import path from 'node:path'

import type {Assignment, RawCommand} from './walk.js'

import {type Cmd, type CodeSource, programFamily, programName} from './command.js'
import {inlineCode, interpreterOf, interpreterReadsStdin} from './effects.js'
import {analyseInline, type Language, languageOf} from './inline-code.js'
import {type OptionSpec, parseOptions} from './options.js'
import {decodeEncodedCommand} from './powershell.js'
import {decodeAnsiC, literalWord, pathWord, shellQuote, type Word, wordFromUnits} from './words.js'

export interface Analyser {
  add(cmd: Omit<Cmd, 'index'>): Cmd
  /**
   * Parses `source` as shell code and judges what it runs (one level deeper). `positional` are
   * `$0`, `$1` … for that code when known (`sh -c CODE name a b`); null where built at run time.
   */
  code(source: string, via: readonly string[], cwds: readonly string[], positional?: readonly (null | string)[]): void
  readonly depth: number
  /** What this request wrote to a file earlier (echo/printf/cat into it): its text, null when unknown. */
  fileContent(word: Word, cwds: readonly string[]): null | string | undefined
  /** Commands inside a `$(…)` / `<(…)` group. */
  groupCommands(group: number): readonly Cmd[]
  /** Program names the rules know, for matching a glob used as a command name. */
  knownPrograms(): Iterable<string>
  /** Commands of the previous stage of each pipeline this command is in. */
  pipeProducers(raw: RawCommand): readonly Cmd[]
  /** PowerShell code the shell hands to `pwsh -Command` (judged by the PowerShell pack). */
  powershellCode(code: string): void
  /** Literal values assigned to a variable anywhere in the script so far. */
  values(name: string): readonly string[]
}

/** A file a wrapper opens itself (`xargs -a list`, `strace -o out`), judged as the command's. */
export interface FileUse {
  readonly word: Word
  readonly write: boolean
}

interface State {
  readonly assignments: readonly Assignment[]
  readonly cwds: readonly string[]
  readonly dynamic: boolean
  readonly files: readonly FileUse[]
  readonly opaque: string | undefined
  readonly unseenArgs: boolean
  readonly via: readonly string[]
  readonly viaNames: readonly string[]
}

type Peeled =
  /** The wrapper runs this command. */
  | null
  /** The wrapper runs shell code (`watch 'a | b'`, `env -S '…'`). */
  | {
      readonly assignments?: readonly Assignment[]
      readonly cwd?: Word
      /** Working directories are unknown from here on (inside a container). */
      readonly elsewhere?: boolean
      readonly files?: readonly FileUse[]
      /** xargs -I: input replaces a string instead of being appended. */
      readonly replaces?: boolean
      readonly replaceString?: string
      readonly unseenArgs?: boolean
      readonly via: string
      readonly words: readonly Word[]
    }
  /** Nothing to peel: judge the wrapper itself (`sudo -l`, `env` alone). */
  | {readonly code: Word; readonly rest: readonly Word[]; readonly via: string}

const MAX_PEEL = 24
const MAX_CANDIDATES = 12

interface WrapperDef {
  /** Arguments are appended at run time. */
  readonly appends?: boolean
  /** `NAME=value` words before the command. */
  readonly assignments?: boolean
  /** Option whose value is the working directory of the command. */
  readonly chdir?: string
  /** Options whose value is a file the wrapper itself opens (`xargs -a`, `strace -o`). */
  readonly files?: Readonly<Record<string, 'read' | 'write'>>
  /** Options after which there is no command to run. */
  readonly noCommand?: readonly string[]
  /** Operands before the command (`timeout 5`, `chroot /srv`). */
  readonly skip?: number
  /** How the skipped operands are used (`chroot DIR` reads, `flock FILE` writes). */
  readonly skipped?: 'read' | 'write'
  readonly spec: OptionSpec
}

const WRAPPERS: Readonly<Record<string, WrapperDef>> = {
  sudo: {
    spec: {
      stopAtOperand: true,
      shortValue: 'ugCDhpRrtTU',
      short: {D: 'chdir'},
      long: {chdir: 'chdir'},
      longValue: [
        'user',
        'group',
        'close-from',
        'chdir',
        'host',
        'prompt',
        'chroot',
        'role',
        'type',
        'command-timeout',
        'other-user',
      ],
    },
    assignments: true,
    files: {chdir: 'read', '-R': 'read', '--chroot': 'read'},
    noCommand: [
      '-l',
      '-v',
      '-k',
      '-K',
      '-V',
      '-e',
      '--list',
      '--validate',
      '--remove-timestamp',
      '--reset-timestamp',
      '--version',
      '--edit',
    ],
    chdir: 'chdir',
  },
  doas: {spec: {stopAtOperand: true, shortValue: 'uC'}, noCommand: ['-L']},
  pkexec: {spec: {stopAtOperand: true, longValue: ['user']}},
  run0: {
    spec: {
      stopAtOperand: true,
      shortValue: 'ugD',
      longValue: ['user', 'group', 'chdir', 'unit', 'property', 'description', 'slice', 'nice', 'setenv', 'background'],
    },
  },
  env: {
    spec: {
      stopAtOperand: true,
      shortValue: 'uCSP',
      short: {C: 'chdir', S: 'split'},
      long: {chdir: 'chdir', 'split-string': 'split'},
      longValue: ['unset', 'chdir', 'split-string'],
    },
    assignments: true,
    chdir: 'chdir',
    files: {chdir: 'read'},
  },
  timeout: {spec: {stopAtOperand: true, shortValue: 'sk', longValue: ['signal', 'kill-after']}, skip: 1},
  nice: {spec: {stopAtOperand: true, shortValue: 'n', longValue: ['adjustment']}},
  nohup: {spec: {stopAtOperand: true}},
  time: {
    spec: {stopAtOperand: true, shortValue: 'fo', longValue: ['format', 'output']},
    files: {'-o': 'write', '--output': 'write'},
  },
  command: {spec: {stopAtOperand: true}, noCommand: ['-v', '-V']},
  builtin: {spec: {stopAtOperand: true}},
  exec: {spec: {stopAtOperand: true, shortValue: 'a'}},
  stdbuf: {spec: {stopAtOperand: true, shortValue: 'ioe', longValue: ['input', 'output', 'error']}},
  setsid: {spec: {stopAtOperand: true}},
  chroot: {spec: {stopAtOperand: true, longValue: ['userspec', 'groups']}, skip: 1, skipped: 'read'},
  xargs: {
    spec: {
      stopAtOperand: true,
      shortValue: 'EILnPsda',
      longValue: [
        'arg-file',
        'delimiter',
        'max-args',
        'max-procs',
        'max-chars',
        'max-lines',
        'process-slot-var',
        'eof',
      ],
    },
    appends: true,
    files: {'-a': 'read', '--arg-file': 'read'},
  },
  ionice: {
    spec: {stopAtOperand: true, shortValue: 'cnpPu', longValue: ['class', 'classdata', 'pid', 'pgid', 'uid']},
    noCommand: ['-p', '-P', '-u', '--pid', '--pgid', '--uid'],
  },
  strace: {spec: {stopAtOperand: true, shortValue: 'abeEIoOpPsSuUX'}, noCommand: ['-p'], files: {'-o': 'write'}},
  ltrace: {spec: {stopAtOperand: true, shortValue: 'aeEolLnpsuwxA'}, noCommand: ['-p'], files: {'-o': 'write'}},
  taskset: {spec: {stopAtOperand: true}, skip: 1, noCommand: ['-p', '--pid']},
  chrt: {spec: {stopAtOperand: true}, skip: 1, noCommand: ['-p', '--pid', '-m', '--max']},
  unshare: {
    spec: {
      stopAtOperand: true,
      shortValue: 'S',
      longValue: ['setuid', 'setgid', 'root', 'wd', 'map-user', 'map-group'],
    },
    files: {'--root': 'read', '--wd': 'read'},
  },
  nsenter: {
    spec: {stopAtOperand: true, shortValue: 'tSGrwe', longValue: ['target', 'setuid', 'setgid', 'root', 'wd', 'env']},
    files: {'--root': 'read', '--wd': 'read'},
  },
  'systemd-run': {
    spec: {
      stopAtOperand: true,
      shortValue: 'pHMEG',
      longValue: [
        'property',
        'unit',
        'description',
        'slice',
        'host',
        'machine',
        'setenv',
        'uid',
        'gid',
        'nice',
        'working-directory',
        'on-calendar',
        'on-active',
        'on-boot',
        'timer-property',
      ],
    },
  },
  unbuffer: {spec: {stopAtOperand: true}},
  caffeinate: {spec: {stopAtOperand: true, shortValue: 'tw'}},
  torsocks: {spec: {stopAtOperand: true, shortValue: 'aPuw'}},
  proxychains: {spec: {stopAtOperand: true, shortValue: 'f'}},
  proxychains4: {spec: {stopAtOperand: true, shortValue: 'f'}},
  firejail: {spec: {stopAtOperand: true}},
  'xvfb-run': {spec: {stopAtOperand: true, shortValue: 'nsefwpl'}},
  catchsegv: {spec: {stopAtOperand: true}},
  valgrind: {spec: {stopAtOperand: true}},
  'dbus-run-session': {spec: {stopAtOperand: true}},
  // Package runners run the named tool: `npx cdk destroy` is judged as `cdk destroy`.
  npx: {spec: {stopAtOperand: true, shortValue: 'p', longValue: ['package', 'call', 'cache', 'userconfig']}},
  pnpx: {spec: {stopAtOperand: true}},
  bunx: {spec: {stopAtOperand: true, shortValue: 'p', longValue: ['package']}},
}

/** `bundle exec X`, `poetry run X`, `npm exec -- X`: a tool that runs another through a subcommand. */
const RUNNER_SUBCOMMANDS: Readonly<Record<string, ReadonlySet<string>>> = {
  bundle: new Set(['exec']),
  poetry: new Set(['run']),
  uv: new Set(['run']),
  pipenv: new Set(['run']),
  pdm: new Set(['run']),
  hatch: new Set(['run']),
  npm: new Set(['exec', 'x']),
  pnpm: new Set(['exec', 'dlx']),
  yarn: new Set(['exec', 'dlx']),
  rye: new Set(['run']),
}

function peelRunner(name: string, args: readonly Word[]): Peeled {
  const subs = RUNNER_SUBCOMMANDS[name]
  const first = args[0]
  if (subs === undefined || first === undefined || !subs.has(first.value)) return null
  const parsed = parseOptions(args.slice(1), {stopAtOperand: true, shortValue: 'pc', longValue: ['package', 'call']})
  const rest = args.slice(1 + parsed.rest)
  return rest.length > 0 ? {words: rest, via: `${name} ${first.value}`} : null
}

const CONTAINER_CLIS: ReadonlySet<string> = new Set(['docker', 'podman', 'nerdctl', 'docker-compose', 'kubectl', 'oc'])

/** Wrapper names, for tests and for the rules that care (`sudo` is also privilege escalation). */
export const WRAPPER_NAMES: ReadonlySet<string> = new Set([
  ...Object.keys(WRAPPERS),
  'parallel',
  ...Object.keys(RUNNER_SUBCOMMANDS),
  'busybox',
  'toybox',
  'watch',
  'flock',
  'coproc',
])

export const SHELLS: ReadonlySet<string> = new Set([
  'sh',
  'bash',
  'zsh',
  'dash',
  'ksh',
  'ksh93',
  'mksh',
  'pdksh',
  'ash',
  'yash',
  'posh',
  'rbash',
  'fish',
  'csh',
  'tcsh',
])

function peelWrapper(name: string, args: readonly Word[]): Peeled {
  if (name === 'busybox' || name === 'toybox') {
    const first = args[0]
    return first && !first.value.startsWith('-') ? {words: args, via: name} : null
  }

  if (name === 'watch') return peelWatch(args)
  if (name === 'parallel') return peelParallel(args)
  if (name in RUNNER_SUBCOMMANDS) return peelRunner(name, args)
  if (CONTAINER_CLIS.has(name)) return peelContainerExec(name, args)
  if (name === 'flock') return peelFlock(args)
  if (name === 'coproc') return peelCoproc(args)
  const def = WRAPPERS[name]
  if (def === undefined) return null
  const parsed = parseOptions(args, def.spec)
  if (def.noCommand?.some((f) => parsed.flags.has(f))) return null
  let rest = args.slice(parsed.rest)
  const assignments: Assignment[] = []
  if (def.assignments) {
    while (rest[0] && /^[A-Za-z_][A-Za-z0-9_]*=/.test(rest[0].value)) {
      const w = rest[0]
      const eq = w.value.indexOf('=')
      assignments.push({name: w.value.slice(0, eq), value: literalWord(w.value.slice(eq + 1))})
      rest = rest.slice(1)
    }
  }

  if (name === 'env') {
    const split = parsed.values.get('split')?.[0]
    if (split) return {code: split, rest, via: 'env -S'}
  }

  const files: FileUse[] = []
  for (const [option, use] of Object.entries(def.files ?? {})) {
    for (const word of parsed.values.get(option) ?? []) files.push({word, write: use === 'write'})
  }

  for (const word of rest.slice(0, def.skip ?? 0)) if (def.skipped) files.push({word, write: def.skipped === 'write'})
  rest = rest.slice(def.skip ?? 0)
  if (rest.length === 0) return null
  // `sudo -s cmd…` / `sudo -i cmd…` hand the words to the target user's shell as one command line.
  if (name === 'sudo' && ['-s', '-i', '--shell', '--login'].some((f) => parsed.flags.has(f)))
    return {code: joinWords(rest), rest: [], via: 'sudo -s'}
  const chdir = def.chdir ? parsed.values.get(def.chdir)?.[0] : undefined
  const replaces = name === 'xargs' && ['-I', '-i', '--replace'].some((f) => parsed.flags.has(f))
  const replaceString = parsed.values.get('-I')?.[0]?.value
  return {
    words: rest,
    via: name,
    assignments,
    ...(chdir ? {cwd: chdir} : {}),
    unseenArgs: def.appends === true,
    files,
    replaces,
    ...(replaceString ? {replaceString} : {}),
  }
}

const CONTAINER_EXEC: OptionSpec = {
  stopAtOperand: true,
  shortValue: 'euw',
  longValue: ['env', 'env-file', 'user', 'workdir', 'detach-keys', 'index'],
}
const KUBECTL_EXEC: OptionSpec = {
  stopAtOperand: true,
  shortValue: 'cnf',
  longValue: ['container', 'namespace', 'filename', 'context', 'kubeconfig', 'cluster', 'user', 'pod-running-timeout'],
}

/**
 * `docker exec CONTAINER cmd…`, `docker compose exec SERVICE cmd…`, `kubectl exec POD -- cmd…`:
 * the command runs inside a container; it is judged like any other (a database dropped there is
 * dropped), with its working directory unknown.
 */
function peelContainerExec(name: string, args: readonly Word[]): Peeled {
  const values = args.map((w) => w.value)
  if (name === 'kubectl' || name === 'oc') {
    const at = values.indexOf('exec')
    if (at === -1) return null
    const dashes = values.indexOf('--', at)
    if (dashes !== -1)
      return dashes + 1 < args.length ? {words: args.slice(dashes + 1), via: `${name} exec`, elsewhere: true} : null
    const parsed = parseOptions(args.slice(at + 1), KUBECTL_EXEC)
    const rest = args.slice(at + 1 + parsed.rest + 1)
    return rest.length > 0 ? {words: rest, via: `${name} exec`, elsewhere: true} : null
  }

  // docker [global options] exec …, docker compose exec …, docker-compose exec …
  let at = values.indexOf('exec')
  if (at === -1 || values.slice(0, at).some((v) => !v.startsWith('-') && v !== 'compose' && v !== 'container')) at = -1
  if (at === -1) return null
  const parsed = parseOptions(args.slice(at + 1), CONTAINER_EXEC)
  const rest = args.slice(at + 1 + parsed.rest + 1)
  return rest.length > 0 ? {words: rest, via: `${name} exec`, elsewhere: true} : null
}

const PARALLEL: OptionSpec = {
  stopAtOperand: true,
  shortValue: 'jPSaIdEnNLlC',
  longValue: ['jobs', 'arg-file', 'delimiter', 'max-args', 'sshlogin', 'joblog', 'results', 'timeout', 'delay'],
}

/** GNU parallel: `parallel cmd ::: a b` runs cmd with each input; without `:::` it reads its input. */
function peelParallel(args: readonly Word[]): Peeled {
  const parsed = parseOptions(args, PARALLEL)
  const rest = args.slice(parsed.rest)
  const sep = rest.findIndex((w) => w.value === ':::' || w.value === '::::')
  const command = sep === -1 ? rest : rest.slice(0, sep)
  if (command.length === 0) return null
  const replaces = command.some((w) => w.value.includes('{}'))
  if (sep !== -1 && rest[sep]?.value === ':::') {
    const inputs = rest.slice(sep + 1).filter((w) => w.value !== ':::')
    if (inputs.every((w) => w.static)) {
      const words = withInput(
        command,
        inputs.map((w) => w.value),
        replaces ? '{}' : undefined,
      )
      return {words, via: 'parallel', unseenArgs: false}
    }
  }

  return {words: command, via: 'parallel', unseenArgs: true, replaces, replaceString: '{}'}
}

/**
 * `coproc cmd…`, `coproc NAME { …; }`: the grammar reads the group as loose words (and its closing
 * brace as a command of its own), so a group is put back together and parsed as code.
 */
function peelCoproc(args: readonly Word[]): Peeled {
  const open = (w: undefined | Word): boolean => w?.value === '{' || w?.value === '('
  const rest = !open(args[0]) && open(args[1]) ? args.slice(1) : args
  const first = rest[0]
  if (first === undefined) return null
  if (!open(first)) return {words: rest, via: 'coproc'}
  const close = first.value === '{' ? '; }' : ')'
  return {code: literalWord(`${rest.map((w) => w.value).join(' ')}${close}`), rest: [], via: 'coproc'}
}

function peelWatch(args: readonly Word[]): Peeled {
  const parsed = parseOptions(args, {stopAtOperand: true, shortValue: 'n', longValue: ['interval']})
  const rest = args.slice(parsed.rest)
  if (rest.length === 0) return null
  if (parsed.flags.has('-x') || parsed.flags.has('--exec')) return {words: rest, via: 'watch'}
  // Without -x, watch joins its arguments and hands them to `sh -c`.
  return {code: joinWords(rest), rest: [], via: 'watch'}
}

function peelFlock(args: readonly Word[]): Peeled {
  const parsed = parseOptions(args, {
    stopAtOperand: true,
    shortValue: 'wEc',
    short: {c: 'command'},
    long: {command: 'command'},
    longValue: ['timeout', 'conflict-exit-code', 'command'],
  })
  const rest = args.slice(parsed.rest + 1)
  const code = parsed.values.get('command')?.[0]
  if (code) return {code, rest: [], via: 'flock -c'}
  const next = rest[0]
  if (next && (next.value === '-c' || next.value === '--command') && rest[1])
    return {code: rest[1], rest: [], via: 'flock -c'}
  const lock = args[parsed.rest]
  return rest.length > 0 ? {words: rest, via: 'flock', files: lock ? [{word: lock, write: true}] : []} : null
}

/** Words joined with spaces into one word (what `eval a b` or `watch a b` hands to the shell). */
export function joinWords(words: readonly Word[]): Word {
  if (words.length === 1) return words[0] as Word
  const units = words.flatMap((w, i) => (i === 0 ? [...w.units] : [{ch: ' ', quoted: true}, ...w.units]))
  const value = words.map((w) => w.value).join(' ')
  return {
    raw: words.map((w) => w.raw).join(' '),
    value,
    static: words.every((w) => w.static),
    glob: false,
    tilde: false,
    prefix: value,
    vars: words.flatMap((w) => w.vars),
    substitution: words.some((w) => w.substitution),
    procGroup: undefined,
    derived: true,
    units,
  }
}

/** Variables whose value a program later runs as a command line (`GIT_EDITOR='rm -rf /' git commit`). */
const COMMAND_VARS = new Set([
  'EDITOR',
  'VISUAL',
  'PAGER',
  'MANPAGER',
  'GIT_EDITOR',
  'GIT_PAGER',
  'GIT_SEQUENCE_EDITOR',
  'GIT_SSH_COMMAND',
  'GIT_ASKPASS',
  'SSH_ASKPASS',
  'PROMPT_COMMAND',
  'SUDO_EDITOR',
  'FCEDIT',
  'BROWSER',
  'TERMINAL',
])

export function normaliseCommand(raw: RawCommand, an: Analyser, via: readonly string[]): void {
  for (const a of raw.assignments) {
    if (COMMAND_VARS.has(a.name) && a.value !== null && a.value.value.trim() !== '')
      an.code(a.value.value, [...via, `${a.name}=`], raw.cwds)
  }

  const state: State = {
    via,
    viaNames: [],
    assignments: raw.assignments,
    cwds: raw.cwds,
    unseenArgs: false,
    opaque: undefined,
    dynamic: raw.words.some((w) => !w.static || w.derived),
    files: [],
  }
  if (raw.words.length === 0) {
    emit(raw, an, state, null, [])
    return
  }

  peel(raw, an, raw.words, state, 0)
}

function peel(raw: RawCommand, an: Analyser, input: readonly Word[], start: State, guesses: number): void {
  let words = input
  let state = start
  for (let n = 0; n < MAX_PEEL; n++) {
    const head = words[0]
    if (head === undefined) return
    if (!head.static || head.glob) {
      opaqueName(raw, an, head, words.slice(1), state, guesses)
      return
    }

    const name = programName(head.value)
    const peeled = peelWrapper(name, words.slice(1))
    if (peeled === null) break
    const viaText = peeled.via
    if ('code' in peeled) {
      const cmd = emit(raw, an, state, head, words.slice(1))
      runCode(cmd, an, peeled.code, [...state.via, viaText], peeled.rest)
      return
    }

    state = {
      ...state,
      via: [...state.via, viaText],
      viaNames: [...state.viaNames, name],
      assignments:
        peeled.assignments && peeled.assignments.length > 0
          ? [...state.assignments, ...peeled.assignments]
          : state.assignments,
      cwds: peeled.elsewhere ? [''] : peeled.cwd ? state.cwds.map((d) => chdirTo(d, peeled.cwd as Word)) : state.cwds,
      unseenArgs: state.unseenArgs || peeled.unseenArgs === true,
      files: peeled.files && peeled.files.length > 0 ? [...state.files, ...peeled.files] : state.files,
    }
    words = peeled.words
    // What xargs and parallel append is visible when everything feeding them is (`echo /etc | xargs rm -rf`).
    if ((name === 'xargs' || name === 'parallel') && peeled.unseenArgs === true) {
      const seen = xargsInput(raw, an, peeled.files ?? [])
      if (seen !== null) {
        words = withInput(words, seen, peeled.replaces === true ? (peeled.replaceString ?? '{}') : undefined)
        state = {...state, unseenArgs: false, dynamic: true}
      }
    }
  }

  const head = words[0] as Word
  const cmd = emit(raw, an, state, head, words.slice(1))
  carry(cmd, an)
}

/** Input words appended to a command, or put where the replace string stands (`xargs -I{} rm {}`). */
function withInput(words: readonly Word[], input: readonly string[], replace: string | undefined): Word[] {
  const values = input.slice(0, MAX_CANDIDATES * 4)
  if (replace === undefined) return [...words, ...values.map((s) => inputWord(s))]
  const out: Word[] = []
  for (const w of words) {
    if (w.value.includes(replace)) {
      for (const v of values) out.push(inputWord(w.value.replaceAll(replace, v)))
    } else {
      out.push(w)
    }
  }

  return out
}

/**
 * A word read from input. `~` at its start came from a shell that printed it unexpanded only if it
 * was quoted (`echo '~'`), which is rare; read as the home directory, the cautious choice.
 */
function inputWord(text: string): Word {
  return pathWord(text)
}

/** The words xargs reads, when every producer's output (or its here-string, here-document) is visible. */
function xargsInput(raw: RawCommand, an: Analyser, files: readonly FileUse[]): null | string[] {
  const out: string[] = []
  // `xargs -a <(echo /)`: the argument file is a process substitution the engine can read.
  for (const f of files) {
    if (f.word.procGroup === undefined) return null
    for (const c of an.groupCommands(f.word.procGroup)) {
      const text = producedText(c)
      if (text === null) return null
      out.push(...text.split(/\s+/).filter((s) => s !== ''))
    }
  }

  if (out.length > 0) return out
  for (const r of raw.redirects) {
    if (r.heredoc) out.push(...r.heredoc.body.split(/\s+/).filter((s) => s !== ''))
    else if (r.op === '<<<' && r.target?.static) out.push(...r.target.value.split(/\s+/).filter((s) => s !== ''))
    else if (r.op === '<' || r.op === '<<<') return null
  }

  if (out.length > 0) return out
  const producers = visibleProducers(an.pipeProducers(raw), an)
  if (producers.length === 0) return null
  for (const p of producers) {
    const text = producedText(p)
    if (text === null) return null
    out.push(...text.split(/\s+/).filter((s) => s !== ''))
  }

  return out
}

function chdirTo(dir: string, target: Word): string {
  if (!target.static || target.glob) return ''
  if (target.value.startsWith('/')) return path.posix.resolve(target.value)
  if (dir === '' || dir.startsWith('~') || target.tilde) return ''
  return path.posix.resolve(dir, target.value)
}

function emit(
  raw: RawCommand,
  an: Analyser,
  state: State,
  head: null | Word,
  args: readonly Word[],
  code?: CodeSource,
): Cmd {
  const program = head === null ? null : head.value.slice(head.value.lastIndexOf('/') + 1)
  return an.add({
    program,
    name: head === null ? '' : programName(head.value),
    programWord: head,
    args,
    argv: args.map((w) => w.value),
    text: raw.text,
    via: state.via,
    viaNames: state.viaNames,
    raw,
    cwds: state.cwds,
    assignments: state.assignments,
    opaque: state.opaque,
    unseenArgs: state.unseenArgs,
    dynamic: state.dynamic,
    wrapperFiles: state.files,
    bare: head === null && raw.words.length === 0,
    depth: an.depth,
    code,
  })
}

/**
 * A command name only the running shell knows. It is opaque whatever happens (never allowed, at
 * least asked); where the script itself says what it may be (`X=rm; $X …`, `$(echo rm)`, `r*m`
 * against known programs) each possibility is judged as well, so a deny is not lost.
 */
function opaqueName(
  raw: RawCommand,
  an: Analyser,
  head: Word,
  rest: readonly Word[],
  state: State,
  guesses: number,
): void {
  const why = head.static
    ? `the command name is a glob pattern (${head.raw})`
    : `the command name is built at run time (${head.raw})`
  const {values: candidates, complete} = guesses < 2 ? nameCandidates(head, an) : {values: [], complete: false}
  // When the script itself says every value the name can take (`X=rm; $X`, `$(which rm)`), the
  // engine sees which programs run: each is judged (never allowed: the words stay dynamic).
  if (!complete) emit(raw, an, {...state, opaque: why, dynamic: true}, null, rest)
  for (const candidate of candidates) {
    const split = candidate.split(/\s+/).filter((s) => s !== '')
    if (split.length === 0) continue
    const words = [...split.map((s) => literalWord(s, {derived: true})), ...rest]
    const note = complete ? undefined : `${why}; judged as \`${split[0]}\``
    peel(raw, an, words, {...state, opaque: note, dynamic: true}, guesses + 1)
  }
}

/** What some variables hold in the runner's shell, when the script has not set them itself. */
const WELL_KNOWN: Readonly<Record<string, readonly string[]>> = {0: ['bash'], SHELL: ['bash'], BASH: ['bash']}

function nameCandidates(head: Word, an: Analyser): {complete: boolean; values: string[]} {
  if (head.static) {
    const base = head.value.slice(head.value.lastIndexOf('/') + 1)
    const re = globToRegExp(base)
    if (re === null) return {values: [], complete: false}
    const out: string[] = []
    for (const p of an.knownPrograms()) {
      if (re.test(p)) out.push(p)
      if (out.length >= MAX_CANDIDATES) break
    }

    return {values: out, complete: false}
  }

  return wordCandidates(head, (name) => an.values(name))
}

/**
 * The values a word built from variables and `$(echo …)` can take, as far as the script says
 * (`complete`: every part is known, and no value was cut off).
 */
export function wordCandidates(
  word: Word,
  values: (name: string) => readonly string[],
): {complete: boolean; values: string[]} {
  let partial: string[] = ['']
  let complete = true
  for (const u of word.units) {
    let options: readonly string[]
    if (u.dyn === undefined) options = [u.ch]
    else if (u.dyn.kind === 'var' && u.dyn.name !== undefined) {
      const known = values(u.dyn.name)
      const wellKnown = known.length === 0 ? (WELL_KNOWN[u.dyn.name] ?? []) : []
      // A default (`${X:-make}`) is only one possibility: the environment may set X.
      if (known.length === 0 && wellKnown.length === 0) complete = false
      options = [...known, ...(u.dyn.fallback === undefined ? [] : [u.dyn.fallback]), ...wellKnown]
    } else if (u.dyn.kind === 'cmd' && u.dyn.output !== undefined) options = [u.dyn.output]
    else return {values: [], complete: false}
    if (options.length === 0) return {values: [], complete: false}
    const next: string[] = []
    for (const p of partial) {
      for (const o of options) {
        if (next.length < MAX_CANDIDATES) next.push(p + o)
        else complete = false
      }
    }

    partial = next
  }

  return {values: partial, complete}
}

function globToRegExp(glob: string): null | RegExp {
  let re = ''
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string
    switch (ch) {
      case '*': {
        re += '.*'
        break
      }

      case '?': {
        re += '.'
        break
      }

      case '[': {
        const close = glob.indexOf(']', i + 2)
        if (close === -1) re += String.raw`\[`
        else {
          let body = glob.slice(i + 1, close)
          if (body.startsWith('!')) body = `^${body.slice(1)}`
          re += `[${body.replaceAll('\\', '\\\\')}]`
          i = close
        }

        break
      }

      default: {
        re += ch.replaceAll(/[.*+?^${}()|[\]\\/]/g, String.raw`\$&`)
      }
    }
  }

  try {
    return new RegExp(`^${re}$`, 'i')
  } catch {
    return null
  }
}

const AWKS = new Set(['awk', 'gawk', 'mawk', 'nawk'])

/**
 * Code given inline to an interpreter of another language (`python -c`, `node -e`, a here-document
 * to `perl`, `awk '…'`, a script this request wrote): read for the calls that matter, each turned
 * into the shell command that does the same and judged as one (see inline-code.ts).
 */
function interpreterCode(cmd: Cmd, an: Analyser): void {
  let language: Language | null
  let flag: string
  const texts: string[] = []
  let dynamic = false
  if (AWKS.has(cmd.name) || (cmd.name === 'awk' && cmd.viaNames.includes('busybox'))) {
    if (cmd.args.some((w) => /^-[A-Za-z]*f/.test(w.value) || w.value.startsWith('--file'))) return
    const parsed = parseOptions(cmd.args, {shortValue: 'Fvf', longValue: ['field-separator', 'assign', 'file']})
    const program = parsed.operands[0]
    if (program === undefined) return
    language = 'awk'
    flag = 'program'
    if (program.static) texts.push(program.value)
    else dynamic = true
  } else {
    const interp = interpreterOf(cmd)
    if (interp === null) return
    language = languageOf(interp.family)
    const inline = inlineCode(cmd, interp.spec)
    if (inline !== null) {
      flag = inline.flag
      if (inline.word === null) return
      const psCommand = /^(?:pwsh|powershell)$/.test(interp.family) && /^[-/]c/i.test(inline.flag)
      // `pwsh -Command a b c` runs the rest of the line as one command.
      const rest = psCommand ? cmd.args.slice(cmd.args.indexOf(inline.word)) : [inline.word]
      if (rest.every((w) => w.static)) texts.push(rest.map((w) => w.value).join(' '))
      else dynamic = true
      if (interp.family === 'perl' && cmd.args.some((w) => /^-[A-Za-z]*i/.test(w.value)))
        perlInPlace(cmd, inline.word, an)
    } else if (interpreterReadsStdin(cmd, interp.spec)) {
      flag = 'standard input'
      for (const r of cmd.raw.redirects) {
        if (r.heredoc) texts.push(r.heredoc.body)
        else if (r.op === '<<<' && r.target?.static) texts.push(r.target.value)
      }

      for (const p of visibleProducers(an.pipeProducers(cmd.raw), an)) {
        const text = producedText(p)
        if (text !== null) texts.push(text)
      }

      if (texts.length === 0) return
    } else {
      // A script this request wrote a moment ago (`echo '…' > x.py && python3 x.py`).
      const parsed = parseOptions(cmd.args, {
        stopAtOperand: true,
        shortValue: interp.spec.shortValue,
        longValue: interp.spec.longValue ?? [],
      })
      const script = cmd.args[parsed.rest]
      if (script === undefined || parsed.flags.has('-m')) return
      const text = an.fileContent(script, cmd.cwds)
      if (typeof text !== 'string') return
      flag = script.value
      texts.push(text)
    }
  }

  if (flag !== undefined && /^(?:pwsh|powershell)$/.test(programFamily(cmd.name))) {
    for (const text of texts) an.powershellCode(/^-e/i.test(flag) ? (decodeEncodedCommand(text) ?? text) : text)
  }

  let hidden: null | string = dynamic ? 'the code itself is built at run time' : null
  for (const text of texts) {
    if (language === null) continue
    const found = analyseInline(language, text)
    hidden ??= found.hidden
    for (const line of found.shell) an.code(line, [...cmd.via, `${cmd.name} ${flag}`], cmd.cwds)
  }

  cmd.inline = {
    flag,
    hidden,
    language: language ?? (/^(?:pwsh|powershell)$/.test(programFamily(cmd.name)) ? 'PowerShell' : null),
  }
}

/** `perl -pi -e '…' f g`: the files after the code are rewritten in place. */
function perlInPlace(cmd: Cmd, code: Word, an: Analyser): void {
  const at = cmd.args.indexOf(code)
  for (const w of cmd.args.slice(at + 1)) {
    if (w.value.startsWith('-')) continue
    an.code(
      `tee -- ${w.static ? shellQuote(w.value) : '"$INLINE_VALUE"'} < /dev/null`,
      [...cmd.via, 'perl -i'],
      cmd.cwds,
    )
  }
}

/** Code carried by the command itself: parsed again, judged as commands of their own. */
function carry(cmd: Cmd, an: Analyser): void {
  const {name} = cmd
  interpreterCode(cmd, an)
  const head = cmd.programWord
  if (head !== null && head.static && head.value.includes('/')) {
    const text = an.fileContent(head, cmd.cwds)
    if (typeof text === 'string') {
      cmd.code = {kind: 'file', word: head}
      an.code(text, [...cmd.via, head.value], cmd.cwds)
      return
    }
  }

  if (SHELLS.has(name) || ((cmd.viaNames.includes('busybox') || cmd.viaNames.includes('toybox')) && name === 'sh')) {
    shellCode(cmd, an)
    return
  }

  switch (name) {
    case 'eval': {
      if (cmd.args.length > 0) setCode(cmd, an, {kind: 'string', word: joinWords(cmd.args)}, 'eval')
      return
    }

    case 'source':
    case '.': {
      const file = cmd.args[0]
      if (file === undefined) return
      if (file.procGroup !== undefined) setCode(cmd, an, {kind: 'proc', group: file.procGroup}, name)
      else if (file.value === '/dev/stdin' || file.value === '-') setCode(cmd, an, {kind: 'stdin'}, name)
      else setCode(cmd, an, {kind: 'file', word: file}, name)
      return
    }

    case 'trap': {
      const first = cmd.args[0]
      if (first && cmd.args.length >= 2 && !first.value.startsWith('-') && first.value !== '') {
        setCode(cmd, an, {kind: 'string', word: first}, 'trap')
      }

      return
    }

    case 'alias': {
      for (const w of cmd.args) {
        const eq = w.value.indexOf('=')
        if (eq > 0) an.code(w.value.slice(eq + 1), [...cmd.via, 'alias'], cmd.cwds)
      }

      return
    }

    case 'su':
    case 'runuser':
    case 'sg': {
      const parsed = parseOptions(cmd.args, {
        shortValue: 'cgGsuw',
        short: {c: 'command'},
        long: {command: 'command'},
        longValue: ['command', 'shell', 'group', 'supp-group', 'user', 'whitelist-environment'],
      })
      const code = parsed.values.get('command')?.[0]
      if (code) setCode(cmd, an, {kind: 'string', word: code}, `${name} -c`)
      else if (name === 'runuser' && parsed.flags.has('-u') && parsed.operands.length > 0) {
        subCommand(cmd, an, parsed.operands, 'runuser')
      } else if (name === 'sg' && parsed.operands.length > 1) {
        setCode(cmd, an, {kind: 'string', word: joinWords(parsed.operands.slice(1))}, 'sg')
      }

      return
    }

    case 'script': {
      const parsed = parseOptions(cmd.args, {
        shortValue: 'cEIOBTm',
        short: {c: 'command'},
        long: {command: 'command'},
        longValue: ['command', 'echo', 'log-in', 'log-out', 'log-io', 'log-timing', 'logging-format'],
      })
      const code = parsed.values.get('command')?.[0]
      if (code) setCode(cmd, an, {kind: 'string', word: code}, 'script -c')
      return
    }

    case 'find': {
      findExec(cmd, an)
      return
    }

    case 'ssh': {
      sshCommand(cmd, an)
      break
    }

    default:
  }
}

function shellCode(cmd: Cmd, an: Analyser): void {
  const {args} = cmd
  let i = 0
  let hasC = false
  let hasS = false
  for (; i < args.length; i++) {
    const a = (args[i] as Word).value
    if (a === '--' || a === '-') {
      i++
      break
    }

    if (/^[+-][oO]$/.test(a)) {
      i++
      continue
    }

    if (a === '--rcfile' || a === '--init-file') {
      i++
      continue
    }

    if (a.startsWith('--')) continue
    if (/^[-+][A-Za-z]+$/.test(a)) {
      if (a.startsWith('-') && a.includes('c')) hasC = true
      if (a.startsWith('-') && a.includes('s')) hasS = true
      continue
    }

    break
  }

  const operands = args.slice(i)
  const first = operands[0]
  const via = `${cmd.name} -c`
  if (hasC) {
    if (first) {
      // `sh -c CODE name a b`: the words after the code are its `$0`, `$1` …
      const positional = operands.slice(1).map((w) => (w.static ? w.value : null))
      cmd.code = {kind: 'string', word: first}
      an.code(first.value, [...cmd.via, via], cmd.cwds, positional.length > 0 ? positional : [cmd.name])
    }

    return
  }

  if (hasS || first === undefined) {
    setCode(cmd, an, {kind: 'stdin'}, cmd.name)
    return
  }

  if (first.procGroup !== undefined) setCode(cmd, an, {kind: 'proc', group: first.procGroup}, cmd.name)
  else if (first.value === '/dev/stdin') setCode(cmd, an, {kind: 'stdin'}, cmd.name)
  else setCode(cmd, an, {kind: 'file', word: first}, cmd.name)
}

/** Records what code the command runs, and parses it when the engine can see it. */
function setCode(cmd: Cmd, an: Analyser, code: CodeSource, via: string): void {
  cmd.code = code
  const chain = [...cmd.via, via]
  if (code.kind === 'string') {
    runCode(cmd, an, code.word, chain, [])
    return
  }

  if (code.kind === 'stdin') {
    for (const text of stdinTexts(cmd, an)) an.code(text, chain, cmd.cwds)
    return
  }

  if (code.kind === 'proc') {
    for (const producer of an.groupCommands(code.group)) {
      const text = producedText(producer)
      if (text !== null) an.code(text, chain, cmd.cwds)
    }

    return
  }

  // A script this request wrote a moment ago (`echo 'rm -rf /' > x.sh && bash x.sh`) is read.
  const text = an.fileContent(code.word, cmd.cwds)
  if (typeof text === 'string') an.code(text, [...chain, code.word.value], cmd.cwds)
}

/**
 * Parses code given as a word. A word built at run time is parsed with its expansions left in
 * place, so what is visible is still judged; rules treat the built string itself as a bypass.
 */
function runCode(cmd: Cmd, an: Analyser, word: Word, via: readonly string[], rest: readonly Word[]): void {
  cmd.code ??= {kind: 'string', word}
  const extra = rest.length > 0 ? ` ${rest.map((w) => w.value).join(' ')}` : ''
  an.code(word.value + extra, via, cmd.cwds)
}

/** Code a shell reads on standard input, where the engine can see it. */
export function stdinTexts(cmd: Cmd, an: Analyser): string[] {
  const out: string[] = []
  for (const r of cmd.raw.redirects) {
    if (r.heredoc) out.push(r.heredoc.body)
    else if (r.op === '<<<' && r.target) out.push(r.target.value)
  }

  for (const producer of visibleProducers(an.pipeProducers(cmd.raw), an)) {
    const text = producedText(producer)
    if (text !== null) out.push(text)
  }

  return out
}

/** `tee f`, `cat`, `cat -`: pass their input on unchanged. */
export function isPassThrough(p: Cmd): boolean {
  return (
    p.name === 'tee' ||
    (p.name === 'cat' &&
      p.args.every((w) => w.value === '-') &&
      !p.raw.redirects.some((r) => r.heredoc || r.op === '<<<'))
  )
}

/** Producers, looking through filters that pass their input on unchanged. */
function visibleProducers(producers: readonly Cmd[], an: Analyser, depth = 0): Cmd[] {
  const out: Cmd[] = []
  for (const p of producers) {
    if (isPassThrough(p) && depth < 8) out.push(...visibleProducers(an.pipeProducers(p.raw), an, depth + 1))
    else out.push(p)
  }

  return out
}

/** What a producer writes to its output when the engine can tell: `echo`, `printf`, `cat <<EOF`. */
export function producedText(cmd: Cmd): null | string {
  if (cmd.name === 'echo') {
    let i = 0
    let escapes = false
    while (i < cmd.args.length && /^-[neE]+$/.test(cmd.args[i]?.value ?? '')) {
      if ((cmd.args[i] as Word).value.includes('e')) escapes = true
      i++
    }

    const words = cmd.args.slice(i)
    const text = words.map((w) => w.value).join(' ')
    return escapes ? decodeAnsiC(text) : text
  }

  if (cmd.name === 'printf') {
    const [format, ...rest] = cmd.args
    if (format === undefined) return null
    let k = 0
    const out = format.value.replaceAll(/%([%sbdciouxX])/g, (_m, c: string) => {
      if (c === '%') return '%'
      const arg = rest[k++]?.value ?? ''
      return c === 'b' ? decodeAnsiC(arg) : arg
    })
    return decodeAnsiC(out)
  }

  if (cmd.name === 'cat' && cmd.args.every((w) => w.value === '-')) return literalInput(cmd.raw)
  return null
}

/** The here-document or here-string a command reads, if it reads one. */
function literalInput(raw: RawCommand): null | string {
  for (const r of raw.redirects) {
    if (r.heredoc) return r.heredoc.body
    if (r.op === '<<<' && r.target) return `${r.target.value}\n`
  }

  return null
}

/** What `tee` writes: the text its producers print, when every one of them is visible. */
export function teeText(cmd: Cmd, an: Pick<Analyser, 'pipeProducers'>): null | string {
  const fromRedirect = literalInput(cmd.raw)
  if (fromRedirect !== null) return fromRedirect
  const producers = an.pipeProducers(cmd.raw)
  if (producers.length === 0) return null
  let out = ''
  for (const p of producers) {
    const text = producedText(p)
    if (text === null) return null
    out += text
  }

  return out
}

/** `find … -exec cmd {} ;`: `{}` stands for paths under find's start directories. */
function findExec(cmd: Cmd, an: Analyser): void {
  const {args} = cmd
  const starts: Word[] = []
  let i = 0
  while (i < args.length && !/^[-(!]/.test((args[i] as Word).value)) starts.push(args[i++] as Word)
  if (starts.length === 0) starts.push(literalWord('.'))
  for (; i < args.length; i++) {
    const a = (args[i] as Word).value
    if (a !== '-exec' && a !== '-execdir' && a !== '-ok' && a !== '-okdir') continue
    const inner: Word[] = []
    let j = i + 1
    for (; j < args.length; j++) {
      const v = (args[j] as Word).value
      if (v === ';' || (v === '+' && (args[j - 1] as Word).value === '{}')) break
      inner.push(args[j] as Word)
    }

    i = j
    if (inner.length === 0) continue
    for (const start of starts) {
      const placeholder = foundPathWord(start)
      // `{}` alone is a found path; inside a word (`sh -c "wc -l {}"`) it is spliced into the text.
      const words = inner.map((w) =>
        w.value === '{}'
          ? placeholder
          : w.value.includes('{}')
            ? literalWord(w.value.replaceAll('{}', placeholder.value), {derived: true})
            : w,
      )
      subCommand(cmd, an, words, `find ${a}`)
    }
  }
}

/** A word standing for "some path under `start`": a glob below it, which is how rules judge it. */
function foundPathWord(start: Word): Word {
  if (!start.static) return start
  const units = [
    ...start.units,
    ...(start.value.endsWith('/') ? [] : [{ch: '/', quoted: true}]),
    {ch: '*', quoted: false},
  ]
  return wordFromUnits(`${start.raw}/{}`, units)
}

/** Runs `words` as a command of its own (an argument vector, not code): `find -exec`, `runuser -u`. */
function subCommand(cmd: Cmd, an: Analyser, words: readonly Word[], via: string): void {
  const raw: RawCommand = {...cmd.raw, words, text: cmd.raw.text}
  const state: State = {
    via: [...cmd.via, via],
    viaNames: [...cmd.viaNames, cmd.name],
    assignments: cmd.assignments,
    cwds: cmd.cwds,
    unseenArgs: cmd.unseenArgs,
    opaque: undefined,
    dynamic: cmd.dynamic || words.some((w) => !w.static || w.derived),
    files: cmd.wrapperFiles,
  }
  peel(raw, an, words, state, 0)
}

const SSH_SPEC: OptionSpec = {stopAtOperand: true, shortValue: 'bBcDEeFIiJLlmOopQRSWw'}

/** `ssh host cmd…`: the words after the destination are joined and run by a shell over there. */
function sshCommand(cmd: Cmd, an: Analyser): void {
  const parsed = parseOptions(cmd.args, SSH_SPEC)
  const rest = cmd.args.slice(parsed.rest + 1)
  if (rest.length > 0) setCode(cmd, an, {kind: 'string', word: joinWords(rest)}, 'ssh')
}
