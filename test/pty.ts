/**
 * The CLI in a real pseudo-terminal, for the interactive commands (`hub approve`, `hub review`):
 * util-linux `script` gives the child a pty whose size is set with `stty`, so stdin and stdout are
 * terminals, raw mode works and Ctrl-C is a real SIGINT from the line discipline. Tests wait for text
 * on the screen (conditions with generous deadlines, never fixed sleeps) and then send keys.
 */
import {type ChildProcess, spawn} from 'node:child_process'

import {BIN, childEnv} from './helpers.js'

export interface PtySession {
  child: ChildProcess
  /** Resolves with the CLI's exit code once it ends. */
  exited: Promise<number>
  /** Kills the session if it is still running (test clean-up). */
  kill(): void
  /** Sends keys to the terminal (`\r` is Enter, `\u0003` Ctrl-C). */
  send(keys: string): void
  /** Everything the terminal showed so far, with the CR of the pty's CRLF removed. */
  text(): string
  /** Waits until the screen (after `from` characters) matches; returns where the match ends. */
  waitFor(pattern: RegExp | string, opts?: {from?: number; timeoutMs?: number}): Promise<number>
}

/** Single-quotes a word for /bin/sh. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", String.raw`'\''`)}'`
}

export function spawnPty(
  args: string[],
  opts: {columns?: number; cwd: string; env?: Record<string, string>; root: string},
): PtySession {
  const cli = [process.execPath, BIN, ...args].map((w) => shellQuote(w)).join(' ')
  const size = `stty cols ${opts.columns ?? 100} rows 50`
  // -e: exit with the CLI's own exit code; -f: flush at once; -q: no "Script started" banner.
  const child = spawn('script', ['-qfec', `${size}; exec ${cli}`, '/dev/null'], {
    cwd: opts.cwd,
    env: {...childEnv(opts.root, opts.env), TERM: 'xterm'},
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let screen = ''
  const onData = (c: Buffer): void => {
    screen += c.toString('utf8').replaceAll('\r\n', '\n')
  }

  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)
  let closed = false
  const exited = new Promise<number>((resolve) => {
    child.on('close', (code, signal) => {
      closed = true
      resolve(code ?? (signal ? 128 : -1))
    })
  })
  return {
    child,
    exited,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    },
    send(keys) {
      child.stdin!.write(keys)
    },
    text: () => screen,
    async waitFor(pattern, o = {}) {
      const from = o.from ?? 0
      const deadline = Date.now() + (o.timeoutMs ?? 60_000)
      for (;;) {
        const rest = screen.slice(from)
        if (typeof pattern === 'string') {
          const at = rest.indexOf(pattern)
          if (at !== -1) return from + at + pattern.length
        } else {
          const m = pattern.exec(rest)
          if (m) return from + m.index + m[0].length
        }

        // `closed`, not the exit: output still in the pipe after the exit is read before giving up.
        if (closed || Date.now() > deadline)
          throw new Error(
            `gave up waiting for ${String(pattern)} (${closed ? `exited ${child.exitCode}` : 'timed out'}); ` +
              `the screen:\n${screen}`,
          )
        await new Promise((resolve) => {
          setTimeout(resolve, 25)
        })
      }
    },
  }
}
