/**
 * The operator's keyboard during `hub approve` and `hub review` (issue 13): one key answers a question
 * (no Enter), a line is read with the terminal's own editing. What a key means is a pure mapping
 * (`keyAction`), so it is tested without a terminal; `TerminalPrompt` only moves bytes.
 */
import {createInterface} from 'node:readline'

/** What a key asks for. `interrupt` is Ctrl-C; `end` is Ctrl-D (no more input). */
export type KeyAction = 'approve' | 'deny' | 'edit' | 'end' | 'explain' | 'interrupt' | 'quit' | 'skip'

const KEYS: Record<string, KeyAction> = {
  y: 'approve',
  n: 'deny',
  e: 'edit',
  '?': 'explain',
  s: 'skip',
  q: 'quit',
  '\u0003': 'interrupt',
  '\u0004': 'end',
}

/**
 * The action of what one read returned, if it is one of `allowed` (Ctrl-C and Ctrl-D always are).
 * Only a single key counts: a pasted word or an escape sequence (arrow keys) is never read as its first
 * letter, so pasting `yes please` does not approve anything.
 */
export function keyAction(chunk: string, allowed: readonly KeyAction[]): KeyAction | undefined {
  const key = chunk.replace(/\r?\n$/, '')
  if (key === '\u0003') return 'interrupt'
  if (key === '\u0004') return 'end'
  if ([...key].length !== 1) return undefined
  const action = KEYS[key.toLowerCase()]
  return action && allowed.includes(action) ? action : undefined
}

/** Interactive input on a terminal: single keys in raw mode, lines through readline. */
export class TerminalPrompt {
  constructor(
    private readonly input: NodeJS.ReadStream,
    private readonly output: NodeJS.WriteStream,
  ) {}

  /** Whether both ends are a terminal: only then does hub ask instead of acting. */
  static available(input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stdout): boolean {
    return input.isTTY === true && output.isTTY === true
  }

  /** Asks until one of `allowed` is pressed; the key is echoed so the transcript shows the answer. */
  async key(question: string, allowed: readonly KeyAction[], help: string): Promise<KeyAction> {
    this.output.write(question)
    for (;;) {
      const chunk = await this.readRaw()
      const action = keyAction(chunk, allowed)
      if (action) {
        const shown = action === 'interrupt' ? '^C' : action === 'end' ? '^D' : chunk.trim()
        this.output.write(`${shown}\n`)
        return action
      }

      this.output.write(`\n${help}\n${question}`)
    }
  }

  /**
   * Reads one line with the terminal's editing, `initial` already typed in. Undefined when the
   * operator gives up (Ctrl-C or Ctrl-D): a cancelled reason must not become an empty one.
   */
  async line(question: string, initial = ''): Promise<string | undefined> {
    const rl = createInterface({input: this.input, output: this.output, terminal: true, historySize: 0})
    try {
      return await new Promise<string | undefined>((resolve) => {
        let answered = false
        rl.on('SIGINT', () => {
          answered = true
          this.output.write('^C\n')
          resolve(undefined)
        })
        rl.on('close', () => {
          if (!answered) resolve(undefined)
        })
        rl.question(question, (answer) => {
          answered = true
          resolve(answer)
        })
        if (initial) rl.write(initial)
      })
    } finally {
      rl.close()
      this.input.pause()
    }
  }

  /** One read in raw mode: one key, or what was pasted at once. */
  private readRaw(): Promise<string> {
    const {input} = this
    return new Promise((resolve) => {
      const done = (chunk: Buffer | string): void => {
        input.off('data', done)
        input.off('end', ended)
        input.setRawMode(false)
        input.pause()
        resolve(chunk.toString())
      }

      const ended = (): void => done('\u0004')
      input.setRawMode(true)
      input.on('data', done)
      input.once('end', ended)
      input.resume()
    })
  }
}
