/**
 * Credentials pack: secrets read out of running things. Another process's memory (attaching a
 * tracer or debugger, dumping its core, reading `/proc/<pid>/mem`), the values a Helm release was
 * installed with, and a container's environment through `docker inspect`.
 */

import type {Cmd} from '../../command.js'

import {commandRule, type RuleEnv} from '../../rules.js'
import {optionValue, verbsOf} from '../../subcommands.js'

/** `/proc/1/mem`, `/proc/$PID/environ`, `/proc/self/environ`: memory or environment of a process. */
const PROC_SECRET = /^\/proc\/[^/]+\/(?:mem|environ)$/
/** A debugger command that attaches or dumps (`-ex 'attach 1'`, `-ex 'dump memory …'`, `-ex gcore`). */
const GDB_ATTACH = /^\s*(?:attach|at|gcore|generate-core-file|dump\s+(?:memory|binary))\b/

function tracerAttaches(argv: readonly string[]): null | string {
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i] as string
    if (v === '--') break
    if (v === '-p' || v === '--attach' || v === '--pid' || v === '--attach-pid' || v === '--attach-name')
      return argv[i + 1] ?? ''
    const joined = /^(?:-p|--attach=|--pid=|--attach-pid=|--attach-name=)(.+)$/.exec(v)
    if (joined) return joined[1] as string
    // Bundled short flags ending in p (`-fp 1234`).
    if (/^-[A-Za-z]*p$/.test(v) && !v.startsWith('--')) return argv[i + 1] ?? ''
  }

  return null
}

function gdbAttaches(cmd: Cmd): null | string {
  const a = cmd.argv
  const pid = tracerAttaches(a.map((v) => (v === '-pid' || (cmd.name === 'lldb' && v === '-n') ? '-p' : v)))
  if (pid !== null) return `${cmd.name} attaches to process ${pid}`
  for (let i = 0; i < a.length; i++) {
    const v = a[i] as string
    const ex = /^--?(?:ex|eval-command)$/.test(v) ? a[i + 1] : /^--?(?:ex|eval-command)=(.+)$/.exec(v)?.[1]
    if (ex !== undefined && GDB_ATTACH.test(ex)) return `gdb ${ex.trim()}`
  }

  // `gdb program 1234`: a number after the program is a process to attach to.
  const operands = a.filter((v) => !v.startsWith('-'))
  return operands.length >= 2 && /^\d+$/.test(operands[1] as string)
    ? `${cmd.name} attaches to process ${operands[1]}`
    : null
}

/** Programs that name a path without reading what is in it. */
const ONLY_NAMES = new Set(['ls', 'stat', 'echo', 'printf', 'test', '[', 'file', 'readlink', 'realpath', 'dirname'])

function procPaths(cmd: Cmd): string | undefined {
  if (ONLY_NAMES.has(cmd.name)) return undefined
  const values = [
    ...cmd.argv.map((v) => v.replace(/^(?:if|of)=/, '')),
    ...cmd.raw.redirects.map((r) => r.target?.value ?? ''),
  ]
  return values.find((v) => v.startsWith('/proc/') && PROC_SECRET.test(v))
}

