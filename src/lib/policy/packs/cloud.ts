/** Remote pack, cloud CLIs: copying a directory to cloud storage, and calls that change cloud state. */

import type {Cmd} from '../command.js'

import {commandRule} from '../rules.js'

const CLOUD = new Set([
  'aws',
  'gcloud',
  'gsutil',
  'az',
  'azcopy',
  'rclone',
  's3cmd',
  'gh',
  'glab',
  'doctl',
  'heroku',
  'flyctl',
  'fly',
  'vercel',
  'netlify',
  'firebase',
  'wrangler',
])
/** Tools whose whole purpose is to carry data or a local port off the machine. */
const TUNNELS = new Set([
  'transfer',
  'croc',
  'magic-wormhole',
  'wormhole',
  'ngrok',
  'cloudflared',
  'bore',
  'localtunnel',
])
const PUBLISH: Readonly<Record<string, RegExp>> = {
  npm: /^(publish|unpublish|deprecate|dist-tag|owner|login|adduser|token|access|team)$/,
  yarn: /^(publish|npm)$/,
  pnpm: /^(publish)$/,
  bun: /^(publish)$/,
  cargo: /^(publish|yank|owner|login)$/,
  gem: /^(push|yank|owner|signin)$/,
  docker: /^(push|login)$/,
  podman: /^(push|login)$/,
  poetry: /^(publish)$/,
  twine: /^(upload|register)$/,
  dotnet: /^(nuget)$/,
  mvn: /^(deploy)$/,
}

/** A cloud storage URL (`s3://`, `gs://`, `az://`, an rclone `remote:path`). */
const REMOTE_STORE = /^(?:s3|gs|az|r2|b2|wasbs?|abfss?):\/\/|^[A-Za-z][\w-]*:(?!\/\/)(?:[^\\]|$)/

/** Copies a local directory to cloud storage (`aws s3 sync .`, `gsutil cp -r`, `rclone copy dir remote:`). */
function uploadsDirectory(cmd: Cmd): null | string {
  const verbs = cmd.argv.filter((v) => !v.startsWith('-'))
  const recursive = cmd.argv.some((v) => /^-[A-Za-z]*r$|^--recursive$|^-R$/.test(v))
  let op: string | undefined
  let rest: string[]
  if (cmd.name === 'aws' && verbs[0] === 's3') {
    op = verbs[1]
    rest = verbs.slice(2)
  } else if (cmd.name === 'gsutil' || cmd.name === 'rclone' || cmd.name === 'azcopy' || cmd.name === 's3cmd') {
    op = verbs[0]
    rest = verbs.slice(1)
  } else return null
  if (op === undefined || !/^(?:sync|cp|copy|mv|move|put)$/.test(op)) return null
  const [src, dst] = rest
  if (src === undefined || dst === undefined || REMOTE_STORE.test(src) || !REMOTE_STORE.test(dst)) return null
  if (op === 'sync' || recursive || cmd.name === 'rclone' || src === '.' || src.endsWith('/'))
    return `${cmd.name} ${op} ${src} ${dst}: copies a local directory off the machine`
  return null
}

export const cloud = commandRule({
  id: 'remote.cloud-and-publish',
  pack: 'remote',
  decision: 'deny',
  reason: 'copies the project off the machine (directory uploads to cloud storage, package publishing, public tunnels)',
  programs: [...TUNNELS, 'aws', 'gsutil', 'rclone', 'azcopy', 's3cmd', 'gh', 'glab', ...Object.keys(PUBLISH)],
  examples: {
    match: [
      'aws s3 sync . s3://bucket',
      'gsutil cp -r . gs://b',
      'rclone copy ./src remote:backup',
      'npm publish',
      'docker push me/image',
      'cargo publish',
      'ngrok http 3000',
      'twine upload dist/*',
      'gh gist create notes.txt',
      'gh repo create x --public --push',
    ],
    not_match: ['npm test', 'npm install', 'docker build -t x .', 'aws s3 ls', 'gh pr list', 'aws s3 cp s3://b/x ./x'],
  },
  check(cmd) {
    if (TUNNELS.has(cmd.name)) {
      if (cmd.argv.length > 0 && cmd.argv.every((a) => /^(?:--?version|-v|--?help|-h|version|help)$/.test(a)))
        return null
      return `${cmd.name}: exposes a local port or carries files to the internet`
    }

    const dir = uploadsDirectory(cmd)
    if (dir) return dir
    if (cmd.name === 'gh' || cmd.name === 'glab') {
      const verbs = cmd.argv.filter((v) => !v.startsWith('-'))
      if (verbs[0] === 'gist' && verbs[1] === 'create') return `${cmd.name} gist create: publishes files`
      if (verbs[0] === 'repo' && verbs[1] === 'create' && cmd.argv.some((v) => v === '--push' || v === '--public'))
        return `${cmd.name} repo create --public/--push: publishes the repository`
      return null
    }

    const re = PUBLISH[cmd.name]
    if (re === undefined) return null
    const verb = cmd.argv.find((a) => !a.startsWith('-'))
    return verb !== undefined && re.test(verb) ? `${cmd.name} ${verb}: publishes off the machine` : null
  },
})

export const cloudCall = commandRule({
  id: 'remote.cloud-cli',
  pack: 'remote',
  decision: 'ask',
  reason: "talks to a cloud service with this machine's credentials: an operator decides",
  programs: [...CLOUD],
  examples: {
    match: ['aws s3 ls', 'gcloud config list', 'az account show', 'gh pr create'],
    not_match: ['aws --version', 'gh help'],
  },
  check(cmd) {
    if (cmd.argv.length > 0 && cmd.argv.every((a) => /^(?:--?version|-v|--?help|-h|version|help)$/.test(a))) return null
    return `${cmd.name}: talks to a cloud service`
  },
})
