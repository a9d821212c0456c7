#!/usr/bin/env node
/**
 * Build step: the policy engine's entry modules in dist/lib/policy (load.js, explain.js, index.js) are
 * rebuilt in place as bundles of the engine's modules (about 90), sharing one chunk beside them.
 *
 * Node 20 loads each ES module separately (resolve, read, compile, link), which for the engine costs
 * more than compiling its code: `hub policy check` and the agents' hooks import it once per process, and
 * importing the bundle takes about a third of the time of importing the modules (bench/policy.bench.ts).
 * Only the engine's own modules are inlined. The parser stays a module of its own, so the WebAssembly
 * runtime is loaded once per process whoever imports it; lazily imported modules stay lazy; everything
 * outside dist/lib/policy and every package stays an import, so no module is loaded twice.
 */
import {build} from 'esbuild'
import {dirname, join, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const policyDir = join(root, 'dist', 'lib', 'policy')
const entries = ['load.js', 'explain.js', 'index.js'].map((f) => join(policyDir, f))
/** Modules kept separate: process-wide state (the parser) or loaded on demand only. */
const SHARED = new Set([join(policyDir, 'parser.js')])

function specifierFromEntry(absolute) {
  const rel = relative(policyDir, absolute).split('\\').join('/')
  return rel.startsWith('.') ? rel : `./${rel}`
}

const keepOutside = {
  name: 'keep-outside',
  setup(b) {
    b.onResolve({filter: /.*/}, (args) => {
      if (args.kind === 'entry-point') return undefined
      if (!args.path.startsWith('.')) return {external: true, path: args.path}
      const absolute = resolve(args.resolveDir, args.path)
      const inside = absolute.startsWith(`${policyDir}/`)
      if (inside && !SHARED.has(absolute) && args.kind !== 'dynamic-import') return undefined
      return {external: true, path: specifierFromEntry(absolute)}
    })
  },
}

const result = await build({
  entryPoints: entries,
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: policyDir,
  entryNames: '[name]',
  // Beside the entries, so that the relative imports written for them hold for the chunks too.
  chunkNames: 'engine-[hash]',
  allowOverwrite: true,
  minifyWhitespace: true,
  minifySyntax: true,
  plugins: [keepOutside],
  logLevel: 'warning',
  metafile: true,
})
const inputs = Object.keys(result.metafile.inputs).length
const outputs = Object.keys(result.metafile.outputs).map((f) => relative(policyDir, f))
process.stdout.write(`bundle-policy: ${inputs} modules → dist/lib/policy/{${outputs.join(', ')}}\n`)
