/**
 * What a command touches, as far as its text tells: the files it opens through redirections, the
 * operands that may be paths, the files it writes, and what feeds its standard input. Several packs
 * ask the same questions (credentials and self-protection both look at every path), so the answers
 * live here, computed once per command.
 */

import type {Word} from './words.js'

import {type Cmd, programFamily} from './command.js'
import {parseOptions} from './options.js'
import {literalWord, startsDynamic, wordAfterEquals} from './words.js'

export {
  inlineCode,
  inlineCodeOption,
  interpreterOf,
  interpreterReadsStdin,
  INTERPRETERS,
  type InterpreterSpec,
  stdinKind,
} from './interpreters.js'

export interface Touch {
  readonly word: Word
  readonly write: boolean
}

/** Programs whose arguments are text, never file names: `echo "rm -rf /"` is data. */
export const DATA_ONLY: ReadonlySet<string> = new Set([
  'echo',
  'printf',
  'true',
  'false',
  ':',
  'sleep',
  'seq',
  'yes',
  'expr',
  'basename',
  'dirname',
  'let',
])

/** Programs whose first operand is a pattern or program text unless given with -e/-f. */
const PATTERN_FIRST: ReadonlySet<string> = new Set([
  'grep',
  'egrep',
  'fgrep',
  'zgrep',
  'rg',
  'ag',
  'ack',
  'sed',
  'awk',
  'gawk',
  'mawk',
  'nawk',
  'jq',
  'yq',
])
const PATTERN_OPTION = /^(?:-[A-Za-z]*[ef]|--regexp|--file|--expression|--from-file)/

const WRITE_OPS: ReadonlySet<string> = new Set(['>', '>>', '>|', '&>', '&>>', '<>'])

/** Files opened by redirections (not here-documents, not `2>&1`). */
export function redirectTouches(cmd: Cmd): Touch[] {
  const out: Touch[] = []
  for (const r of cmd.raw.redirects) {
    if (r.target === null || r.op === '<<<' || r.heredoc) continue
    const v = r.target.value
    if (r.op === '>&' || r.op === '<&') {
      // `>&2` duplicates a descriptor; `>& file` (bash) writes a file.
      if (/^\d+-?$/.test(v) || v === '-') continue
      out.push({word: r.target, write: r.op === '>&'})
      continue
    }

    out.push({word: r.target, write: WRITE_OPS.has(r.op)})
  }

  return out
}

/**
 * Arguments that may name files: operands, and the values of `--opt=value` / `key=value`
 * arguments. Flags themselves are skipped, as is the pattern of grep-like programs.
 */
export function pathArguments(cmd: Cmd): Word[] {
  if (DATA_ONLY.has(cmd.name)) return []
  const out: Word[] = []
  let skipPattern = PATTERN_FIRST.has(cmd.name) && !cmd.args.some((a) => PATTERN_OPTION.test(a.value))
  for (const arg of cmd.args) {
    const v = arg.value
    if (v.length > 1 && v.startsWith('-') && !startsDynamic(arg)) {
      const tail = wordAfterEquals(arg)
      if (tail) out.push(tail)
      continue
    }

    if (skipPattern) {
      skipPattern = false
      continue
    }

    out.push(arg)
    // `curl file:///etc/shadow` reads a local file.
    if (v.startsWith('file://')) out.push(literalWord(v.slice(7).replace(/^[^/]*/, '') || '/'))
    if (!v.startsWith('/') && !v.startsWith('.') && v.includes('=')) {
      const tail = wordAfterEquals(arg)
      if (tail) out.push(tail)
    }
  }

  return out
}

const touchCache = new WeakMap<Cmd, readonly Touch[]>()

/**
 * Every word a command may open as a file, with whether it writes: redirections and arguments.
 * Several rules of several packs ask, so the answer is kept for the life of the command.
 */
