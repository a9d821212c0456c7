/**
 * Code given inline to another interpreter (`python -c`, `node -e`, `perl -e`, `ruby -e`, `php -r`,
 * `awk '…'`), read for the calls that matter (issue 12): running commands, deleting, writing and
 * reading files, opening sockets and URLs, and running code built at run time. Each call found is
 * translated into the shell command that does the same (`shutil.rmtree('/etc')` → `rm -rf -- /etc`),
 * so the rules that judge shell commands judge it; an argument that is not a literal becomes `"$X"`,
 * which those rules treat as unknown. What cannot be read at all (`exec(b64decode(…))`) is reported
 * as hidden and refused. This is a scan for known calls, not a parser of five languages: code with
 * none of them is asked about, never allowed.
 */

import {canonical, deletesUnderHome, HOME, tclCommands} from './inline-canonical.js'
import {cloudSdkDeletes} from './inline-cloud-sdk.js'
import {inlineThreats} from './inline-threats.js'
import {shellQuote} from './words.js'

export type Language =
  'applescript' | 'awk' | 'java' | 'lua' | 'node' | 'perl' | 'php' | 'python' | 'r' | 'ruby' | 'tcl'

export interface InlineFindings {
  /** Why the code hides what it runs (code built at run time, an interactive shell), or null. */
  readonly hidden: null | string
  /** Shell commands equivalent to the calls found, for the shell rules to judge. */
  readonly shell: readonly string[]
}

type Arg = {kind: 'list'; values: (null | string)[]} | {kind: 'other'; text: string} | {kind: 'str'; value: string}

const DYNAMIC = '"$INLINE_VALUE"'

/** Reads a string literal at `i` (quote at `i`, with a Python prefix before it already skipped). */
function readString(code: string, i: number): null | {end: number; value: string} {
  const q = code[i]
  if (q !== '"' && q !== "'" && q !== '`') return null
  const triple = code.startsWith(q.repeat(3), i)
  const close = triple ? q.repeat(3) : q
  let j = i + close.length
  let value = ''
  while (j < code.length) {
    if (code.startsWith(close, j)) return {end: j + close.length, value}
    const ch = code[j] as string
    if (ch === '\\' && j + 1 < code.length) {
      const next = code[j + 1] as string
      value += next === 'n' ? '\n' : next === 't' ? '\t' : next
      j += 2
      continue
    }

    // A JavaScript template with `${…}` or a Ruby/Perl interpolation is built at run time.
    if ((q === '`' && code.startsWith('${', j)) || (q === '"' && code.startsWith('#{', j))) return null
    value += ch
    j++
  }

  return null
}

/** Skips a balanced expression from `i` to the next top-level `,` or closing bracket. */
function skipExpression(code: string, i: number, stops: string): number {
  let depth = 0
  let j = i
  while (j < code.length) {
    const ch = code[j] as string
    if (ch === '"' || ch === "'" || ch === '`') {
      const s = readString(code, j)
      j = s ? s.end : j + 1
      continue
    }

    if ('([{'.includes(ch)) depth++
    else if (')]}'.includes(ch)) {
      if (depth === 0) return j
      depth--
    } else if (depth === 0 && stops.includes(ch)) return j
    j++
  }

  return j
}

const BARE_LIST_END = /^(?:end|if|unless|or|and|rescue|do)\b/

