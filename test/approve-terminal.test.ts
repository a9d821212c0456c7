/**
 * `hub approve` and `hub review` at a real terminal (issue 13): the CLI runs in a pseudo-terminal
 * against a real daemon, the test reads the screen and presses keys.
 */
import {access, chmod, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {type DaemonProcess, hub, readLines, removeRoot, startDaemonProcess, tempRoot, waitFor} from './helpers.js'
import {type PtySession, spawnPty} from './pty.js'

let root: string
let workspace: string
let daemon: DaemonProcess
const sessions: PtySession[] = []

beforeAll(async () => {
  root = await tempRoot('hub-approve-tty-')
  workspace = join(root, 'workspace')
  daemon = await startDaemonProcess(root)
})
afterEach(() => {
  for (const s of sessions.splice(0)) s.kill()
})
afterAll(async () => {
  await daemon?.stop()
  await removeRoot(root)
})

async function plan(command: string, note = 'from the test'): Promise<string> {
  const r = await hub(['plan', command, '--note', note, '--json'], {root})
  expect(r.code, r.stderr).toBe(0)
  return (JSON.parse(r.stdout) as {pending_id: string}).pending_id
}

function pty(args: string[], env: Record<string, string> = {}, columns = 100): PtySession {
  const s = spawnPty(args, {cwd: root, root, env, columns})
  sessions.push(s)
  return s
}

async function waiting(): Promise<string[]> {
  const r = await hub(['pending', '--json', '--limit', '10000'], {root})
  return (JSON.parse(r.stdout) as Array<{pending_id: string}>).map((p) => p.pending_id)
}

async function auditLines(id: string): Promise<Array<Record<string, unknown>>> {
  return (await readLines(join(root, 'runtime', 'audit.log'))).filter((l) => l.pending_id === id)
}

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  )