export function touches(cmd: Cmd): readonly Touch[] {
  const cached = touchCache.get(cmd)
  if (cached) return cached
  const written = writtenWords(cmd)
  const out = redirectTouches(cmd)
  for (const w of pathArguments(cmd)) out.push({word: w, write: written.includes(w)})
  for (const w of written) if (!out.some((t) => t.word === w)) out.push({word: w, write: true})
  out.push(...cmd.wrapperFiles)
  touchCache.set(cmd, out)
  return out
}

function operands(cmd: Cmd, shortValue = '', longValue: readonly string[] = []): Word[] {
  return [...parseOptions(cmd.args, {shortValue, longValue}).operands]
}

/** Words a program writes (creates, truncates, replaces or moves), by what each program does. */
export function writtenWords(cmd: Cmd): Word[] {
  switch (cmd.name) {
    case 'tee':
    case 'touch':
    case 'mkdir': {
      return operands(cmd, 'mrdt', ['mode', 'reference', 'date', 'time'])
    }

    case 'truncate': {
      return operands(cmd, 'sr', ['size', 'reference'])
    }

    case 'mv':
    case 'shred': {
      return operands(cmd, 'tSn', ['target-directory', 'suffix', 'iterations', 'size', 'random-source'])
    }

    case 'cp':
    case 'install':
    case 'ln':
    case 'rsync':
    case 'scp': {
      const parsed = parseOptions(cmd.args, {
        shortValue: cmd.name === 'install' ? 'gmotS' : 'tSe',
        short: {t: 'target'},
        long: {'target-directory': 'target'},
        longValue: ['target-directory', 'suffix', 'rsh', 'mode', 'owner', 'group'],
      })
      const target = parsed.values.get('target')
      if (target) return [...target]
      const last = parsed.operands.at(-1)
      if (cmd.name === 'ln' && parsed.operands.length === 1) return []
      return last && parsed.operands.length >= 2 ? [last] : []
    }

    case 'dd': {
      return cmd.args.filter((a) => a.value.startsWith('of=')).flatMap((a) => wordAfterEquals(a) ?? [])
    }

    case 'sed': {
      if (!cmd.args.some((a) => /^-[a-zA-Z]*i|^--in-place/.test(a.value))) return []
      const parsed = parseOptions(cmd.args, {shortValue: 'efl', longValue: ['expression', 'file', 'line-length']})
      const scripted =
        parsed.flags.has('-e') ||
        parsed.flags.has('-f') ||
        parsed.flags.has('--expression') ||
        parsed.flags.has('--file')
      return parsed.operands.slice(scripted ? 0 : 1)
    }

    case 'patch': {
      const parsed = parseOptions(cmd.args, {shortValue: 'oiBdDFprVYzg', longValue: ['output', 'input', 'directory']})
      return [
        ...(parsed.values.get('-o') ?? []),
        ...(parsed.values.get('--output') ?? []),
        ...parsed.operands.slice(0, 1),
      ]
    }

    case 'tar': {
      const extracting = cmd.args.some(
        (a, i) =>
          /^--extract$|^--get$/.test(a.value) ||
          (/^-?[A-Za-z]*x/.test(a.value) && (i === 0 || a.value.startsWith('-'))),
      )
      if (!extracting) return []
      const parsed = parseOptions(cmd.args, {
        shortValue: 'CfIbTXgVKLN',
        short: {C: 'dir'},
        long: {directory: 'dir'},
        longValue: ['directory', 'file'],
      })
      const dir = parsed.values.get('dir')
      return dir ? [...dir] : [literalWord('.')]
    }

    case 'unzip': {
      const parsed = parseOptions(cmd.args, {shortValue: 'dxP'})
      return [...(parsed.values.get('-d') ?? [])]
    }

    case 'curl': {
      const parsed = parseOptions(cmd.args, {shortValue: 'o', longValue: ['output', 'output-dir']})
      return [
        ...(parsed.values.get('-o') ?? []),
        ...(parsed.values.get('--output') ?? []),
        ...(parsed.values.get('--output-dir') ?? []),
      ]
    }

    case 'wget': {
      const parsed = parseOptions(cmd.args, {shortValue: 'OP', longValue: ['output-document', 'directory-prefix']})
      return ['-O', '-P', '--output-document', '--directory-prefix']
        .flatMap((k) => parsed.values.get(k) ?? [])
        .filter((w) => w.value !== '-')
    }

    case 'sort': {
      const parsed = parseOptions(cmd.args, {shortValue: 'otkS', longValue: ['output']})
      return [...(parsed.values.get('-o') ?? []), ...(parsed.values.get('--output') ?? [])]
    }

    default: {
      return []
    }
  }
}

