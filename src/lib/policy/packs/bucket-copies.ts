/**
 * A whole bucket copied into another (issue 12, held-out round): `aws s3 sync s3://a s3://b`, `gsutil -m cp
 * -r gs://a gs://b`, `rclone copy prod:data other:`, `mc mirror`, `azcopy copy` between accounts. The copy
 * never touches this machine, so the upload rule (cloud.ts) does not see it, yet it moves every object to
 * a place the engine cannot tell is the team's. One object, or a prefix inside the same bucket, stays ask.
 */

import type {Cmd} from '../command.js'

import {commandRule} from '../rules.js'
import {verbsOf} from '../subcommands.js'

/** Bucket URLs and rclone/mc `remote:path`/`alias/bucket` spellings; returns the store's root, or null. */
function storeRoot(tool: string, text: string): null | string {
  const url = /^(s3|gs|az|r2|b2|wasbs?|abfss?):\/\/([^/]+)/i.exec(text)
  if (url) return `${(url[1] as string).toLowerCase()}://${url[2] as string}`
  const blob = /^https:\/\/([\w-]+)\.(?:blob|dfs)\.core\.windows\.net\/([^/?]+)/i.exec(text)
  if (blob) return `azure:${blob[1] as string}/${blob[2] as string}`
  if (tool === 'rclone') {
    const remote = /^([A-Za-z][\w-]*):([^/]*)/.exec(text)
    return remote ? `${remote[1] as string}:${remote[2] as string}` : null
  }

  if (tool === 'mc') {
    const alias = /^([A-Za-z][\w-]*)\/([^/]+)/.exec(text)
    return alias ? `${alias[1] as string}/${alias[2] as string}` : null
  }

  return null
}

const COPY = /^(?:sync|rsync|cp|copy|copyto|mv|move|moveto|mirror|put)$/

function bucketToBucket(cmd: Cmd): null | string {
  let words = verbsOf(cmd)
  if ((cmd.name === 'aws' && words[0] === 's3') || (cmd.name === 'gcloud' && words[0] === 'storage'))
    words = words.slice(1)
  else if (cmd.name === 'aws' || cmd.name === 'gcloud') return null
  const [op, ...operands] = words
  if (op === undefined || !COPY.test(op)) return null
  // Values of options the table does not know (`--acl bucket-owner-full-control`) are read as operands too:
  // only store spellings count, and a copy between two of them is what this rule is about.
  const roots = operands.map((w) => storeRoot(cmd.name, w)).filter((r): r is string => r !== null)
  const target = roots.at(-1)
  const sources = roots.slice(0, -1)
  if (target === undefined || sources.length === 0) return null
  const foreign = sources.find((s) => s !== target)
  if (foreign === undefined) return null
  // `aws s3 cp s3://a/key s3://b/` copies one object: only whole trees count (sync, mirror, -r, rclone's copy).
  const tree =
    /^(?:sync|rsync|mirror|copy|move)$/.test(op) ||
    cmd.argv.some((a) => /^-[A-Za-z]*[rR][A-Za-z]*$|^--recursive$/.test(a))
  if (!tree && cmd.name !== 'rclone') return null
  return `${cmd.name} ${op} ${foreign} → ${target}: copies a whole store into another the engine cannot vouch for`
}

export const bucketCopy = commandRule({
  id: 'remote.bucket-to-bucket',
  pack: 'remote',
  decision: 'deny',
  reason: 'copies a whole bucket or remote store into another one (bulk data moved where no one can vouch for it)',
  programs: ['aws', 'gcloud', 'gsutil', 'rclone', 's3cmd', 'azcopy', 'mc'],
  examples: {
    match: [
      'aws --profile prod s3 sync s3://customer-exports s3://scratch-2931/ --acl bucket-owner-full-control',
      'aws s3 cp --recursive s3://logs-prod/2024/ s3://other-account-logs/',
      'gsutil -m rsync -r gs://ml-datasets gs://tmp-share',
      'gcloud storage cp -r gs://invoices gs://invoices-copy-x',
      'rclone sync prod-s3:warehouse dropbox:backup',
      'mc mirror --overwrite prod/reports ext/reports',
      's3cmd sync s3://acme-media/ s3://mirror-elsewhere/',
      'azcopy copy "https://acct1.blob.core.windows.net/data" "https://acct2.blob.core.windows.net/x" --recursive',
    ],
    not_match: [
      'aws s3 ls s3://customer-exports',
      'aws s3 sync ./dist s3://my-site',
      'aws s3 cp s3://bucket/report.csv s3://other/report.csv',
      'aws s3 sync s3://media/raw s3://media/processed',
      'gsutil cp gs://b/file.txt .',
      'rclone copy remote:photos ./photos',
      'rclone lsd prod-s3:',
    ],
  },
  check: (cmd) => bucketToBucket(cmd),
})
