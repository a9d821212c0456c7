/**
 * The shell parser: tree-sitter-bash compiled to WebAssembly, loaded once and lazily.
 *
 * Only `loadShellParser()` touches `web-tree-sitter`, through a dynamic import, so commands that never
 * evaluate policy (`hub audit`, `hub runs`) pay nothing for it. Each parse is copied into a plain
 * JavaScript tree and the WebAssembly tree is freed at once: every property read on a tree-sitter
 * node crosses into WebAssembly, and the engine reads most nodes several times, so one pass with a
 * cursor is cheaper than walking the native tree, and nothing native can leak past a parse.
 */

import type {Parser as TsParser, Tree as TsTree} from 'web-tree-sitter'

import {readFile} from 'node:fs/promises'
import {createRequire} from 'node:module'
import v8 from 'node:v8'

export interface SyntaxNode {
  readonly children: readonly SyntaxNode[]
  readonly end: number
  /** Field name under the parent (`name`, `argument`, `redirect` …), if any. */
  readonly field: null | string
  readonly named: boolean
  /** Offsets into the parsed source, in UTF-16 code units (what `String.prototype.slice` takes). */
  readonly start: number
  /** Grammar node type (`command`, `word` …); for anonymous nodes the token itself (`|`, `>>` …). */
  readonly type: string
}

export interface ParseLimits {
  /** Deepest nesting copied; anything deeper is cut off and reported. */
  maxDepth: number
  /** Most nodes a tree may have before the input counts as over budget. */
  maxNodes: number
  /**
   * Most progress reports the parser may make before it is stopped. Tree-sitter reports after a
   * fixed amount of work, so this is a work budget: the same input always gets the same answer.
   */
  maxSteps: number
}

export type ParseOutcome =
  | {hasError: boolean; nodes: number; ok: true; root: SyntaxNode; truncated: boolean}
  | {nodes: number; ok: false; reason: 'nodes' | 'steps'}

export interface ShellParser {
  parse(source: string, limits: ParseLimits): ParseOutcome
}

interface MutableNode {
  children: MutableNode[]
  end: number
  field: null | string
  named: boolean
  start: number
  type: string
}

class TreeSitterShellParser implements ShellParser {
  private readonly typeNamed: boolean[] = []
  // Type names and namedness per type id, filled on first sight: reading them from the cursor each
  // time would be two more WebAssembly calls per node.
  private readonly typeNames: string[] = []

  constructor(private readonly parser: TsParser) {}

  parse(source: string, limits: ParseLimits): ParseOutcome {
    let tree: null | TsTree
    let steps = 0
    try {
      tree = this.parser.parse(source, null, {
        // Returning true cancels the parse. Counting calls, not reading a clock, keeps it deterministic.
        progressCallback: () => ++steps > limits.maxSteps,
      })
    } catch {
      tree = null
    }

    if (tree === null) {
      this.parser.reset()
      return {ok: false, reason: 'steps', nodes: 0}
    }

    try {
      const top = tree.rootNode
      const nodes = top.descendantCount
      if (nodes > limits.maxNodes) return {ok: false, reason: 'nodes', nodes}
      const {hasError} = top
      const {root, truncated} = this.copy(tree, limits.maxDepth)
      return {ok: true, root, hasError, nodes, truncated}
    } finally {
      tree.delete()
    }
  }

  private copy(tree: TsTree, maxDepth: number): {root: SyntaxNode; truncated: boolean} {
    const cursor = tree.walk()
    let truncated = false
    const {typeNames} = this
    const {typeNamed} = this
    const make = (): MutableNode => {
      const id = cursor.nodeTypeId
      let type = typeNames[id]
      let named = typeNamed[id]
      if (type === undefined || named === undefined) {
        type = cursor.nodeType
        named = cursor.nodeIsNamed
        typeNames[id] = type
        typeNamed[id] = named
      }

      // Fields of anonymous tokens (`operator: &&`) are never read; skipping them saves a call.
      // Offsets are filled in by `visit`: an inner node spans exactly its children, so only leaves
      // (and error nodes, which may hold skipped text) need asking.
      return {type, named, field: named ? cursor.currentFieldName : null, start: 0, end: 0, children: []}
    }

    const own = (node: MutableNode): void => {
      node.start = cursor.startIndex
      node.end = cursor.endIndex
    }

    const visit = (node: MutableNode, depth: number): void => {
      const exact = node.type === 'ERROR' || depth === 1
      if (exact) own(node)
      if (!cursor.gotoFirstChild()) {
        if (!exact) own(node)
        return
      }

      if (depth > maxDepth) {
        truncated = true
        cursor.gotoParent()
        if (!exact) own(node)
        return
      }

      do {
        const child = make()
        node.children.push(child)
        visit(child, depth + 1)
      } while (cursor.gotoNextSibling())

      cursor.gotoParent()
      if (!exact) {
        node.start = (node.children[0] as MutableNode).start
        node.end = (node.children.at(-1) as MutableNode).end
      }
    }

    try {
      const root = make()
      visit(root, 1)
      return {root, truncated}
    } finally {
      cursor.delete()
    }
  }
}

