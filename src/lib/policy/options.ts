/**
 * Command-line option parsing in the getopt style most programs share, driven by a small table per
 * program: `-rf`, `-fr`, `-r -f`, `-R`, `--recursive --force` all come out as the same set of
 * canonical flags, flags after operands count (GNU permutation), `--` ends the options, and the
 * options that take a value swallow it whether it is attached (`-n5`, `--lines=5`) or not (`-n 5`).
 */

import {literalWord, startsDynamic, type Word} from './words.js'

export interface OptionSpec {
  /** Long option (without `--`) → canonical name. Unlisted ones keep `--name`. */
  readonly long?: Readonly<Record<string, string>>
  /** Long options (without `--`) that take a value. */
  readonly longValue?: readonly string[]
  /** Short option letter → canonical name. Letters not listed keep `-x` as their name. */
  readonly short?: Readonly<Record<string, string>>
  /** Short letters that take a value. */
  readonly shortValue?: string
  /** Options are single-dash words (`find -name`, `java -jar`): do not split them into letters. */
  readonly singleDashLong?: boolean
  /** Stop at the first operand (POSIX, and wrappers such as `sudo` whose operand is a command). */
  readonly stopAtOperand?: boolean
}

export interface ParsedOptions {
  /** Canonical names of the options present. */
  readonly flags: ReadonlySet<string>
  readonly operands: readonly Word[]
  /** Index in the input where operands start when `stopAtOperand` (the rest is the inner command). */
  readonly rest: number
  /** An option word was built at run time (`-$X`): the flags may be incomplete. */
  readonly unknownOption: boolean
  /** Values given to options that take one, by canonical name, in order. */
  readonly values: ReadonlyMap<string, readonly Word[]>
}

/** A value attached to an option (`-n5`, `--lines=5`), as a word of its own; a run-time word stays one. */
function valueWord(source: Word, text: string): Word {
  return source.static ? literalWord(text, {derived: true}) : source
}

export function parseOptions(args: readonly Word[], spec: OptionSpec): ParsedOptions {
  const flags = new Set<string>()
  const values = new Map<string, Word[]>()
  const operands: Word[] = []
  let unknownOption = false
  let rest = args.length
  const addValue = (name: string, word: undefined | Word): void => {
    if (word === undefined) return
    const list = values.get(name)
    if (list) list.push(word)
    else values.set(name, [word])
  }

  let i = 0
  for (; i < args.length; i++) {
    const word = args[i] as Word
    const a = word.value
    if (a === '--') {
      i++
      break
    }

    if (a.length < 2 || a[0] !== '-' || startsDynamic(word)) {
      if (spec.stopAtOperand) {
        rest = i
        return {flags, values, operands: args.slice(i), rest, unknownOption}
      }

      operands.push(word)
      continue
    }

    if (!word.static) unknownOption = true
    if (a.startsWith('--') || spec.singleDashLong) {
      const body = a.slice(a.startsWith('--') ? 2 : 1)
      const eq = body.indexOf('=')
      const key = eq === -1 ? body : body.slice(0, eq)
      const name = spec.long?.[key] ?? (a.startsWith('--') ? `--${key}` : `-${key}`)
      flags.add(name)
      if (eq !== -1) addValue(name, valueWord(word, body.slice(eq + 1)))
      else if (spec.longValue?.includes(key)) addValue(name, args[++i])
      continue
    }

    for (let j = 1; j < a.length; j++) {
      const letter = a[j] as string
      const name = spec.short?.[letter] ?? `-${letter}`
      flags.add(name)
      if (spec.shortValue?.includes(letter)) {
        if (j + 1 < a.length) addValue(name, valueWord(word, a.slice(j + 1)))
        else addValue(name, args[++i])
        break
      }
    }
  }

  // After `--` everything is an operand.
  for (; i < args.length; i++) operands.push(args[i] as Word)
  if (spec.stopAtOperand) rest = args.length - operands.length
  return {flags, values, operands, rest, unknownOption}
}

/** Values an option received, flattened to text. */
export function optionValues(parsed: ParsedOptions, name: string): string[] {
  return (parsed.values.get(name) ?? []).map((w) => w.value)
}