describe('hub approve <id> on a terminal', () => {
  it(
    String.raw`shows the request whole (a newline as ⏎, a typed \n as itself); y runs it, prints exit code, duration`,
    async () => {
      const id = await plan('echo first\necho second', 'two lines, really')
      const typed = await plan(String.raw`echo 'a\nb'`)
      const s = pty(['approve', id])
      await s.waitFor('Approve?')
      const screen = s.text()
      expect(screen).toContain(id)
      expect(screen).toMatch(/command: echo first⏎\n {11}echo second\n/)
      expect(screen).toContain(`cwd:     ${workspace}`)
      expect(screen).toMatch(/from agent [\da-f]{8} \(http\)/)
      expect(screen).toContain('note:    two lines, really')
      expect(screen).toContain('policy:  ask')
      s.send('y')
      await s.waitFor(/exit 0 {2}\d+(\.\d)? m?s\n/)
      expect(await s.exited).toBe(0)
      expect(s.text()).toContain('first\nsecond\n')

      const other = pty(['approve', typed])
      await other.waitFor('Approve?')
      expect(other.text()).toContain(String.raw`command: echo 'a\nb'` + '\n')
      expect(other.text()).not.toContain('⏎')
      other.send('\u0003')
      await other.waitFor(`Nothing decided; ${typed} is still waiting.`)
      expect(await other.exited).toBe(130)
      expect(await waiting()).toContain(typed)
      expect((await hub(['deny', typed], {root})).code).toBe(0)
    },
  )

  it('? lists every command the policy found; a key that means nothing says which keys do', async () => {
    const id = await plan('echo one | tr o 0 && echo two')
    const s = pty(['approve', id])
    await s.waitFor('Approve?')
    expect(s.text()).toContain('3 commands inside')
    s.send('x')
    const at = await s.waitFor('Press one key: y approve · n deny · e edit · ? explain')
    s.send('?')
    await s.waitFor('· echo two', {from: at})
    expect(s.text().slice(at)).toContain('· tr o 0')
    s.send('n')
    await s.waitFor('Reason')
    s.send('\r')
    await s.waitFor(`denied ${id}`)
    expect(await s.exited).toBe(0)
  })

  it('shows the output while the command runs, before it ends', async () => {
    // The output differs from the command's text (A-2, B-4), so the screen shows which was printed.
    const id = await plan('echo A-$((1+1)); while [ ! -e go-stream ]; do sleep 0.05; done; echo B-$((2+2))')
    const s = pty(['approve', id])
    await s.waitFor('Approve?')
    s.send('y')
    const at = await s.waitFor('A-2\n')
    expect(s.text()).not.toContain('B-4')
    await writeFile(join(workspace, 'go-stream'), '')
    await s.waitFor('B-4\n', {from: at})
    await s.waitFor(/exit 0 {2}\d/)
    expect(await s.exited).toBe(0)
  })

  it('Ctrl-C while it runs: says the run goes on and how to follow it, exits 130, and the run finishes', async () => {
    const id = await plan('echo started; while [ ! -e go-interrupt ]; do sleep 0.05; done; echo finished')
    const s = pty(['approve', id])
    await s.waitFor('Approve?')
    s.send('y')
    await s.waitFor('started\n')
    s.send('\u0003')
    await s.waitFor('or `hub tail`')
    expect(await s.exited).toBe(130)
    const runId = /run (\d{8}_\d{6}_[\da-f]{8}) goes on in the daemon/.exec(s.text())?.[1]
    expect(runId).toBeDefined()
    expect(s.text()).toContain(`hub runs show ${runId}`)
    await writeFile(join(workspace, 'go-interrupt'), '')
    const record = await waitFor(async () => {
      const r = await hub(['runs', 'show', runId!, '--json'], {root})
      return r.code === 0 ? (JSON.parse(r.stdout) as {exit_code: number; stdout: string}) : undefined
    }, 'the run to finish after Ctrl-C')
    expect(record).toMatchObject({exit_code: 0, stdout: 'started\nfinished\n'})
  })

  it('n asks for an optional reason, kept in the denied file', async () => {
    const id = await plan('echo deny-me')
    const s = pty(['approve', id])
    await s.waitFor('Approve?')
    s.send('n')
    await s.waitFor('Reason (optional')
    s.send('not today\r')
    await s.waitFor(`denied ${id}: not today`)
    expect(await s.exited).toBe(0)
    const file = JSON.parse(await readFile(join(root, 'runtime', 'denied', `${id}.json`), 'utf8')) as object
    expect(file).toMatchObject({by: 'operator', reason: 'not today', command: 'echo deny-me'})
  })

  it('e opens $EDITOR; the daemon checks the edit again (a deny stays a deny); the edited command runs', async () => {
    // An "editor" that turns the request into rm -rf / the first time, and into a harmless command after.
    const editor = join(root, 'editor.sh')
    await writeFile(
      editor,
      '#!/bin/sh\nif grep -q original "$1"; then printf "%s\\n" "rm -rf /" > "$1"; ' +
        'else printf "%s\\n" "echo edited-ok" > "$1"; fi\n',
    )
    await chmod(editor, 0o755)
    const id = await plan('echo original')
    const s = pty(['approve', id], {EDITOR: editor, VISUAL: ''})
    await s.waitFor('Approve?')
    s.send('e')
    let at = await s.waitFor('Approve the edited command?')
    expect(s.text()).toMatch(/edited: {2}rm -rf \/\n {2}was: {5}echo original\n/)
    s.send('y')
    at = await s.waitFor('A deny stays a deny', {from: at})
    expect(s.text()).toContain('Refused: The edited command is refused by the policy')
    expect(await waiting()).toContain(id)
    s.send('e')
    at = await s.waitFor('edited:  echo edited-ok', {from: at})
    s.send('y')
    await s.waitFor(/edited-ok\n.*exit 0/s, {from: at})
    expect(await s.exited).toBe(0)
    const lines = await auditLines(id)
    expect(lines.find((l) => l.event === 'approval_refused')).toMatchObject({command: 'rm -rf /'})
    expect(lines.find((l) => l.event === 'command_edited')).toMatchObject({
      original: 'echo original',
      command: 'echo edited-ok',
    })
  })

  it('e without an editor edits on one line, the command already typed', async () => {
    const id = await plan('echo line')
    const s = pty(['approve', id], {EDITOR: '', VISUAL: ''})
    await s.waitFor('Approve?')
    s.send('e')
    await s.waitFor('Command: ')
    s.send(' more\r')
    await s.waitFor('edited:  echo line more')
    s.send('y')
    await s.waitFor(/line more\n.*exit 0/s)
    expect(await s.exited).toBe(0)
  })

  it('a request decided elsewhere while the prompt waits is not approved', async () => {
    const id = await plan('echo decided-elsewhere')
    const s = pty(['approve', id])
    await s.waitFor('Approve?')
    expect((await hub(['deny', id, '--reason', 'the other operator'], {root})).code).toBe(0)
    s.send('y')
    await s.waitFor('Error:')
    expect([4, 5]).toContain(await s.exited)
    expect((await auditLines(id)).map((l) => l.event)).not.toContain('command_approved')
  })

  it('--all lists what it will approve and asks once', async () => {
    const a = await plan('echo bulk-a')
    const b = await plan('echo bulk-b')
    const other = await plan('echo not-this-one')
    const s = pty(['approve', '--all', '--match', 'bulk-'])
    await s.waitFor('Approve these 2 requests?')
    const screen = s.text()
    expect(screen.indexOf(a)).toBeLessThan(screen.indexOf(b))
    expect(screen).toContain('echo bulk-a')
    expect(screen).not.toContain('not-this-one')
    s.send('y')
    await s.waitFor('2 approved.')
    expect(await s.exited).toBe(0)
    expect(s.text().match(/exit 0/g)).toHaveLength(2)
    expect(await waiting()).toEqual([other])
    expect((await hub(['deny', other], {root})).code).toBe(0)
  })
})

