/**
 * The operator's policy file (SPEC §4.4): JSON, validated strictly (unknown keys are errors), with
 * every message naming the file, the rule (index and id) and the field, because a broken file
 * stops the daemon from starting and the operator has to find the mistake from that one line.
 *
 * {
 *   "strict": false,                       // optional; true blocks what no rule matches
 *   "packs": {"remote": false},            // optional; switch built-in packs off
 *   "rules": [                             // optional; tried together with the packs
 *     {"id": "npm-test", "decision": "allow", "reason": "tests are safe",
 *      "program": "npm", "args": "^(test|run lint)\\b",
 *      "examples": {"match": ["npm test"], "not_match": ["npm publish"]}},
 *     {"id": "no-terraform-destroy", "decision": "deny", "reason": "…",
 *      "pattern": "\\bterraform\\s+destroy\\b", "ignore_case": true},
 *     {"id": "offline-tests", "decision": "ask", "reason": "tests need no network",
 *      "program": "pytest", "network": false}   // optional; a matched rule runs the command offline
 *   ]
 * }
 *
 * The README section (in the engine's hand-over report) documents the format for operators.
 */

import type {z as Zod} from 'zod'

import {readFile} from 'node:fs/promises'

import {HubError} from '../errors.js'
import {programName} from './command.js'
import {commandRule, PACK_NAMES, type PackName, type Rule, textRule} from './rules.js'

const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/**
 * The schema, built from zod once it is loaded: importing zod costs tens of milliseconds, which a
 * command that never reads a policy file should not pay.
 */
function buildSchemas(z: typeof Zod) {
  const examples = z.strictObject({
    match: z.array(z.string().min(1)).max(100).optional(),
    not_match: z.array(z.string().min(1)).max(100).optional(),
  })
  const rule = z.strictObject({
    id: z.string().regex(RULE_ID, 'must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit'),
    decision: z.enum(['deny', 'ask', 'allow']),
    reason: z.string().min(1).max(500),
    program: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(100)]).optional(),
    args: z.string().min(1).max(2000).optional(),
    pattern: z.string().min(1).max(2000).optional(),
    ignore_case: z.boolean().optional(),
    // Only `false` means anything: a command this rule matched runs without network. `true` could
    // not give back a network the daemon or another rule took away, so it is refused as misleading.
    network: z
      .literal(false, {error: 'only false is allowed: a matched rule can take the network away, not give it'})
      .optional(),
    examples: examples.optional(),
  })
  const packs = z.strictObject(
    Object.fromEntries(PACK_NAMES.map((name) => [name, z.boolean().optional()])) as Record<
      PackName,
      Zod.ZodOptional<Zod.ZodBoolean>
    >,
  )
  const file = z.strictObject({
    $schema: z.string().optional(),
    description: z.string().optional(),
    strict: z.boolean().optional(),
    packs: packs.optional(),
    rules: z.array(rule).max(1000).optional(),
  })
  return {file, rule}
}

type Schemas = ReturnType<typeof buildSchemas>
export type PolicyFileData = Zod.infer<Schemas['file']>
export type FileRuleData = Zod.infer<Schemas['rule']>

let schemas: Promise<Schemas> | undefined

function loadSchemas(): Promise<Schemas> {
  schemas ??= import('zod').then(({z}) => buildSchemas(z))
  return schemas
}

/** Whether zod's schema above accepts `data` (for tests that hold `conformsToSchema` to it). */
export async function schemaAccepts(data: unknown): Promise<boolean> {
  return (await loadSchemas()).file.safeParse(data).success
}

type Plain = Record<string, unknown>

const isPlain = (x: unknown): x is Plain => typeof x === 'object' && x !== null && !Array.isArray(x)
const hasOnly = (x: Plain, keys: ReadonlySet<string>): boolean => Object.keys(x).every((k) => keys.has(k))
const str = (x: unknown, min: number, max = Infinity): boolean =>
  typeof x === 'string' && x.length >= min && x.length <= max
const optional = (x: unknown, ok: (y: unknown) => boolean): boolean => x === undefined || ok(x)
const list = (x: unknown, min: number, max: number, ok: (y: unknown) => boolean): boolean =>
  Array.isArray(x) && x.length >= min && x.length <= max && x.every((y) => ok(y))

const FILE_KEYS = new Set(['$schema', 'description', 'strict', 'packs', 'rules'])
const RULE_KEYS = new Set([
  'id',
  'decision',
  'reason',
  'program',
  'args',
  'pattern',
  'ignore_case',
  'network',
  'examples',
])
const EXAMPLE_KEYS = new Set(['match', 'not_match'])
const PACK_KEYS = new Set<string>(PACK_NAMES)
const DECISIONS = new Set(['deny', 'ask', 'allow'])

