/**
 * The subcommand words of tools that take options before them (issue 12): `aws --region x ec2
 * terminate-instances`, `kubectl -n prod delete pvc --all`, `docker --context x system prune`.
 * Filtering out words that start with `-` is not enough, because the value of an option that takes
 * one (`--region us-east-1`, `-n prod`) is a word of its own and would be read as the subcommand.
 * One table per tool lists the options that take a separate value, global ones and the common ones
 * of its subcommands, so that every verb after them is found wherever the options are written.
 */

import type {Cmd} from './command.js'

/** Options that take a separate value (`--name value`, `-n value`); `--name=value` needs no entry. */
const VALUE_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  aws: [
    '--region',
    '--profile',
    '--output',
    '--endpoint-url',
    '--query',
    '--color',
    '--ca-bundle',
    '--cli-read-timeout',
    '--cli-connect-timeout',
    '--cli-binary-format',
  ],
  gcloud: [
    '--project',
    '--account',
    '--configuration',
    '--format',
    '--verbosity',
    '--zone',
    '--region',
    '--impersonate-service-account',
    '--billing-project',
    '--filter',
    '--flatten',
    '--limit',
    '--sort-by',
  ],
  az: ['--subscription', '-o', '--output', '--query', '-g', '--resource-group'],
  kubectl: [
    '-n',
    '--namespace',
    '--context',
    '--kubeconfig',
    '--cluster',
    '--user',
    '-s',
    '--server',
    '--token',
    '--as',
    '--as-group',
    '--request-timeout',
    '-l',
    '--selector',
    '-o',
    '--output',
    '-f',
    '--filename',
    '--field-selector',
    '-c',
    '--container',
    '-L',
    '--label-columns',
    '--sort-by',
    '--template',
  ],
  helm: ['-n', '--namespace', '--kube-context', '--kubeconfig', '--repo', '--version', '-f', '--values', '--set'],
  docker: ['-H', '--host', '-c', '--context', '--config', '-l', '--log-level', '--tlscacert', '--tlscert', '--tlskey'],
  compose: ['-f', '--file', '-p', '--project-name', '--env-file', '--profile', '--project-directory'],
  pulumi: ['-C', '--cwd', '-s', '--stack'],
  systemctl: ['-H', '--host', '-M', '--machine', '-t', '--type', '-p', '--property', '-s', '--signal'],
  npm: ['--prefix', '-w', '--workspace', '--registry', '--userconfig', '--cache'],
  pip: ['-i', '--index-url', '--extra-index-url', '-r', '--requirement', '-c', '--constraint', '--trusted-host'],
  gh: ['-R', '--repo'],
}

const ALIASES: Readonly<Record<string, string>> = {
  oc: 'kubectl',
  k: 'kubectl',
  podman: 'docker',
  nerdctl: 'docker',
  'docker-compose': 'compose',
  pip3: 'pip',
  pnpm: 'npm',
  yarn: 'npm',
}

/**
 * The words of a command that are neither options nor option values, in order: its subcommand
 * path first (`['ec2', 'terminate-instances']`), then its operands.
 */
export function verbsOf(cmd: Cmd): string[] {
  return operandsOf(cmd.name, cmd.argv)
}

export function operandsOf(name: string, argv: readonly string[]): string[] {
  const table = VALUE_OPTIONS[ALIASES[name] ?? name]
  const docker = name === 'docker' || ALIASES[name] === 'docker'
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '--') {
      out.push(...argv.slice(i + 1))
      break
    }

    if (a.length < 2 || !a.startsWith('-')) {
      out.push(a)
      continue
    }

    // `docker compose -f x down`: the compose plugin's own options once `compose` is seen.
    const active = docker && out.at(-1) === 'compose' ? VALUE_OPTIONS.compose : table
    if (active === undefined || a.includes('=')) continue
    // `-nprod` carries its value; `-n prod` takes the next word.
    if (active.includes(a)) i++
  }

  return out
}

/** Whether any option among `names` is present, as `--name`, `--name=value` or a bundled short flag. */
export function hasOption(argv: readonly string[], names: readonly string[]): boolean {
  return argv.some((a) => names.some((n) => a === n || a.startsWith(`${n}=`)))
}

/** Every value of the options in `names` (`--name value`, `--name=value`, `-nvalue`); optionValue gives the first. */
export function argvValues(argv: readonly string[], names: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    for (const n of names) {
      if (a === n && argv[i + 1] !== undefined) out.push(argv[i + 1] as string)
      else if (a.startsWith(`${n}=`)) out.push(a.slice(n.length + 1))
      else if (n.length === 2 && a.length > 2 && !a.startsWith('--') && a.startsWith(n)) out.push(a.slice(2))
    }
  }

  return out
}

/** The value of the first of `names` (`--name value`, `--name=value`, `-nvalue` for one-letter names). */
export function optionValue(argv: readonly string[], names: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    for (const n of names) {
      if (a === n) return argv[i + 1]
      if (a.startsWith(`${n}=`)) return a.slice(n.length + 1)
      if (n.length === 2 && !n.startsWith('--') && a.startsWith(n) && a.length > 2 && !a.startsWith('--'))
        return a.slice(2)
    }
  }

  return undefined
}
