import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

import {loadShellParser, type SyntaxNode} from './parser.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const limits = {maxNodes: 8000, maxDepth: 128, maxSteps: 1_000_000}

function sources(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) => {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) return sources(p)
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : []
  })
}

function find(node: SyntaxNode, type: string): SyntaxNode[] {
  return [...(node.type === type ? [node] : []), ...node.children.flatMap((c) => find(c, type))]
}

describe('loading', () => {
  it('imports web-tree-sitter only dynamically, in parser.ts, so importing the engine loads no WebAssembly', () => {
    for (const file of sources(here)) {
      const text = readFileSync(file, 'utf8')
      const staticImports = text.match(/^import\s+(?!type\b)[^;\n]*from\s+'web-tree-sitter'/gm) ?? []
      expect(staticImports, file).toEqual([])
      if (path.basename(file) !== 'parser.ts') expect(text.includes("import('web-tree-sitter')"), file).toBe(false)
      // Every module of the engine is reachable from index.ts; none may load the parser at import time.
      expect(/^await |^loadShellParser\(\)/m.test(text), file).toBe(false)
    }

    expect(readFileSync(path.join(here, 'parser.ts'), 'utf8')).toContain("await import('web-tree-sitter')")
  })

  it('loads once and shares the parser', async () => {
    const [a, b] = await Promise.all([loadShellParser(), loadShellParser()])
    expect(a).toBe(b)
    expect(await loadShellParser()).toBe(a)
  })
})

describe('parsing', () => {
  it('copies the tree with types, fields and offsets', async () => {
    const parser = await loadShellParser()
    const src = 'sudo rm -rf "/x" | tee out'
    const result = parser.parse(src, limits)
    if (!result.ok) throw new Error('parse failed')
    expect(result.hasError).toBe(false)
    const commands = find(result.root, 'command')
    expect(commands.map((c) => src.slice(c.start, c.end))).toEqual(['sudo rm -rf "/x"', 'tee out'])
    const name = commands[0]?.children.find((c) => c.field === 'name')
    expect(name?.type).toBe('command_name')
    expect(result.root.start).toBe(0)
  })

  it('gives offsets in UTF-16 code units, as String.prototype.slice takes them', async () => {
    const parser = await loadShellParser()
    const src = 'echo "é😀" && ls'
    const result = parser.parse(src, limits)
    if (!result.ok) throw new Error('parse failed')
    const [, ls] = find(result.root, 'command')
    expect(src.slice(ls?.start, ls?.end)).toBe('ls')
  })

  it('reports syntax errors and missing nodes', async () => {
    const parser = await loadShellParser()
    for (const src of ["echo 'open", 'if then fi', 'echo $(', 'for x in; do; done']) {
      const result = parser.parse(src, limits)
      expect(result.ok && result.hasError, src).toBe(true)
    }
  })

  it('refuses trees over the node budget and cuts those nested too deep', async () => {
    const parser = await loadShellParser()
    expect(parser.parse('a b c d e f g', {...limits, maxNodes: 5})).toMatchObject({ok: false, reason: 'nodes'})
    const deep = parser.parse(`echo ${'$(echo '.repeat(60)}x${')'.repeat(60)}`, {...limits, maxDepth: 20})
    expect(deep).toMatchObject({ok: true, truncated: true})
  })

  it('gives up after a fixed amount of parsing work, the same every time', async () => {
    const parser = await loadShellParser()
    const big = Array.from({length: 4000}, (_, i) => `echo ${i} "$(a${i})"`).join('\n')
    for (let i = 0; i < 3; i++) {
      expect(parser.parse(big, {...limits, maxNodes: 1e9, maxSteps: 10})).toMatchObject({ok: false, reason: 'steps'})
    }

    // The parser recovers for the next request.
    expect(parser.parse('ls', limits)).toMatchObject({ok: true})
  })
})
