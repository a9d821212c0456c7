/**
 * Code a command carries itself (`bash -c`, `eval`, a here-document to `sh`, `python -c`, `find -exec`,
 * `ssh host cmd` …): parsed again and judged as commands of their own.
 */

import {type Analyser} from './analyser.js'
import {type Cmd, type CodeSource, programFamily} from './command.js'
import {inlineCode, interpreterOf, interpreterReadsStdin} from './effects.js'
import {filesRun} from './files-run.js'
import {analyseInline, type Language, languageOf} from './inline-code.js'
import {subCommand} from './normalise.js'
import {type OptionSpec, parseOptions} from './options.js'
import {producedText, redirectedTexts, stdinTexts, visibleProducers} from './pipe-text.js'
import {decodeEncodedCommand} from './powershell.js'
import {literalWord, shellQuote, type Word, wordFromUnits} from './words.js'
import {joinWords, SHELLS} from './wrappers.js'

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

      texts.push(...redirectedTexts(cmd, an))

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
export function carry(cmd: Cmd, an: Analyser): void {
  const {name} = cmd
  interpreterCode(cmd, an)
  filesRun(cmd, an)
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
export function runCode(cmd: Cmd, an: Analyser, word: Word, via: readonly string[], rest: readonly Word[]): void {
  cmd.code ??= {kind: 'string', word}
  const extra = rest.length > 0 ? ` ${rest.map((w) => w.value).join(' ')}` : ''
  an.code(word.value + extra, via, cmd.cwds)
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

const SSH_SPEC: OptionSpec = {stopAtOperand: true, shortValue: 'bBcDEeFIiJLlmOopQRSWw'}

/** `ssh host cmd…`: the words after the destination are joined and run by a shell over there. */
function sshCommand(cmd: Cmd, an: Analyser): void {
  const parsed = parseOptions(cmd.args, SSH_SPEC)
  const rest = cmd.args.slice(parsed.rest + 1)
  if (rest.length > 0) setCode(cmd, an, {kind: 'string', word: joinWords(rest)}, 'ssh')
}
