/** What flows through a pipe when the engine can see it: text a producer prints, what a shell reads on stdin. */

import type {RawCommand} from './raw-command.js'

import {type Analyser} from './analyser.js'
import {type Cmd} from './command.js'
import {decodeAnsiC, literalWord, type Word} from './words.js'

/** Code a shell reads on standard input, where the engine can see it. */
export function stdinTexts(cmd: Cmd, an: Analyser): string[] {
  const out: string[] = []
  for (const r of cmd.raw.redirects) {
    if (r.heredoc) out.push(r.heredoc.body)
    else if (r.op === '<<<' && r.target) out.push(r.target.value)
  }

  out.push(...redirectedTexts(cmd, an))

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
export function visibleProducers(producers: readonly Cmd[], an: Analyser, depth = 0): Cmd[] {
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

/**
 * What a `<` redirection feeds a command when the engine can see it: the output of a process
 * substitution (`bash < <(echo …)`), or a file this same request wrote (`psql < drop.sql`).
 */
export function redirectedTexts(cmd: Cmd, an: Pick<Analyser, 'fileContent' | 'groupCommands'>): string[] {
  const out: string[] = []
  for (const r of cmd.raw.redirects) {
    if (r.op !== '<' || r.target === null || (r.fd !== null && r.fd !== '0')) continue
    if (r.target.procGroup === undefined) {
      const text = an.fileContent(r.target, cmd.cwds)
      if (typeof text === 'string') out.push(text)
    } else {
      for (const p of an.groupCommands(r.target.procGroup)) {
        const text = producedText(p)
        if (text !== null) out.push(text)
      }
    }
  }

  return out
}

/** Names of standard input a copy tool may read from. */
const STDIN_PATH = /^(?:-|\/dev\/stdin|\/dev\/fd\/0|\/proc\/self\/fd\/0)$/

/**
 * `cp /dev/stdin f <<< '…'`, `dd of=f <<EOF`, `cp written.sh f`, `dd if=written.sh of=f`: the file a
 * copy writes and the text it gets (from its own input, or a file this request wrote), when visible.
 */
export function copiedText(
  cmd: Cmd,
  an: Pick<Analyser, 'fileContent' | 'pipeProducers'>,
): null | {target: Word; text: null | string} {
  let source: undefined | Word
  let target: undefined | Word
  if (cmd.name === 'dd') {
    for (const w of cmd.args) {
      // `of=…` is read by dd, not the shell: a static word names exactly that path.
      if (!w.static) continue
      if (w.value.startsWith('of=')) target = literalWord(w.value.slice(3))
      else if (w.value.startsWith('if=')) source = literalWord(w.value.slice(3))
    }
  } else if (cmd.name === 'cp' || cmd.name === 'install') {
    const operands = cmd.args.filter((w) => !w.value.startsWith('-') || w.value === '-')
    if (operands.length !== 2 || cmd.argv.some((v) => /^-[A-Za-z]*t$|^--target-directory/.test(v))) return null
    ;[source, target] = operands as [Word, Word]
  }

  if (target === undefined) return null
  if (source === undefined || STDIN_PATH.test(source.value)) return {target, text: teeText(cmd, an)}
  const text = an.fileContent(source, cmd.cwds)
  return {target, text: typeof text === 'string' ? text : null}
}