describe('hub deny on a terminal', () => {
  it('several ids are listed and confirmed once; n denies nothing', async () => {
    const a = await plan('echo keep-a')
    const b = await plan('echo keep-b')
    const s = pty(['deny', a.slice(-8), b.slice(-8)])
    await s.waitFor('Deny these 2 requests? [y yes · n no]')
    expect(s.text()).toContain('echo keep-a')
    expect(s.text()).toContain('echo keep-b')
    s.send('n')
    await s.waitFor('Nothing denied.')
    expect(await s.exited).toBe(0)
    expect((await waiting()).sort()).toEqual([a, b].sort())
    expect((await hub(['deny', a, b], {root})).code).toBe(0)
  })
})

describe('hub review', () => {
  it('walks the queue oldest first (y, n, s), takes what arrives meanwhile, and ends with the counts', async () => {
    expect(await waiting()).toEqual([])
    const r1 = await plan('echo review-1')
    const r2 = await plan('echo review-2')
    const r3 = await plan('echo review-3')
    const s = pty(['review'])
    let at = await s.waitFor('[1/3]')
    at = await s.waitFor('Approve? [y approve · n deny · e edit · ? explain · s skip · q quit]', {from: at})
    expect(s.text()).toContain(r1)
    s.send('y')
    at = await s.waitFor(`approved ${r1} → run`, {from: at})
    at = await s.waitFor('[2/3]', {from: at})
    at = await s.waitFor('Approve?', {from: at})
    expect(s.text().slice(at - 400)).toContain('echo review-2')
    s.send('n')
    at = await s.waitFor('Reason', {from: at})
    s.send('\r')
    at = await s.waitFor(`denied ${r2}`, {from: at})
    at = await s.waitFor('[3/3]', {from: at})
    at = await s.waitFor('Approve?', {from: at})
    const r4 = await plan('echo review-4-arrived-meanwhile')
    s.send('s')
    at = await s.waitFor('[1/1]', {from: at})
    await s.waitFor('Approve?', {from: at})
    expect(s.text().slice(at)).toContain(r4)
    s.send('q')
    await s.waitFor('1 approved, 1 denied, 1 skipped; 2 waiting.')
    expect(await s.exited).toBe(0)
    expect((await waiting()).sort()).toEqual([r3, r4].sort())
    const ran = await waitFor(async () => {
      const r = await hub(['runs', '--json', '--last', '50'], {root})
      return (JSON.parse(r.stdout) as Array<{pending_id: string; stdout: string}>).find((x) => x.pending_id === r1)
    }, 'the approved request to run')
    expect(ran.stdout).toBe('review-1\n')
    for (const id of [r3, r4]) await hub(['deny', id], {root})
  })

  it('Ctrl-C at a reason goes back to the question; Ctrl-C at the question ends with 130 and the counts', async () => {
    const id = await plan('echo review-interrupted')
    const s = pty(['review'])
    let at = await s.waitFor('Approve?')
    s.send('n')
    at = await s.waitFor('Reason', {from: at})
    s.send('\u0003')
    at = await s.waitFor('Approve?', {from: at})
    s.send('\u0003')
    await s.waitFor('0 approved, 0 denied, 0 skipped; 1 waiting.', {from: at})
    expect(await s.exited).toBe(130)
    expect(await waiting()).toEqual([id])
    expect((await hub(['deny', id], {root})).code).toBe(0)
  })

  it('says it needs a terminal when there is none', async () => {
    const r = await hub(['review'], {root})
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('asks on a terminal')
    expect(await exists(join(root, 'runtime'))).toBe(true)
  })
})
