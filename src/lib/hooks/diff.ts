/**
 * A unified diff of two small texts (an agent's settings file before and after `hub hook install`), so
 * the user sees exactly what changes before trusting it. Settings files are a few hundred lines at
 * most: a plain longest-common-subsequence table is enough and keeps this dependency-free.
 */

const CONTEXT = 3
/** Above this many cells the table would cost too much: show the whole file replaced instead. */
const MAX_CELLS = 4_000_000

type Op = {line: string; type: ' ' | '+' | '-'}

function lines(text: string): string[] {
  if (text === '') return []
  const all = text.split('\n')
  if (all.at(-1) === '') all.pop()
  return all
}

function operations(a: string[], b: string[]): Op[] {
  if (a.length * b.length > MAX_CELLS) {
    return [...a.map((line) => ({type: '-' as const, line})), ...b.map((line) => ({type: '+' as const, line}))]
  }

  // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
  const lcs: Uint32Array[] = Array.from({length: a.length + 1}, () => new Uint32Array(b.length + 1))
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!)
    }
  }

  const ops: Op[] = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({type: ' ', line: a[i]!})
      i++
      j++
    } else if (i < a.length && (j === b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      // Removals before additions, as diff(1) shows them.
      ops.push({type: '-', line: a[i]!})
      i++
    } else {
      ops.push({type: '+', line: b[j]!})
      j++
    }
  }

  return ops
}

/** `--- from` / `+++ to` and `@@` hunks with three lines of context; empty when the texts are equal. */
export function unifiedDiff(before: string, after: string, names: {from: string; to: string}): string {
  if (before === after) return ''
  const ops = operations(lines(before), lines(after))
  const out = [`--- ${names.from}`, `+++ ${names.to}`]
  let k = 0
  while (k < ops.length) {
    if (ops[k]!.type === ' ') {
      k++
      continue
    }

    // A hunk: from CONTEXT lines before this change to CONTEXT lines after the last change that is
    // fewer than 2*CONTEXT unchanged lines away.
    const start = Math.max(0, k - CONTEXT)
    let end = k
    let quiet = 0
    for (let m = k; m < ops.length; m++) {
      if (ops[m]!.type === ' ') {
        quiet++
        if (quiet > 2 * CONTEXT) break
      } else {
        quiet = 0
        end = m
      }
    }

    const stop = Math.min(ops.length, end + 1 + CONTEXT)
    let oldStart = 1
    let newStart = 1
    for (let m = 0; m < start; m++) {
      if (ops[m]!.type !== '+') oldStart++
      if (ops[m]!.type !== '-') newStart++
    }

    const hunk = ops.slice(start, stop)
    const oldLen = hunk.filter((o) => o.type !== '+').length
    const newLen = hunk.filter((o) => o.type !== '-').length
    out.push(
      `@@ -${oldLen === 0 ? oldStart - 1 : oldStart},${oldLen} +${newLen === 0 ? newStart - 1 : newStart},${newLen} @@`,
      ...hunk.map((o) => o.type + o.line),
    )
    k = stop
  }

  return out.join('\n') + '\n'
}
