/**
 * Wrappers (`sudo`, `env`, `timeout`, `xargs`, `docker exec` …): what each runs, with which working
 * directory, assignments and files, so the normaliser can peel them off and judge the command inside.
 */

import type {Assignment} from './raw-command.js'

import {type FileUse} from './analyser.js'
import {peelAnsible} from './ansible-adhoc.js'
import {type OptionSpec, parseOptions} from './options.js'
import {literalWord, pathWord, type Word} from './words.js'

/** Most guesses judged for one unknown (a command name, the input xargs appends). */
export const MAX_CANDIDATES = 12

export type Peeled =
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

export function peelWrapper(name: string, args: readonly Word[]): Peeled {
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
  if (name === 'ansible') return peelAnsible(args)
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
    if (at === -1) return peelKubectlStart(name, args)
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
  // Marked in `via` so that the container-escape rule sees the inner command runs privileged.
  const via = parsed.flags.has('--privileged') ? `${name} exec --privileged` : `${name} exec`
  return rest.length > 0 ? {words: rest, via, elsewhere: true} : null
}

/**
 * `kubectl run POD --image=x -- cmd…`, `kubectl create job|cronjob|deployment NAME --image=x -- cmd…`,
 * `kubectl debug … -- cmd…`: the words after `--` are the command the new pod runs, judged like `kubectl
 * exec`'s (a download piped to a shell, or an account added, is the same there). Without `--` the
 * image's own entrypoint runs and nothing is peeled.
 */
function peelKubectlStart(name: string, args: readonly Word[]): Peeled {
  const values = args.map((w) => w.value)
  const dashes = values.indexOf('--')
  if (dashes === -1 || dashes + 1 >= args.length) return null
  const before = values.slice(0, dashes)
  const at = before.findIndex(
    (v, i) =>
      v === 'run' ||
      v === 'debug' ||
      (v === 'create' && /^(?:job|cronjob|cj|deploy(?:ment)?)$/.test(before[i + 1] ?? '')),
  )
  return at === -1 ? null : {words: args.slice(dashes + 1), via: `${name} ${before[at]}`, elsewhere: true}
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

/** Input words appended to a command, or put where the replace string stands (`xargs -I{} rm {}`). */
export function withInput(words: readonly Word[], input: readonly string[], replace: string | undefined): Word[] {
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