/**
 * The files a permission or ownership change applies to: operands after the mode or owner
 * (none when `--reference` gives it), with modes written like options (`chmod -w f`) recognised.
 */
export function permissionTargets(cmd: Cmd): Word[] {
  const targets: Word[] = []
  let needSpec = !cmd.args.some((w) => w.value.startsWith('--reference'))
  const specFirst = cmd.name === 'chmod' || cmd.name === 'chown' || cmd.name === 'chgrp' || cmd.name === 'chcon'
  if (!specFirst) needSpec = false
  let afterDashes = false
  for (let i = 0; i < cmd.args.length; i++) {
    const w = cmd.args[i] as Word
    const v = w.value
    if (!afterDashes && v === '--') {
      afterDashes = true
      continue
    }

    if (!afterDashes && v.startsWith('-') && v.length > 1) {
      if (cmd.name === 'chmod' && needSpec && /^-[rwxXst]+$/.test(v)) needSpec = false
      else if (cmd.name === 'setfacl' && /^-[A-Za-z]*[mxMX]$|^--(?:set|modify|remove)(?:-file)?$/.test(v)) i++
      else if (cmd.name === 'chcon' && /^-[urtl]$/.test(v)) {
        needSpec = false
        i++
      }

      continue
    }

    if (cmd.name === 'chattr' && /^[-+=][A-Za-z]+$/.test(v)) continue
    if (needSpec) {
      needSpec = false
      continue
    }

    targets.push(w)
  }

  return targets
}

/** Programs that fetch from the network and can print what they fetch. */
export const FETCHERS: ReadonlySet<string> = new Set([
  'curl',
  'wget',
  'fetch',
  'http',
  'https',
  'httpie',
  'xh',
  'aria2c',
  'nc',
  'ncat',
  'netcat',
  'socat',
  'telnet',
  'lynx',
  'w3m',
  'links',
  'elinks',
  'ssh',
  'tftp',
  'ftp',
  'lwp-download',
  'lwp-request',
  'gh',
  'aws',
  'gsutil',
  'rclone',
  's3cmd',
])

/** Programs that turn opaque text into something else: decoders, decompressors, ciphers. */
export function isDecoder(cmd: Cmd): boolean {
  const a = cmd.argv
  switch (cmd.name) {
    case 'base64':
    case 'base32':
    case 'basenc': {
      return a.some((v) => /^-[A-Za-z]*[dD]|^--decode/.test(v))
    }

    case 'xxd': {
      return a.some((v) => /^-[A-Za-z]*r/.test(v))
    }

    case 'openssl': {
      return true
    }

    case 'uudecode':
    case 'gunzip':
    case 'zcat':
    case 'bzcat':
    case 'xzcat':
    case 'zstdcat':
    case 'unxz':
    case 'bunzip2':
    case 'lzcat':
    case 'rev':
    case 'tr':
    case 'gpg': {
      return true
    }

    case 'gzip':
    case 'bzip2':
    case 'xz':
    case 'zstd':
    case 'brotli': {
      return a.some((v) => /^-[A-Za-z]*d|^--decompress/.test(v))
    }

    case 'python':
    case 'perl':
    case 'ruby':
    case 'node': {
      return true
    }

    default: {
      return programFamily(cmd.name) === 'python'
    }
  }
}
