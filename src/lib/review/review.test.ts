import {chmod, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {PassThrough} from 'node:stream'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {PendingRequest} from '../records.js'

import {HubError} from '../errors.js'
import {createStyle} from '../terminal.js'
import {decide, type Decision, sha256Hex} from './decide.js'
import {deniedView} from './denied-files.js'
import {chosenEditor, commandFromFile} from './editor.js'
import {keyAction, TerminalPrompt} from './keys.js'
import {allWhole, checkSelection, commandMatcher, selectIds} from './targets.js'

const idOf = (n: number): string => `20261201_1200${String(n).padStart(2, '0')}_${String(n).padStart(8, 'a')}`

function request(n: number, command: string, extra: Partial<PendingRequest> = {}): PendingRequest {
  return {
    actor: {role: 'agent', token: 'abcd1234'},
    client: 'http',
    command,
    cwd: '/w',
    expires_at: '2026-12-02T12:00:00.000Z',
    note: '',
    pending_id: idOf(n),
    policy: {commands: [], decision: 'ask', evaluated_at: '', matches: [], reason: 'no rule matched', rule: null},
    queued_at: '2026-12-01T12:00:00.000Z',
    timeout_s: 300,
    ts: 1_764_590_400,
    ...extra,
  }
}

describe('keyAction', () => {
  const all = ['approve', 'deny', 'edit', 'explain', 'skip', 'quit'] as const
  it('reads one key, either case, and only the allowed ones', () => {
    expect(keyAction('y', all)).toBe('approve')
    expect(keyAction('Y', all)).toBe('approve')
    expect(keyAction('n', all)).toBe('deny')
    expect(keyAction('?', all)).toBe('explain')
    expect(keyAction('s', ['approve', 'deny'])).toBeUndefined()
    expect(keyAction('q', ['approve'])).toBeUndefined()
  })
  it('never reads a pasted word or an escape sequence as its first letter', () => {
    for (const chunk of ['yes', 'y y', '\u001B[A', '\u001By', 'ny'])
      expect(keyAction(chunk, all), chunk).toBeUndefined()
  })
  it('always knows Ctrl-C and Ctrl-D', () => {
    expect(keyAction('\u0003', [])).toBe('interrupt')
    expect(keyAction('\u0004', [])).toBe('end')
  })
})

describe('targets', () => {
  const waiting = [request(3, 'curl -s https://x/3'), request(2, 'echo two', {client: 'mcp'}), request(1, 'curl b')]
  it('--all keeps the order asked (oldest first) and narrows by agent and match', () => {
    expect(selectIds({all: true, ids: []}, waiting)).toEqual([idOf(1), idOf(2), idOf(3)])
    expect(selectIds({all: true, ids: [], agent: 'mcp'}, waiting)).toEqual([idOf(2)])
    expect(selectIds({all: true, ids: [], agent: 'abcd1234'}, waiting)).toHaveLength(3)
    expect(selectIds({all: true, ids: [], match: 'curl'}, waiting)).toEqual([idOf(1), idOf(3)])
    expect(selectIds({all: true, ids: [], match: '/^curl -s/'}, waiting)).toEqual([idOf(3)])
    expect(selectIds({all: true, ids: [], match: '/^CURL B$/i'}, waiting)).toEqual([idOf(1)])
  })
  it('a regex with the global flag matches every time (no state between commands)', () => {
    const m = commandMatcher('/curl/g')
    expect([m('curl a'), m('curl b'), m('curl c')]).toEqual([true, true, true])
  })
  it('/text without a closing slash is a substring; a broken regex is a usage error', () => {
    expect(commandMatcher('/tmp')('ls /tmp/x')).toBe(true)
    expect(() => commandMatcher('/(/')).toThrow(HubError)
  })
  it('resolves abbreviations and refuses ambiguous ones with the candidates', () => {
    expect(selectIds({all: false, ids: ['aaaaaaa2']}, waiting)).toEqual([idOf(2)])
    expect(selectIds({all: false, ids: [idOf(1), 'aaaaaaa1']}, waiting)).toEqual([idOf(1)])
    try {
      selectIds({all: false, ids: ['20261201']}, waiting)
      expect.unreachable()
    } catch (error) {
      expect((error as HubError).code).toBe('usage')
      expect((error as HubError).details?.candidates).toHaveLength(3)
    }
  })
  it('checks the words and flags go together', () => {
    expect(() => checkSelection({all: false, ids: []}, 'approve')).toThrow(/Which request/)
    expect(() => checkSelection({all: true, ids: ['x']}, 'approve')).toThrow(/not both/)
    expect(() => checkSelection({all: false, ids: ['x'], agent: 'mcp'}, 'deny')).toThrow(/add --all/)
    expect(allWhole([idOf(1), ` ${idOf(2)} `])).toBe(true)
    expect(allWhole([idOf(1), 'aaaa'])).toBe(false)
  })
})

describe('editor', () => {
  it('picks $VISUAL, then $EDITOR, ignoring empty ones', () => {
    expect(chosenEditor({VISUAL: 'code --wait', EDITOR: 'vi'})).toBe('code --wait')
    expect(chosenEditor({VISUAL: ' ', EDITOR: 'vi'})).toBe('vi')
    expect(chosenEditor({})).toBeUndefined()
  })
  it('drops the one line break editors add; an empty file means never mind', () => {
    expect(commandFromFile('ls\n')).toBe('ls')
    expect(commandFromFile('ls\r\n')).toBe('ls')
    expect(commandFromFile('a\nb\n')).toBe('a\nb')
    expect(commandFromFile('ls\n\n')).toBe('ls\n')
    expect(commandFromFile(' \n')).toBeUndefined()
  })
})

describe('deniedView', () => {
  it('shows a seed file with what it has, and refuses what is not a request', () => {
    const v = deniedView(
      {command: 'ls', pending_id: idOf(1), ts: 1_736_951_482, denied_at: '2025-01-15T15:31:22', note: 'n'},
      idOf(1),
    )
    expect(v).toMatchObject({by: 'operator', command: 'ls', cwd: '', denied_at: '2025-01-15T15:31:22.000Z'})
    for (const raw of [null, [], 'x', {command: 3}]) expect(deniedView(raw, idOf(1))).toBeUndefined()
  })
  it('keeps the rule and the decision that sent it to the operator', () => {
    const v = deniedView({command: 'curl x', by: 'operator', policy: {decision: 'ask', rule: 'remote.fetch'}}, idOf(1))
    expect(v?.policy).toMatchObject({decision: 'ask', rule: 'remote.fetch'})
    expect(deniedView({command: 'x', policy: {rule: 5}}, idOf(1))?.policy).toBeUndefined()
  })
})

/** A terminal made of streams: keys are written to `input`, the screen read from `output`. */
function fakeTerminal(): {
  input: PassThrough & {isTTY: boolean; setRawMode(on: boolean): void}
  output: PassThrough
  screen(): string
} {
  const input = Object.assign(new PassThrough(), {isTTY: true, setRawMode() {}})
  const output = new PassThrough()
  let screen = ''
  output.on('data', (c: Buffer) => {
    screen += c.toString()
  })
  return {input, output, screen: () => screen}
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met')
    await new Promise((resolve) => {
      setImmediate(resolve)
    })
  }
}