function ruleConforms(r: unknown): boolean {
  if (!isPlain(r) || !hasOnly(r, RULE_KEYS)) return false
  const ex = r.examples
  const examples = (l: unknown): boolean => optional(l, (x) => list(x, 0, 100, (e) => str(e, 1)))
  return (
    typeof r.id === 'string' &&
    RULE_ID.test(r.id) &&
    typeof r.decision === 'string' &&
    DECISIONS.has(r.decision) &&
    str(r.reason, 1, 500) &&
    optional(r.program, (p) => str(p, 1) || list(p, 1, 100, (e) => str(e, 1))) &&
    optional(r.args, (a) => str(a, 1, 2000)) &&
    optional(r.pattern, (a) => str(a, 1, 2000)) &&
    optional(r.ignore_case, (b) => typeof b === 'boolean') &&
    optional(r.network, (n) => n === false) &&
    optional(ex, (e) => isPlain(e) && hasOnly(e, EXAMPLE_KEYS) && examples(e.match) && examples(e.not_match))
  )
}

/**
 * The schema above, written out by hand: true only for data zod accepts unchanged (policy-file.test.ts
 * holds the two together). Importing zod costs about 150 ms of CPU, more than the rest of `hub policy
 * check`; a valid file, the usual case, is read without it. Anything this check doubts goes to zod,
 * which also writes the messages, so it may be stricter than the schema but never looser.
 */
export function conformsToSchema(data: unknown): data is PolicyFileData {
  if (!isPlain(data) || !hasOnly(data, FILE_KEYS)) return false
  const {packs} = data
  return (
    optional(data.$schema, (x) => typeof x === 'string') &&
    optional(data.description, (x) => typeof x === 'string') &&
    optional(data.strict, (x) => typeof x === 'boolean') &&
    optional(
      packs,
      (p) => isPlain(p) && hasOnly(p, PACK_KEYS) && Object.values(p).every((v) => typeof v === 'boolean'),
    ) &&
    optional(data.rules, (rules) => list(rules, 0, 1000, ruleConforms))
  )
}

export interface CompiledPolicyFile {
  /** Packs the file switched off. */
  readonly disabled: readonly PackName[]
  readonly file: string
  readonly rules: readonly Rule[]
  /** The rules as written, for checking their examples (same order as `rules`). */
  readonly source: readonly FileRuleData[]
  readonly strict: boolean
  /** The file's text as read (its examples' results are cached by a hash of it). */
  readonly text?: string | undefined
}

/** Packs that protect the hub itself: a policy file may not switch them off. */
const LOCKED_PACKS: ReadonlySet<PackName> = new Set<PackName>(['self'])

function invalid(file: string, message: string, details: Record<string, unknown> = {}): HubError {
  return new HubError('policy_invalid', `${file}: ${message}`, {
    details: {file, ...details},
    hint: 'Fix the policy file (see "Policy file" in the README), then run `hub policy test`.',
  })
}

/** Reads, parses and validates a policy file; every problem is a HubError('policy_invalid'). */
export async function readPolicyFile(file: string): Promise<CompiledPolicyFile> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error'
    throw invalid(file, `cannot read the policy file (${code})`, {cause: code})
  }

  return compilePolicyText(text, file)
}

export async function compilePolicyText(text: string, file: string): Promise<CompiledPolicyFile> {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw invalid(file, `not valid JSON: ${error instanceof Error ? error.message : String(error)}`)
  }

  if (conformsToSchema(data)) return {...compilePolicy(data, file), text}
  const {file: fileSchema} = await loadSchemas()
  const parsed = fileSchema.safeParse(data)
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((issue) => describeIssue(issue, data))
    const more = parsed.error.issues.length > 5 ? ` (and ${parsed.error.issues.length - 5} more)` : ''
    throw invalid(file, `${problems.join('; ')}${more}`, {
      issues: parsed.error.issues.map((i) => ({path: i.path.map(String), message: i.message})),
    })
  }

  return {...compilePolicy(parsed.data, file), text}
}

function ruleLabel(index: number, data: unknown): string {
  const rules = (data as null | {rules?: unknown})?.rules
  const id = Array.isArray(rules) ? (rules[index] as undefined | {id?: unknown})?.id : undefined
  return typeof id === 'string' ? `rules[${index}] ("${id}")` : `rules[${index}]`
}

