/**
 * Integration tests run the built CLI (`bin/run.js` loads `dist/`). Build once, and only when a source
 * file is newer than the last build: `npm ci` already built in CI, so the suite does not build twice.
 */
import {execFileSync} from 'node:child_process'
import {readdirSync, statSync} from 'node:fs'
import {join, resolve} from 'node:path'

const REPO = resolve(import.meta.dirname, '..')

function newest(dir: string): number {
  let latest = 0
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) latest = Math.max(latest, newest(path))
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      latest = Math.max(latest, statSync(path).mtimeMs)
  }

  return latest
}

export default function setup(): void {
  let built = 0
  try {
    // The manifest is the build's last step.
    built = statSync(join(REPO, 'oclif.manifest.json')).mtimeMs
  } catch {
    built = 0
  }

  const sources = Math.max(newest(join(REPO, 'src')), statSync(join(REPO, 'package.json')).mtimeMs)
  if (sources <= built) return
  process.stdout.write('dist/ is older than src/: building once before the tests (npm run build)\n')
  execFileSync('npm', ['run', 'build'], {cwd: REPO, stdio: 'inherit'})
}