/** Touches most of the grammar: lists, pipes, substitutions, quoting, redirections, here-documents. */
const WARM_UP = [
  String.raw`f() { a=$(b "c" 'd' $'e' \x) || [[ -f g ]] && (( h + 1 )); }`,
  'for i in {1..2}; do case $i in *) j | k 2>&1 >/dev/null &;; esac; done',
  'cat <<END > l',
  '$m ${n:-o} `p`',
  'END',
  'if q; then r <(s) >>t; elif u; then v; else w; fi; while x; do y; done; export z=1',
].join('\n')

let loading: Promise<ShellParser> | undefined

/**
 * Loads the WebAssembly runtime and the bash grammar once per process; later calls share the result.
 *
 * The grammar is compiled with V8's quick WebAssembly compiler only (Liftoff). By default V8 then
 * recompiles the whole grammar with its optimising compiler in the background, and until that
 * finishes the thread's event loop stalls: about a second on an idle machine, ten seconds on a busy
 * one, measured here — a one-shot `hub policy check` waited for it, and a policy worker answered
 * nothing meanwhile. Parsing speed is the same within noise on the batteries (see bench/). The flag
 * is process-wide and set before the first load; `tierUp: true` keeps V8's default.
 *
 * `warmUp: false` (a one-shot CLI) skips the warm-up parse below, which only moves work earlier.
 * (Compiling the WebAssembly eagerly, on V8's background threads, was tried for the CLI: it compiles
 * functions a parse never calls, and cost more CPU and no less wall time on a loaded machine.)
 */
export function loadShellParser(opts: {tierUp?: boolean; warmUp?: boolean} = {}): Promise<ShellParser> {
  if (loading === undefined && opts.tierUp !== true) v8.setFlagsFromString('--liftoff-only')
  loading ??= createParser(opts.warmUp !== false).catch((error: unknown) => {
    // A failed load (a missing .wasm) must not poison every later attempt in a long-lived daemon.
    loading = undefined
    throw error
  })
  return loading
}

/** Where the one-time load went, in milliseconds (for `npm run bench` and start-up diagnosis). */
export const parserLoadTimings = {importMs: 0, initMs: 0, grammarMs: 0, warmUpMs: 0}

async function createParser(warmUp: boolean): Promise<ShellParser> {
  let t = performance.now()
  const lap = (): number => {
    const now = performance.now()
    const ms = now - t
    t = now
    return ms
  }

  const {Parser, Language} = await import('web-tree-sitter')
  parserLoadTimings.importMs = lap()
  // Resolved through the package, so it works from src/ (tsx, vitest) and from dist/ alike.
  const wasm = createRequire(import.meta.url).resolve('tree-sitter-bash/tree-sitter-bash.wasm')
  // Read the grammar while the runtime compiles.
  const [bytes] = await Promise.all([readFile(wasm), Parser.init()])
  parserLoadTimings.initMs = lap()
  const language = await Language.load(bytes)
  const parser = new Parser()
  parser.setLanguage(language)
  parserLoadTimings.grammarMs = lap()
  // V8 compiles WebAssembly functions lazily, on first call: the first parse costs tens of
  // milliseconds. A long-lived process pays it here, rather than in the first request's time.
  if (warmUp) parser.parse(WARM_UP)?.delete()
  parserLoadTimings.warmUpMs = lap()
  return new TreeSitterShellParser(parser)
}