describe('decide', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hub-decide-'))
  })
  afterAll(async () => {
    await rm(dir, {force: true, recursive: true})
  })

  const view = {style: createStyle(false), width: 100, zone: 'utc' as const}

  it('binds the approval to the hash of the command shown, also when the operator edited it', async () => {
    const editor = join(dir, 'ed.sh')
    await writeFile(editor, '#!/bin/sh\nprintf "%s\\n" "echo safer" > "$1"\n')
    await chmod(editor, 0o755)
    const t = fakeTerminal()
    const acts: Decision[] = []
    const req = request(1, 'echo risky')
    const done = decide(req, {
      async act(d) {
        acts.push(d)
      },
      env: {...process.env, EDITOR: editor, VISUAL: ''},
      out: t.output,
      prompt: new TerminalPrompt(t.input as unknown as NodeJS.ReadStream, t.output as unknown as NodeJS.WriteStream),
      review: false,
      view,
    })
    await until(() => t.screen().includes('Approve?'))
    t.input.write('e')
    await until(() => t.screen().includes('Approve the edited command?'))
    expect(t.screen()).toContain('edited:  echo safer')
    t.input.write('y')
    expect(await done).toBe('approved')
    expect(acts).toEqual([{kind: 'approve', command: 'echo safer', command_sha256: sha256Hex('echo risky')}])
  })

  it('asks again after an edit the policy refuses; s and q exist only in a review', async () => {
    const t = fakeTerminal()
    let calls = 0
    const done = decide(request(2, 'ls'), {
      async act() {
        calls++
        if (calls === 1) throw new HubError('policy_denied', 'The edited command is refused by the policy: no')
      },
      out: t.output,
      prompt: new TerminalPrompt(t.input as unknown as NodeJS.ReadStream, t.output as unknown as NodeJS.WriteStream),
      review: true,
      view,
    })
    await until(() => t.screen().includes('s skip · q quit'))
    t.input.write('y')
    await until(() => t.screen().includes('A deny stays a deny'))
    t.input.write('s')
    expect(await done).toBe('skipped')
    expect(calls).toBe(1)
  })
})