export const processMemory = commandRule({
  id: 'credentials.process-memory',
  pack: 'credentials',
  decision: 'deny',
  reason: "reads another process's memory (tracer, debugger, core dump or /proc/<pid>/mem), with its secrets",
  examples: {
    match: [
      'strace -p 1',
      'strace -f -p 1234 -e trace=read',
      'strace --attach=1234',
      'ltrace -p 4321',
      'lldb --attach-pid 1234',
      'lldb -n sshd',
      'dtruss -p 812',
      'gdb -p 1234',
      'gdb --pid=1234 -batch -ex "dump memory /tmp/m 0x0 0x1000"',
      'gdb /usr/sbin/sshd 812',
      'gdb -batch -ex "attach 1"',
      'gcore 1234',
      'gcore -o /tmp/dump 812',
      'cat /proc/1234/mem',
      'dd if=/proc/1/mem of=dump bs=1 skip=4096',
      'strings /proc/812/environ',
      'cat /proc/self/environ',
    ],
    not_match: [
      'strace ls',
      'strace -f -o trace.txt ./app',
      'ltrace ./a.out',
      'gdb ./a.out',
      'gdb -batch -ex run --args ./app x',
      'cat /proc/cpuinfo',
      'cat /proc/1234/status',
      'ls /proc/1234/fd',
      'ls -l /proc/1/environ',
      'echo /proc/1/mem',
    ],
  },
  check(cmd) {
    switch (cmd.name) {
      case 'strace':
      case 'ltrace':
      case 'dtruss':
      case 'dtrace': {
        const pid = tracerAttaches(cmd.argv)
        if (pid !== null) return `${cmd.name} attaches to process ${pid}: reads its memory and secrets`
        break
      }

      case 'gdb':
      case 'lldb': {
        const hit = gdbAttaches(cmd)
        if (hit !== null) return `${hit}: reads its memory and secrets`
        break
      }

      case 'gcore':
      case 'procdump': {
        return `${cmd.name}: dumps a running process's memory, secrets included`
      }

      default: {
        break
      }
    }

    const path = procPaths(cmd)
    return path === undefined ? null : `reads ${path}: another process's memory or environment`
  },
})

const DOCKERS = new Set(['docker', 'podman', 'nerdctl'])
/** Text that pulls the environment (or secret-looking fields) out of `docker inspect` output. */
const ENV_FIELD = /(?:^|[.\s"'{[])Env\b|passw|secret|token|api_?key|credential/i

function inspectEnv(cmd: Cmd, env: RuleEnv): null | string {
  const verbs = verbsOf(cmd)
  const at = verbs[0] === 'container' ? 1 : 0
  if (verbs[at] !== 'inspect') return null
  const format = optionValue(cmd.argv, ['-f', '--format'])
  if (format !== undefined && ENV_FIELD.test(format))
    return `${cmd.name} inspect --format ${format}: prints the container's environment and its secrets`
  const consumers = env.commands().filter((c) => env.producers(c).includes(cmd))
  const filter = consumers.find((c) => c.argv.some((v) => ENV_FIELD.test(v)))
  return filter === undefined
    ? null
    : `${cmd.name} inspect | ${filter.name}: pulls the container's environment and its secrets out`
}

export const runtimeSecrets = commandRule({
  id: 'credentials.release-and-container-secrets',
  pack: 'credentials',
  decision: 'deny',
  reason: "prints the values a Helm release was installed with, or a container's environment, secrets included",
  programs: ['helm', 'docker', 'podman', 'nerdctl'],
  examples: {
    match: [
      'helm get values api',
      'helm get values api -n prod --all',
      'helm -n prod get all api',
      'helm get values api -o json',
      "docker inspect --format '{{.Config.Env}}' web",
      "docker inspect -f '{{json .Config.Env}}' web",
      "docker container inspect --format='{{range .Config.Env}}{{println .}}{{end}}' db",
      "docker inspect web | jq '.[0].Config.Env'",
      'docker inspect db | grep -i password',
      "podman inspect -f '{{.Config.Env}}' web",
    ],
    not_match: [
      'helm list',
      'helm status api',
      'helm history api',
      'helm get notes api',
      'docker inspect web',
      "docker inspect -f '{{.State.Status}}' web",
      "docker inspect web | jq '.[0].NetworkSettings.IPAddress'",
      'docker image inspect node:20',
    ],
  },
  check(cmd, env) {
    if (cmd.name === 'helm') {
      const verbs = verbsOf(cmd)
      return verbs[0] === 'get' && (verbs[1] === 'values' || verbs[1] === 'all')
        ? `helm get ${verbs[1]}: prints the release's values, secrets included`
        : null
    }

    return DOCKERS.has(cmd.name) ? inspectEnv(cmd, env) : null
  },
})