function readArg(code: string, i: number, stops: string): {arg: Arg; end: number} {
  let j = i
  while (/\s/.test(code[j] ?? '')) j++
  // Python string prefixes (r'', b'', but not f'': an f-string is built at run time).
  const prefix = /^[rRbBuU]{1,2}(?=['"])/.exec(code.slice(j, j + 3))
  const start = prefix ? j + prefix[0].length : j
  const s = readString(code, start)
  if (s) {
    let k = s.end
    while (/\s/.test(code[k] ?? '')) k++
    if (k >= code.length || stops.includes(code[k] as string) || ')]}'.includes(code[k] as string))
      return {arg: {kind: 'str', value: s.value}, end: k}
    // A bare Ruby/Perl list ends at a keyword too: `task :x do sh "rm -rf /" end`, `system "x" if y`.
    if (stops.includes('\n') && BARE_LIST_END.test(code.slice(k, k + 8)))
      return {arg: {kind: 'str', value: s.value}, end: k}
  }

  if (code[j] === '[' || (code[j] === '(' && stops.includes(','))) {
    const close = code[j] === '[' ? ']' : ')'
    const values: (null | string)[] = []
    let k = j + 1
    for (;;) {
      while (/\s/.test(code[k] ?? '')) k++
      if (code[k] === close || k >= code.length) break
      const inner = readArg(code, k, ',')
      values.push(inner.arg.kind === 'str' ? inner.arg.value : null)
      k = inner.end
      if (code[k] === ',') k++
      else break
    }

    if (code[k] === close) {
      let m = k + 1
      while (/\s/.test(code[m] ?? '')) m++
      if (m >= code.length || stops.includes(code[m] as string) || ')]}'.includes(code[m] as string))
        return {arg: {kind: 'list', values}, end: m}
    }
  }

  const end = skipExpression(code, j, stops)
  return {arg: {kind: 'other', text: code.slice(j, end).trim()}, end}
}

/** Arguments of the call whose name ends at `at`: `(a, b)`, or a Perl/Ruby bare list up to `;`. */
function callArgs(code: string, at: number): Arg[] {
  let i = at
  while (code[i] === ' ' || code[i] === '\t') i++
  const paren = code[i] === '('
  const stops = paren ? ',' : ',;}\n'
  if (paren) i++
  const args: Arg[] = []
  for (let n = 0; n < 8; n++) {
    while (/\s/.test(code[i] ?? '')) i++
    if (i >= code.length || code[i] === ')' || (!paren && ';}\n'.includes(code[i] as string))) break
    const {arg, end} = readArg(code, i, stops)
    args.push(arg)
    i = end
    if (code[i] === ',') i++
    else break
  }

  return args
}

function quoteValue(value: string): string {
  if (!value.startsWith(HOME)) return shellQuote(value)
  const rest = value.slice(HOME.length).replace(/^\/+/, '')
  return rest === '' ? '~' : `~/${shellQuote(rest)}`
}

const text = (a: Arg | undefined): string => (a?.kind === 'str' ? quoteValue(a.value) : DYNAMIC)

/** The shell command a call to run something stands for, or null when it is built at run time. */
function commandLine(args: readonly Arg[]): null | string {
  const first = args[0]
  if (first === undefined) return null
  if (first.kind === 'str') {
    // `spawn('rm', ['-rf', '/'])`, `system('rm', '-rf', '/')`: a program and its arguments.
    const second = args[1]
    if (second?.kind === 'list') {
      if (second.values.includes(null)) return null
      return [first.value, ...(second.values as string[])].map((v) => quoteValue(v)).join(' ')
    }

    if (args.length > 1 && args.slice(1).every((a) => a.kind === 'str')) {
      return args.map((a) => quoteValue((a as {value: string}).value)).join(' ')
    }

    return first.value
  }

  if (first.kind === 'list') {
    if (first.values.includes(null) || first.values.length === 0) return null
    return (first.values as string[]).map((v) => quoteValue(v)).join(' ')
  }

  return null
}

interface CallSpec {
  readonly re: RegExp
  /** Shell text for the call's arguments; null when they are built at run time (for `run` calls). */
  readonly to: (args: Arg[]) => null | string
}

const run: CallSpec['to'] = (args) => commandLine(args)
const rmrf: CallSpec['to'] = (a) => `rm -rf -- ${text(a[0])}`
const rmf: CallSpec['to'] = (a) => `rm -f -- ${text(a[0])}`
const rmdir: CallSpec['to'] = (a) => `rmdir -- ${text(a[0])}`
const write: CallSpec['to'] = (a) => `tee -- ${text(a[0])} < /dev/null`
const read: CallSpec['to'] = (a) => `cat -- ${text(a[0])}`
const fetch: CallSpec['to'] = (a) => `curl -- ${text(a[0])}`
const chmod: CallSpec['to'] = (a) => {
  const mode = a[1]?.kind === 'other' ? a[1].text.replace(/^0o?/i, '') : '777'
  return `chmod ${/^[0-7]{3,4}$/.test(mode) ? mode : '777'} -- ${text(a[0])}`
}

const copy: CallSpec['to'] = (a) => `cp -r -- ${text(a[0])} ${text(a[1])}`
/** Python's `open(path, mode)`: a write for modes that write, a read otherwise. */
const open: CallSpec['to'] = (a) => {
  const mode = a[1]?.kind === 'str' ? a[1].value : 'r'
  return /[wax+]/.test(mode) ? write(a) : read(a)
}

/** `new Deno.Command('rm', {args: ['-rf', '/']})`: the program and the literal `args` list. */
const denoCommand: CallSpec['to'] = (a) => {
  const [program, options] = a
  if (program?.kind !== 'str') return null
  if (options === undefined) return shellQuote(program.value)
  const list = options.kind === 'other' ? /\bargs\s*:\s*\[([^\]]*)\]/.exec(options.text) : null
  if (list === null) return null
  const words = [...(list[1] ?? '').matchAll(/\s*(['"`])((?:(?!\1)[^\\])*)\1\s*(?:,|$)/g)].map((m) => m[2] ?? '')
  return [program.value, ...words].map((v) => shellQuote(v)).join(' ')
}

/** Python, by call name (module prefixes optional where the name alone is distinctive). */
const PYTHON: readonly CallSpec[] = [
  {re: /\bos\.(?:system|popen)\s*(?=\()/g, to: run},
  {re: /\bsubprocess\.(?:run|call|check_call|check_output|Popen|getoutput|getstatusoutput)\s*(?=\()/g, to: run},
  {
    re: /\bos\.(?:exec|spawn)[lv]p?e?\s*(?=\()/g,
    to: (a) =>
      commandLine(
        a.slice(1).length > 0
          ? [{kind: 'list', values: a.slice(1).map((x) => (x.kind === 'str' ? x.value : null))}]
          : a,
      ),
  },
  {re: /\bshutil\.rmtree\s*(?=\()/g, to: rmrf},
  {re: /(?<![\w.])(?:io\.)?open\s*(?=\()/g, to: open},
  {re: /\bos\.(?:remove|unlink)\s*(?=\()/g, to: rmf},
  {re: /\bos\.(?:rmdir|removedirs)\s*(?=\()/g, to: rmdir},
  {re: /\bshutil\.(?:copy|copy2|copytree|move)\s*(?=\()/g, to: copy},
  {re: /\bos\.chmod\s*(?=\()/g, to: chmod},
  {re: /\b(?:urllib\.request\.)?(?:urlopen|urlretrieve)\s*(?=\()/g, to: fetch},
  {re: /\brequests\.(?:get|post|put|delete|patch|head|request)\s*(?=\()/g, to: fetch},
]

const NODE: readonly CallSpec[] = [
  {re: /\b(?:exec|execSync|spawn|spawnSync|execFile|execFileSync)\s*(?=\()/g, to: run},
  {re: /\b(?:rmSync|rm|rmdirSync|rmdir|Deno\.removeSync|Deno\.remove)\s*(?=\()/g, to: rmrf},
  {re: /\bnew\s+Deno\.Command\s*(?=\()/g, to: denoCommand},
  {re: /\bBun\.\$(?=`)/g, to: run},
  {re: /\b(?:unlinkSync|unlink)\s*(?=\()/g, to: rmf},
  {re: /\b(?:writeFileSync|writeFile|appendFileSync|appendFile|createWriteStream)\s*(?=\()/g, to: write},
  {re: /\bDeno\.writeTextFile(?:Sync)?\s*(?=\()/g, to: write},
  {re: /\b(?:readFileSync|readFile|createReadStream)\s*(?=\()/g, to: read},
  {re: /\b(?:copyFileSync|cpSync|renameSync)\s*(?=\()/g, to: copy},
  {re: /\bchmodSync\s*(?=\()/g, to: chmod},
  {re: /\b(?:fetch|https?\.get|https?\.request|axios\.(?:get|post|put|delete))\s*(?=\()/g, to: fetch},
]

const PERL: readonly CallSpec[] = [
  {re: /\b(?:system|exec)\b(?=\s*[("'])/g, to: run},
  {re: /\bunlink\b(?=\s*[("'$]|\s+glob)/g, to: rmf},
  {re: /\b(?:rmtree|remove_tree)\b(?=\s*[("'$])/g, to: rmrf},
  {re: /\brmdir\b(?=\s*[("'$])/g, to: rmdir},
]

const RUBY: readonly CallSpec[] = [
  // `sh` is Rake's (a Rakefile this request wrote is read as Ruby).
  {re: /\b(?:system|exec|spawn|sh|IO\.popen|Open3\.\w+|Kernel\.system)\b(?=\s*[("'])/g, to: run},
  {re: /\bFileUtils\.(?:rm_rf|rm_r|remove_dir|remove_entry|remove_entry_secure)\b(?=\s*[("'])/g, to: rmrf},
  {re: /\b(?:FileUtils\.rm|FileUtils\.rm_f|File\.delete|File\.unlink)\b(?=\s*[("'])/g, to: rmf},
  {re: /\b(?:File\.write|IO\.write)\b(?=\s*[("'])/g, to: write},
  {re: /\b(?:File\.read|IO\.read|File\.readlines|IO\.readlines)\b(?=\s*[("'])/g, to: read},
]

const PHP: readonly CallSpec[] = [
  {re: /\b(?:system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec)\s*(?=\()/g, to: run},
  {re: /\bunlink\s*(?=\()/g, to: rmf},
  {re: /\brmdir\s*(?=\()/g, to: rmdir},
  {re: /\bfile_put_contents\s*(?=\()/g, to: write},
  {re: /\b(?:file_get_contents|readfile|file)\s*(?=\()/g, to: read},
]

const LUA: readonly CallSpec[] = [
  {re: /\b(?:os\.execute|io\.popen)\s*(?=[("'])/g, to: run},
  {re: /\bos\.remove\s*(?=[("'])/g, to: rmf},
]

const AWK: readonly CallSpec[] = [{re: /\bsystem\s*(?=\()/g, to: run}]

const R: readonly CallSpec[] = [
  {re: /\b(?:system|system2|shell)\s*(?=\()/g, to: run},
  {re: /\bunlink\s*(?=\()/g, to: rmrf},
  {re: /\bfile\.remove\s*(?=\()/g, to: rmf},
]

const JAVA: readonly CallSpec[] = [
  {re: /\.exec\s*(?=\()/g, to: run},
  {re: /\bnew\s+ProcessBuilder\s*(?=\()/g, to: run},
]

/** AppleScript: `do shell script "…"`. */
const OSASCRIPT: readonly CallSpec[] = [{re: /\bdo shell script\b/g, to: run}]

const CALLS: Readonly<Record<Language, readonly CallSpec[]>> = {
  python: PYTHON,
  node: NODE,
  perl: PERL,
  ruby: RUBY,
  php: PHP,
  lua: LUA,
  awk: AWK,
  applescript: OSASCRIPT,
  r: R,
  java: JAVA,
  // Tcl's `exec` takes bare words: read by `tclCommands` below.
  tcl: [],
}

/** Code that runs code or commands the engine cannot read. */
const HIDDEN: Readonly<Record<Language, ReadonlyArray<readonly [RegExp, string]>>> = {
  python: [
    [/\b(?:exec|eval|compile)\s*\(/, 'runs Python code built at run time (exec/eval)'],
    [/\b__import__\s*\(\s*[^'"\s]/, 'imports a module named at run time'],
    [/\bimportlib\.import_module\s*\(\s*[^'"\s]/, 'imports a module named at run time'],
    [/\b(?:marshal|pickle)\.loads?\s*\(/, 'loads code from serialised data'],
    [/\bctypes\b/, 'calls native code (ctypes)'],
    [/\bpty\.spawn\s*\(/, 'opens an interactive shell (pty.spawn)'],
    [/\bgetattr\s*\(\s*(?:os|subprocess|shutil|__builtins__)\b/, 'looks up a dangerous function by name'],
    [/\bsocket\b[\s\S]*\.connect\s*\(|\bsocket\.create_connection\s*\(/, 'opens a network connection (socket)'],
    [/\bos\.dup2\s*\(/, 'wires standard input/output to another file (reverse shell)'],
  ],
  node: [
    [/\beval\s*\(|\bnew\s+Function\s*\(|\bFunction\s*\(/, 'runs JavaScript code built at run time (eval/Function)'],
    [/\bvm\.run\w*\s*\(|\brunInNewContext\s*\(/, 'runs JavaScript code built at run time (vm)'],
    [/\brequire\s*\(\s*[^'"`\s)]/, 'requires a module named at run time'],
    [/\bimport\s*\(\s*[^'"`\s)]/, 'imports a module named at run time'],
    [
      new RegExp(
        String.raw`\bnet\.(?:connect|createConnection|Socket)\b|` +
          String.raw`require\s*\(\s*["'](?:node:)?(?:net|dgram|tls)["']\s*\)|` +
          String.raw`\bdgram\.|\b(?:Deno|Bun)\.(?:connect|listen)\w*\s*\(`,
      ),
      'opens a network connection (net)',
    ],
    [/\bprocess\.binding\s*\(/, 'uses internal bindings'],
  ],
  perl: [
    [/\beval\s*(?:\(|\$|\{)/, 'runs Perl code built at run time (eval)'],
    [/`[^`]*`|\bqx\s*[{(/|]/, 'runs a command in backticks'],
    [/\bopen\s*\(?\s*\w*\s*,?\s*["']\s*\||\|\s*["']\s*\)?/, 'opens a pipe to a command'],
    [/\bIO::Socket|\bsocket\s*\(/, 'opens a network connection (socket)'],
  ],
  ruby: [
    [/\b(?:eval|instance_eval|class_eval|module_eval|binding\.eval)\b/, 'runs Ruby code built at run time (eval)'],
    [/`[^`]*`|%x[{([]/, 'runs a command in backticks'],
    [/\b(?:TCPSocket|Socket)\.(?:new|open|tcp)/, 'opens a network connection (socket)'],
    [/\bsend\s*\(\s*:(?:system|exec|eval)/, 'calls a dangerous method by name'],
  ],
  php: [
    [/\b(?:eval|assert|create_function)\s*\(/, 'runs PHP code built at run time (eval)'],
    [/`[^`]*`/, 'runs a command in backticks'],
    [/\$_(?:GET|POST|REQUEST|COOKIE|SERVER)\b/, 'runs what a request sends'],
    [/\bfsockopen\s*\(|\bstream_socket_client\s*\(/, 'opens a network connection'],
    [/\bbase64_decode\s*\(/, 'decodes hidden data'],
  ],
  lua: [[/\b(?:loadstring|load|dofile)\s*\(/, 'runs Lua code built at run time']],
  applescript: [[/\bwith administrator privileges\b/, 'asks for administrator privileges']],
  r: [[/\beval\s*\(\s*parse\s*\(/, 'runs R code built at run time (eval(parse()))']],
  java: [[/\bSocket\s*\(/, 'opens a network connection (Socket)']],
  tcl: [
    [/\beval\b|\buplevel\b/, 'runs Tcl code built at run time (eval)'],
    [/\bsocket\b/, 'opens a network connection (socket)'],
  ],
  awk: [
    [/\|\s*getline|\|&/, 'reads the output of a command (| getline)'],
    [/\bprint[f]?\b[^;}]*\|\s*["$a-zA-Z]/, 'pipes output into a command'],
  ],
}

/** Decoding that hides the code it feeds (`b64decode`, `Buffer.from(…, 'base64')`) next to a way to run it. */
const DECODES = new RegExp(
  String.raw`\bb64decode\b|\bbase64\b|\bfrombase64\b|\bdecode\s*\(\s*['"](?:base64|` +
    String.raw`hex|rot.?13)|\bcodecs\.decode\b|\bzlib\.decompress\b|\bfromCharCode\b|` +
    String.raw`\batob\s*\(|\bunpack\s*\(|\bpack\s*\(`,
  'i',
)

export function analyseInline(language: Language, source: string): InlineFindings {
  const code = canonical(language, source)
  const shell: string[] = language === 'tcl' ? tclCommands(code) : []
  if (deletesUnderHome(language, code)) shell.push('rm -rf -- ~')
  shell.push(...inlineThreats(language, code), ...cloudSdkDeletes(code))
  let hidden: null | string = null
  for (const [re, why] of HIDDEN[language]) {
    if (re.test(code)) {
      hidden = why
      break
    }
  }

  for (const spec of CALLS[language]) {
    // `exec(` is also a regular expression method: commands only when child_process is in play.
    if (language === 'node' && spec.to === run && !/child_process|\bexecSync\b|\bspawnSync\b|\bBun\./.test(code))
      continue
    spec.re.lastIndex = 0
    for (const m of code.matchAll(spec.re)) {
      const args = callArgs(code, (m.index ?? 0) + m[0].length)
      const line = spec.to(args)
      if (line === null) {
        hidden ??= `${m[0].trim()}(…) runs a command built at run time`
        continue
      }

      shell.push(line)
      if (shell.length >= 16) break
    }
  }

  if (hidden === null && DECODES.test(code) && shell.some((s) => s.includes(DYNAMIC))) {
    hidden = 'decodes data and uses it in a command'
  }

  return {hidden, shell}
}

/** The language of an interpreter family, if its inline code can be read. */
export function languageOf(family: string): Language | null {
  switch (family) {
    case 'python':
    case 'pypy': {
      return 'python'
    }

    case 'node':
    case 'nodejs':
    case 'bun':
    case 'deno': {
      return 'node'
    }

    case 'perl':
    case 'ruby':
    case 'php':
    case 'lua': {
      return family
    }

    case 'luajit': {
      return 'lua'
    }

    case 'rscript':
    case 'r': {
      return 'r'
    }

    case 'jshell': {
      return 'java'
    }

    case 'tclsh':
    case 'wish':
    case 'expect': {
      return 'tcl'
    }

    case 'osascript': {
      return 'applescript'
    }

    case 'awk':
    case 'gawk':
    case 'mawk':
    case 'nawk': {
      return 'awk'
    }

    default: {
      return null
    }
  }
}
