/**
 * `e` in `hub approve` and `hub review` (issues 13 and 15): the operator changes the command before
 * approving it. With $VISUAL or $EDITOR set, the command opens in that editor (run the way git runs
 * it: through the shell, so `code --wait` works); without one, a line prompt starts with the command
 * already typed. Nothing is decided here: the edit goes to the daemon, which checks it again.
 */
import {spawn} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {TerminalPrompt} from './keys.js'

import {HubError} from '../errors.js'

export type EditResult = {command: string; kind: 'edited'} | {kind: 'cancelled' | 'unchanged'; why: string}

/** The editor the operator chose, as git picks it: $VISUAL, then $EDITOR; none when unset or empty. */
export function chosenEditor(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const name of ['VISUAL', 'EDITOR'] as const) {
    const value = env[name]?.trim()
    if (value) return value
  }

  return undefined
}

/**
 * What the editor left, as a command: the one line break editors add at the end is not part of it,
 * and a file left empty (or only blank) means "never mind".
 */
export function commandFromFile(text: string): string | undefined {
  const command = text.replace(/\r?\n$/, '')
  return command.trim() === '' ? undefined : command
}

/** Opens `editor` on a private temporary file holding `command`; what the file holds afterwards. */
export async function editInEditor(command: string, editor: string, env: NodeJS.ProcessEnv): Promise<EditResult> {
  // A directory only this user can enter: the command may name paths or hosts nobody else should see.
  const dir = await mkdtemp(join(tmpdir(), 'hub-edit-'))
  const file = join(dir, 'command.sh')
  try {
    await writeFile(file, command + '\n', {mode: 0o600})
    const code = await new Promise<null | number>((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', `${editor} "$1"`, 'hub-editor', file], {env, stdio: 'inherit'})
      child.on('error', reject)
      child.on('exit', (exitCode) => resolve(exitCode))
    })
    if (code !== 0) return {kind: 'cancelled', why: `the editor (${editor}) exited with ${code ?? 'a signal'}`}
    const edited = commandFromFile(await readFile(file, 'utf8'))
    if (edited === undefined) return {kind: 'cancelled', why: 'the file was left empty'}
    return edited === command ? {kind: 'unchanged', why: 'the command is unchanged'} : {command: edited, kind: 'edited'}
  } catch (error) {
    throw new HubError('internal', `Could not run the editor ${JSON.stringify(editor)}: ${(error as Error).message}`, {
      cause: error,
      hint: 'Set $VISUAL or $EDITOR to an editor that works here, or unset both to edit on one line.',
    })
  } finally {
    await rm(dir, {force: true, recursive: true})
  }
}

/**
 * The line prompt when no editor is set. A command of several lines cannot be edited on one line
 * without changing what it is, so the operator types a new one instead of editing a mangled copy.
 */
export async function editOnLine(command: string, prompt: TerminalPrompt): Promise<EditResult> {
  const multiline = command.includes('\n')
  const typed = await prompt.line(
    multiline ? 'New command (this one has several lines: set $EDITOR to edit it in place): ' : 'Command: ',
    multiline ? '' : command,
  )
  if (typed === undefined || typed.trim() === '') return {kind: 'cancelled', why: 'nothing was typed'}
  return typed === command ? {kind: 'unchanged', why: 'the command is unchanged'} : {command: typed, kind: 'edited'}
}

export async function editCommand(
  command: string,
  prompt: TerminalPrompt,
  env: NodeJS.ProcessEnv = process.env,
): Promise<EditResult> {
  const editor = chosenEditor(env)
  return editor === undefined ? editOnLine(command, prompt) : editInEditor(command, editor, env)
}
