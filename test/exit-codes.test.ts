/**
 * Every command's `--help` lists the exit codes it can return (issue 13), and the numbers agree with
 * src/lib/errors.ts: a number is one of EXIT's (or 128 + a signal), its words fit what that code
 * means there, and the codes a command's own source can produce (a HubError it throws, an EXIT it
 * exits with, the daemon it asks) are among the ones it documents. Walks oclif.manifest.json, which
 * is what `hub <command> --help` prints from (test/global-setup.ts builds it when src/ is newer).
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {ERROR_CODES, EXIT} from '../src/lib/errors.js'
import {hub, removeRoot, REPO, tempRoot} from './helpers.js'

interface ManifestCommand {
  description?: string
  id: string
  relativePath: string[]
}

const manifest = JSON.parse(readFileSync(join(REPO, 'oclif.manifest.json'), 'utf8')) as {
  commands: Record<string, ManifestCommand>
}
const commands = Object.values(manifest.commands)

/** What each documented number must be about, in words (families, not exact strings). */
const MEANING: Record<keyof typeof EXIT, RegExp> = {
  ok: /./,
  failure: /unexpected|fail|could not|cannot|broken|miss|unavailable/i,
  usage: /usage|configuration|invalid|refused|not a terminal/i,
  unreachable: /daemon.*reach|reach.*daemon/i,
  notFound: /no such|no waiting request|no console session|no audit log|not found/i,
  conflict: /expired|decided|changed/i,
  unauthorized: /token/i,
  unhealthy: /unhealthy|wrong/i,
  denied: /refused|denied|deny/i,
  rateLimited: /rate limit|too many/i,
  gaveUp: /gave up|timeout/i,
}
const NAME_OF = new Map<number, keyof typeof EXIT>(
  Object.entries(EXIT).map(([name, code]) => [code, name as keyof typeof EXIT]),
)

/** The documented codes: the block after "Exit codes:", one a line, or inline "0 …, 2 …, 4 …." */
function documented(description: string | undefined): Array<{code: null | number; text: string}> | undefined {
  const at = description?.indexOf('Exit codes:') ?? -1
  if (at < 0) return undefined
  const rest = description!.slice(at + 'Exit codes:'.length)
  const firstLine = rest.split('\n')[0]!.trim()
  const entries = firstLine
    ? firstLine.replace(/\.$/, '').split(/,\s+(?=\d+\s)/)
    : rest
        .slice(1)
        .split(/\n\s*\n/)[0]!
        .split('\n')
  return entries
    .map((e) => e.trim())
    .filter(Boolean)
    .map((text) => {
      const n = /^(\d+)\s/.exec(text)?.[1]
      return {code: n === undefined ? null : Number(n), text}
    })
}

function sourceOf(c: ManifestCommand): string {
  const rel = c.relativePath
    .join('/')
    .replace(/^dist\//, 'src/')
    .replace(/\.js$/, '.ts')
  return readFileSync(join(REPO, rel), 'utf8')
}

describe('exit codes in --help', () => {
  it('the manifest holds every command', () => {
    expect(commands.length).toBeGreaterThan(20)
    for (const id of ['approve', 'deny', 'open', 'sessions', 'sessions:revoke', 'token:rotate', 'runs', 'runs:show'])
      expect(manifest.commands[id], id).toBeDefined()
  })

  it.each(commands.map((c) => [c.id, c] as const))('%s lists its exit codes, as errors.ts numbers them', (_, c) => {
    const codes = documented(c.description)
    expect(codes, `${c.id}: no "Exit codes:" in its description`).toBeDefined()
    const numbers = new Set(codes!.map((x) => x.code))
    expect(numbers.has(0), `${c.id} documents no 0`).toBe(true)
    for (const {code, text} of codes!) {
      // "the command's own exit code" (hub plan --wait) carries no number.
      if (code === null) {
        expect(text, c.id).toMatch(/own exit code/)
        continue
      }

      const name = NAME_OF.get(code)
      if (name === undefined) {
        // 128 + a signal, as shells report it: Ctrl-C (130), a second signal to hub serve.
        expect(code, `${c.id}: ${text}`).toBeGreaterThan(128)
        expect(code, `${c.id}: ${text}`).toBeLessThan(160)
        expect(text, c.id).toMatch(/Ctrl-C|signal/)
        continue
      }

      expect(text, `${c.id}: ${code} is EXIT.${name} in errors.ts`).toMatch(MEANING[name])
    }

    const src = sourceOf(c)
    for (const m of src.matchAll(/new HubError\(\s*'(\w+)'/g)) {
      const {exit} = ERROR_CODES[m[1] as keyof typeof ERROR_CODES]
      expect(numbers.has(exit), `${c.id} throws ${m[1]} (exit ${exit}) but does not document ${exit}`).toBe(true)
    }

    for (const m of src.matchAll(/this\.exit\(EXIT\.(\w+)\)/g)) {
      const exit = EXIT[m[1] as keyof typeof EXIT]
      expect(numbers.has(exit), `${c.id} exits with EXIT.${m[1]} (${exit}) but does not document it`).toBe(true)
    }

    // Awaited in the command itself (hub mcp hands a factory to its tools, which answer failures to the client).
    if (/await this\.client\(/.test(src)) {
      expect(numbers.has(EXIT.unauthorized), `${c.id} asks the daemon: document 6`).toBe(true)
      // A command that works on the files when no daemon runs never reports one missing.
      if (!/code !== 'daemon_unreachable'\) throw error\s*\n\s*result =/.test(src))
        expect(numbers.has(EXIT.unreachable), `${c.id} asks the daemon: document 3`).toBe(true)
    }
  })

  it('hub approve --help prints them', async () => {
    const root = await tempRoot('hub-exit-codes-')
    try {
      const r = await hub(['approve', '--help'], {root})
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(/Exit codes:\n\s*0 approved[^\n]*\n(\s*\d+ [^\n]+\n)*\s*4 no waiting request/)
      expect(r.stdout).toMatch(/\s3 no daemon reachable/)
      expect(r.stdout).toMatch(/\s130 Ctrl-C/)
    } finally {
      await removeRoot(root)
    }
  })
})