function describeIssue(issue: Zod.core.$ZodIssue, data: unknown): string {
  const {path} = issue
  let where = ''
  let rest = path
  if (path[0] === 'rules' && typeof path[1] === 'number') {
    where = ruleLabel(path[1], data)
    rest = path.slice(2)
  } else if (path.length > 0) {
    where = String(path[0])
    rest = path.slice(1)
  }

  const field = rest
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '')
  let {message} = issue
  if (issue.code === 'unrecognized_keys') {
    const {keys} = issue
    message = `unknown ${keys.length === 1 ? 'key' : 'keys'} ${keys.map((k) => `"${k}"`).join(', ')}`
    if (path.length === 1 && path[0] === 'packs') message += ` (packs are ${PACK_NAMES.join(', ')})`
  }

  const location = [where, field ? `field "${field}"` : ''].filter(Boolean).join(': ')
  return location ? `${location}: ${message}` : message
}

/** `where` names the rule and its field, as `rules[0] ("id"): field "args"`. */
function compileRegex(source: string, ignoreCase: boolean, file: string, where: string): RegExp {
  try {
    return new RegExp(source, ignoreCase ? 'i' : '')
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error)
    throw invalid(file, `${where}: not a valid regular expression: ${why}`)
  }
}

/** Refuses a rule whose fields do not fit together (SPEC §4.4); `label` names it in the message. */
function checkRuleShape(r: FileRuleData, label: string, file: string): void {
  if (r.program === undefined && r.args === undefined && r.pattern === undefined) {
    throw invalid(file, `${label}: give "program" and/or "args", or "pattern"`)
  }

  if (r.pattern !== undefined && (r.program !== undefined || r.args !== undefined)) {
    throw invalid(
      file,
      `${label}: field "pattern": use either "pattern" (raw text) or "program"/"args" (each parsed command), ` +
        'not both',
    )
  }

  if (r.decision === 'allow' && r.pattern !== undefined) {
    throw invalid(
      file,
      `${label}: field "pattern": an allow rule cannot use a raw pattern, which cannot tell one command from a ` +
        'chain of them; name the "program"',
    )
  }

  if (r.network === false && r.decision === 'deny') {
    throw invalid(
      file,
      `${label}: field "network": a deny rule never runs anything; "network": false fits allow and ask rules`,
    )
  }

  if (r.decision === 'allow' && r.program === undefined) {
    throw invalid(file, `${label}: field "program": an allow rule must name the program(s) it allows`)
  }
}

export function compilePolicy(data: PolicyFileData, file: string): CompiledPolicyFile {
  const disabled: PackName[] = []
  for (const [name, on] of Object.entries(data.packs ?? {}) as [PackName, boolean | undefined][]) {
    if (on !== false) continue
    if (LOCKED_PACKS.has(name))
      throw invalid(file, `packs: field "${name}": the ${name} pack protects the hub itself and cannot be switched off`)
    disabled.push(name)
  }

  const rules: Rule[] = []
  const ids = new Set<string>()
  const source = data.rules ?? []
  for (const [index, r] of source.entries()) {
    const label = `rules[${index}] ("${r.id}")`
    if (ids.has(r.id)) throw invalid(file, `${label}: field "id": another rule already has this id`)
    ids.add(r.id)
    checkRuleShape(r, label, file)
    const examples = {match: r.examples?.match ?? [], not_match: r.examples?.not_match ?? []}
    const id = `file:${r.id}`
    const ignoreCase = r.ignore_case === true
    if (r.pattern !== undefined) {
      const pattern = compileRegex(r.pattern, ignoreCase, file, `${label}: field "pattern"`)
      rules.push(
        textRule({id, pack: 'file', decision: r.decision, reason: r.reason, pattern, examples, network: r.network}),
      )
      continue
    }

    const programs =
      r.program === undefined
        ? undefined
        : [...new Set((Array.isArray(r.program) ? r.program : [r.program]).map((p) => programName(p)))]
    const args = r.args === undefined ? undefined : compileRegex(r.args, ignoreCase, file, `${label}: field "args"`)
    rules.push(
      commandRule({
        id,
        pack: 'file',
        decision: r.decision,
        reason: r.reason,
        programs,
        examples,
        network: r.network,
        check(cmd) {
          if (cmd.bare || cmd.program === null) return false
          if (args === undefined) return true
          args.lastIndex = 0
          return args.test(cmd.argv.join(' '))
        },
      }),
    )
  }

  return {file, strict: data.strict === true, disabled, rules, source}
}
