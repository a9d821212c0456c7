/**
 * Reading cloud CLIs' arguments for the exposure and hosting rules: every value of an option however
 * it is spelt (`--cidr 0.0.0.0/0`, `--cidr=0.0.0.0/0`), and whether a value opens something to everyone.
 */

export {argvValues as optionValues} from '../subcommands.js'

/** Whether a flag is given and not switched off (`--flag`, `--flag=true`; not `--flag=false`, `--no-flag`). */
export function flagOn(argv: readonly string[], name: string): boolean {
  return argv.some((a, i) => {
    if (a === name) return !/^(?:false|no|0|disabled?)$/i.test(argv[i + 1] ?? '')
    return a.startsWith(`${name}=`) && !/^(?:false|no|0|disabled?)$/i.test(a.slice(name.length + 1))
  })
}

/** An address range that is the whole internet, IPv4 or IPv6, somewhere in a value (lists and JSON included). */
export const WORLD_RANGE = /(?:^|[^\d.])0\.0\.0\.0\/0\b|(?:^|[^\w:])::\/0\b/

/** Members that mean everyone: GCP's allUsers/allAuthenticatedUsers, AWS's AllUsers/AuthenticatedUsers groups. */
export const EVERYONE = /\ball(?:Authenticated)?Users\b|\/global\/(?:All|Authenticated)Users\b/i

/** An IAM policy document (inline JSON) that lets anyone in: `"Principal": "*"` or `{"AWS": "*"}`. */
export function anyonePolicy(text: string): boolean {
  if (!/"Effect"\s*:\s*"Allow"/i.test(text)) return false
  return /"Principal"\s*:\s*(?:"\*"|\{\s*"AWS"\s*:\s*(?:"\*"|\[\s*"\*"))/i.test(text)
}

/** An inline policy that allows every action on every resource: administrator rights under another name. */
export function adminPolicy(text: string): boolean {
  if (!/"Effect"\s*:\s*"Allow"/i.test(text)) return false
  return /"Action"\s*:\s*(?:"\*"|\[\s*"\*")/.test(text) && /"Resource"\s*:\s*(?:"\*"|\[\s*"\*")/.test(text)
}
