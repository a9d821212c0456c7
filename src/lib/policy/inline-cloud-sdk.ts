/**
 * Cloud SDK calls in inline programs that delete (issue 12, held-out round): `boto3 … .delete_bucket(…)`,
 * `Bucket('x').objects.all().delete()`, `ec2.terminate_instances(…)`, AWS SDK v3's `DeleteTableCommand`,
 * google-cloud-storage's `bucket.delete(force=True)`. Each is handed to the shell rules as the CLI call that
 * does the same (`aws sdk delete-bucket`, `aws s3 rb`, `gsutil rm -r`), so the infrastructure rule judges
 * it. Only code that loads a cloud SDK is read this way: `cache.delete_item(…)` elsewhere means nothing.
 */

const LOADS_SDK =
  /\bboto3\b|\bbotocore\b|\bgoogle\.cloud\b|@google-cloud\/|\bazure\.|@azure\/|@aws-sdk\/|\baws-sdk\b|\bAws::/

/** Client methods that delete, in snake case (Python, Ruby) or as SDK v3 command classes. */
const SNAKE = /\.((?:delete|terminate|deregister|purge|remove|schedule_key_deletion)_?\w*)\s*\(/g
const COMMAND_CLASS = /\bnew\s+((?:Delete|Terminate|Deregister|Purge|Remove)\w*?)Command\s*\(/g
/** Whole buckets emptied or removed through a resource object. */
const EMPTIES_BUCKET = /\.objects\.(?:all|filter)\s*\([^)]*\)\s*\.delete\s*\(|\bBucket\s*\([^)]*\)\s*\.delete\s*\(/
const GCS_BUCKET = /\bbucket\s*\([^)]*\)\s*\.delete\s*\(|\.delete_blobs\s*\(|\bbucket\.delete\s*\(/i

const kebab = (name: string): string =>
  name
    .replaceAll(/([a-z])([A-Z])/g, '$1-$2')
    .replaceAll('_', '-')
    .toLowerCase()

/** Shell lines equivalent to the SDK deletions found in the code (empty when none, or no SDK is loaded). */
export function cloudSdkDeletes(code: string): string[] {
  if (!LOADS_SDK.test(code)) return []
  const out: string[] = []
  if (EMPTIES_BUCKET.test(code)) out.push('aws s3 rb s3://"$INLINE_VALUE" --force')
  if (/google\.cloud|@google-cloud\//.test(code) && GCS_BUCKET.test(code)) out.push('gsutil rm -r gs://"$INLINE_VALUE"')
  for (const m of code.matchAll(SNAKE)) out.push(`aws sdk ${kebab(m[1] as string)}`)
  for (const m of code.matchAll(COMMAND_CLASS)) out.push(`aws sdk ${kebab(m[1] as string)}`)
  return out.filter((line) => !/^aws sdk (?:delete|remove)$/.test(line))
}
