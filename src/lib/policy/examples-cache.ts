/**
 * Remembers that a policy file's rule examples passed (SPEC §4.4), so `hub policy check` and every
 * daemon start do not judge them again while neither the file nor the engine changed (issue 12).
 * The key is a hash of the file's text, the context they were judged in, strict mode, the hub
 * version and when the engine was built; the cache is one small JSON file under
 * `$XDG_CACHE_HOME/hub` (or `~/.cache/hub`), written whole (temporary file, then rename) and ignored
 * when it cannot be read: a miss only costs the check.
 */

import {createHash} from 'node:crypto'
import {statSync} from 'node:fs'
import {mkdir, readFile, rename, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import type {CompiledPolicyFile} from './policy-file.js'
import type {PolicyContext} from './types.js'

import {hubVersion} from '../version.js'

const MAX_ENTRIES = 32

export function cacheFile(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache')
  return path.join(base, 'hub', 'policy-examples.json')
}

function engineBuilt(): number {
  try {
    return statSync(fileURLToPath(import.meta.url)).mtimeMs
  } catch {
    return 0
  }
}

export function examplesKey(compiled: CompiledPolicyFile, ctx: PolicyContext, strict: boolean): null | string {
  if (compiled.text === undefined) return null
  return createHash('sha256')
    .update(JSON.stringify([compiled.text, compiled.file, ctx, strict, hubVersion(), engineBuilt()]))
    .digest('hex')
}

async function read(): Promise<string[]> {
  try {
    const data = JSON.parse(await readFile(cacheFile(), 'utf8')) as unknown
    const passed = (data as {passed?: unknown})?.passed
    return Array.isArray(passed) ? passed.filter((x): x is string => typeof x === 'string') : []
  } catch {
    return []
  }
}

export async function examplesPassed(key: null | string): Promise<boolean> {
  return key !== null && (await read()).includes(key)
}

export async function rememberExamplesPassed(key: null | string): Promise<void> {
  if (key === null) return
  const file = cacheFile()
  try {
    const passed = [key, ...(await read()).filter((k) => k !== key)].slice(0, MAX_ENTRIES)
    await mkdir(path.dirname(file), {recursive: true, mode: 0o700})
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`
    await writeFile(tmp, `${JSON.stringify({passed})}\n`, {mode: 0o600})
    await rename(tmp, file)
  } catch {
    // A cache that cannot be written only means the examples are checked again next time.
  }
}
