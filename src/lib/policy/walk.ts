/**
 * Walks a parsed script to every simple command, in the order the shell would reach them: across
 * lists, pipelines and background jobs, into substitutions, subshells, groups, function bodies,
 * loops and conditionals. For each it records what a rule needs beyond the words themselves: the
 * redirections that apply (including those on an enclosing group), where its standard input comes
 * from (pipeline stage, here-document, here-string), the function it sits in, and the working
 * directories it may run in after earlier `cd`s.
 */

import type {SyntaxNode} from './parser.js'

import {trackCd} from './cwd.js'
import {type Assignment, type Frame, makeRaw, type RawCommand, type Redirect, type WalkHost} from './raw-command.js'
import {backtickBodies, endlessLoop, isRedirectNode, isWordNode} from './walk-syntax.js'
import {
  assignmentWord,
  lexWord,
  type NestedWalker,
  readWord,
  readWords,
  unquotedWords,
  type Word,
  wordsFromUnits,
} from './words.js'

export function walkScript(root: SyntaxNode, src: string, cwds: readonly string[], host: WalkHost): void {
  const walker = new Walker(src, host)
  walker.visit(root, {slots: [], groups: [], redirects: [], background: false, fn: null, cwd: {dirs: cwds}})
}

class Walker {
  constructor(
    private readonly src: string,
    private readonly host: WalkHost,
  ) {}

  visit(node: SyntaxNode, frame: Frame): void {
    if (!this.host.withinBudget()) return
    switch (node.type) {
      case 'command': {
        this.command(node, frame)
        return
      }

      case 'declaration_command':
      case 'unset_command': {
        this.declaration(node, frame)
        return
      }

      case 'variable_assignment': {
        this.bareAssignment([node], frame, this.text(node))
        return
      }

      case 'variable_assignments': {
        this.bareAssignment(
          node.children.filter((c) => c.type === 'variable_assignment'),
          frame,
          this.text(node),
        )
        return
      }

      case 'redirected_statement': {
        this.redirected(node, frame)
        return
      }

      case 'pipeline': {
        this.pipeline(node, frame)
        return
      }

      case 'subshell': {
        this.children(node, {...frame, cwd: {dirs: frame.cwd.dirs}})
        return
      }

      case 'function_definition': {
        const name = node.children.find((c) => c.field === 'name')
        const fn = name ? this.text(name) : null
        for (const child of node.children) {
          if (child.field === 'body') this.visit(child, {...frame, fn, cwd: {dirs: frame.cwd.dirs}})
        }

        return
      }

      case 'command_substitution':
      case 'process_substitution': {
        this.nested(node, frame)
        return
      }

      case 'for_statement': {
        this.forLoop(node, frame)
        return
      }

      case 'while_statement':
      case 'c_style_for_statement': {
        this.loop(node, frame)
        return
      }

      case 'heredoc_body': {
        this.heredocBody(node, frame)
        return
      }

      case 'comment': {
        return
      }

      case 'ERROR': {
        this.recover(node, frame)
        return
      }

      default: {
        if (isWordNode(node.type)) {
          // A word outside a command (a `for` list, a `case` subject): only its substitutions run.
          readWord(node, this.src, this.nestedWalker(frame))
          return
        }

        this.children(node, frame)
      }
    }
  }

  private assignment(node: SyntaxNode, walk: NestedWalker): Assignment {
    let name = ''
    let value: null | Word = null
    for (const child of node.children) {
      if (child.field === 'name' || (name === '' && child.type === 'variable_name')) name = this.text(child)
      else if (child.field === 'value' || (child.named && name !== '')) value = readWord(child, this.src, walk)
    }

    // `a[i]=x` keeps its subscript in the name node; the variable is `a`.
    name = name.replace(/\[.*$/s, '')
    this.host.noteAssignment(name, value)
    return {name, value}
  }

  private bareAssignment(nodes: readonly SyntaxNode[], frame: Frame, text: string): void {
    const walk = this.nestedWalker(frame)
    const assignments = nodes.map((n) => this.assignment(n, walk))
    this.host.emit(makeRaw(frame, text, [], assignments, frame.redirects))
  }

  private children(node: SyntaxNode, frame: Frame): void {
    const kids = node.children
    for (let i = 0; i < kids.length; i++) {
      const child = kids[i] as SyntaxNode
      if (!child.named) continue
      const next = kids[i + 1]
      const background = next !== undefined && !next.named && next.type === '&'
      this.visit(child, background ? {...frame, background: true} : frame)
    }
  }

  private command(node: SyntaxNode, frame: Frame, trailing: readonly Word[] = []): void {
    const walk = this.nestedWalker(frame)
    const words: Word[] = []
    const assignments: Assignment[] = []
    const redirects: Redirect[] = [...frame.redirects]
    const extra: Word[] = []
    const rest: SyntaxNode[] = []
    // Where the last word node ended and how many words it made: a node starting exactly there is
    // the same shell word, which the grammar split (`rm$IFS-rf$IFS/etc`).
    let last = {start: -1, end: -1, count: 0}
    const pushWord = (n: SyntaxNode): void => {
      if (n.start === last.end && last.count > 0) {
        const units = lexWord(this.src.slice(last.start, n.end))
        if (units !== null) {
          words.splice(words.length - last.count, last.count)
          const merged = wordsFromUnits(this.src.slice(last.start, n.end), units)
          words.push(...merged)
          last = {start: last.start, end: n.end, count: merged.length}
          return
        }
      }

      const read = readWords(n, this.src, walk)
      words.push(...read)
      last = {start: n.start, end: n.end, count: read.length}
    }

    for (const child of node.children) {
      if (child.type === 'variable_assignment') {
        assignments.push(this.assignment(child, walk))
      } else if (child.field === 'name') {
        const inner = child.type === 'command_name' ? child.children[0] : child
        if (inner) pushWord(inner)
      } else if (child.field === 'redirect' || isRedirectNode(child.type)) {
        this.redirect(child, frame, redirects, extra, rest)
      } else if (child.field === 'argument' || (child.named && isWordNode(child.type))) {
        pushWord(child)
      } else if (child.named && child.type !== 'comment') {
        this.visit(child, frame)
      }
    }

    words.push(...extra, ...trailing)
    this.continued(frame, rest, (f) => {
      this.host.emit(this.raw(node, f, words, assignments, redirects))
      trackCd(words, f)
    })
  }

  /**
   * The grammar hangs what follows a here-document's start line inside the redirection
   * (`cat <<EOF | sh`, `cat <<EOF && x`). A pipeline there makes the statement its first stage.
   */
  private continued(frame: Frame, rest: readonly SyntaxNode[], self: (frame: Frame) => void): void {
    const pipeline = rest.find((n) => n.type === 'pipeline')
    if (pipeline === undefined) {
      self(frame)
      for (const n of rest) this.visit(n, frame)
      return
    }

    const pipe = this.host.nextId()
    self({...frame, slots: [...frame.slots, {pipe, index: 0}], cwd: {dirs: frame.cwd.dirs}})
    const stages: SyntaxNode[] = []
    const flatten = (n: SyntaxNode): void => {
      for (const c of n.children) {
        if (!c.named) continue
        if (c.type === 'pipeline') flatten(c)
        else stages.push(c)
      }
    }

    flatten(pipeline)
    for (const [i, stage] of stages.entries())
      this.visit(stage, {...frame, slots: [...frame.slots, {pipe, index: i + 1}], cwd: {dirs: frame.cwd.dirs}})

    for (const n of rest) if (n !== pipeline) this.visit(n, frame)
  }

  private declaration(node: SyntaxNode, frame: Frame): void {
    const walk = this.nestedWalker(frame)
    const words: Word[] = []
    const assignments: Assignment[] = []
    for (const child of node.children) {
      if (!child.named) {
        // The keyword itself: export, declare, local, readonly, typeset, unset, unsetenv.
        if (words.length === 0 && /^[a-z]+$/.test(child.type)) words.push(...readWords(child, this.src, walk))
        continue
      }

      if (child.type === 'variable_assignment') {
        const a = this.assignment(child, walk)
        assignments.push(a)
        words.push(assignmentWord(this.text(child), a.name, a.value))
      } else words.push(...readWords(child, this.src, walk))
    }

    this.host.emit(this.raw(node, frame, words, assignments, frame.redirects))
  }

  /** `for X in a b` assigns each value to X in turn: remembered like assignments. */
  private forLoop(node: SyntaxNode, frame: Frame): void {
    const variable = node.children.find((c) => c.field === 'variable')
    const name = variable ? this.text(variable) : ''
    const walk = this.nestedWalker(frame)
    for (const child of node.children) {
      if (child.field === 'value') {
        for (const w of readWords(child, this.src, walk)) this.host.noteAssignment(name, w)
      } else if (child.field !== 'variable' && child.named) this.visit(child, frame)
    }
  }

  /** An unquoted here-document is expanded like a double-quoted string: its substitutions run. */
  private heredocBody(node: SyntaxNode, frame: Frame): void {
    for (const child of node.children) {
      if (child.named && child.type !== 'heredoc_content') this.visit(child, frame)
    }

    // The grammar leaves backticks in here-document text unparsed; find them ourselves.
    for (const inner of backtickBodies(this.text(node)))
      this.host.hereDocCode(inner, '`…` in here-document', frame.cwd.dirs)
  }

  /** `while`/`until`/`for ((…))`; the body of one that cannot end by its own condition is marked (see endlessLoop). */
  private loop(node: SyntaxNode, frame: Frame): void {
    const condition = node.children.find((c) => c.field === 'condition')
    const body = endlessLoop(node, condition ? this.text(condition) : null)
      ? {...frame, loop: this.host.nextId()}
      : frame
    for (const child of node.children) if (child.named) this.visit(child, child.field === 'body' ? body : frame)
  }

  /** `$(…)`, backticks, `<(…)`: run in a subshell, so a `cd` inside stays inside. */
  private nested(node: SyntaxNode, frame: Frame): number {
    const id = this.host.nextId()
    this.children(node, {...frame, groups: [...frame.groups, id], background: false, cwd: {dirs: frame.cwd.dirs}})
    // Inside backticks, \` is a backtick of a nested substitution, which the grammar reads as text:
    // the body with one level of escaping removed is read again.
    const text = this.text(node)
    if (text.startsWith('`') && text.includes('\\`')) {
      const inner = text.slice(1, text.endsWith('`') ? -1 : undefined).replaceAll(/\\([\\`$])/g, '$1')
      this.host.hereDocCode(inner, '`…` inside `…`', frame.cwd.dirs)
    }

    return id
  }

  private nestedWalker(frame: Frame): NestedWalker {
    return (node) => this.nested(node, frame)
  }

  private pipeline(node: SyntaxNode, frame: Frame): void {
    const pipe = this.host.nextId()
    let index = 0
    for (const child of node.children) {
      if (!child.named) continue
      // Each stage runs in a subshell of its own.
      this.visit(child, {...frame, slots: [...frame.slots, {pipe, index}], cwd: {dirs: frame.cwd.dirs}})
      index++
    }
  }

  private raw(
    node: SyntaxNode,
    frame: Frame,
    words: Word[],
    assignments: Assignment[],
    redirects: readonly Redirect[],
  ): RawCommand {
    return makeRaw(frame, this.text(node), words, assignments, redirects)
  }

  /**
   * Inside a parse error the grammar keeps loose words (`{rm,-rf,/}` is a brace expansion bash
   * accepts and the grammar does not). The request is asked about anyway; reading runs of words
   * as commands can only add refusals, so a `rm -rf /` hidden behind a syntax error is still seen.
   */
  private recover(node: SyntaxNode, frame: Frame): void {
    let run: Word[] = []
    let runStart = -1
    let pendingBrace = -1
    const walk = this.nestedWalker(frame)
    const flush = (): void => {
      if (run.length > 0)
        this.host.emit(
          makeRaw(frame, this.src.slice(runStart, node.end).split('\n')[0] ?? '', run, [], frame.redirects),
        )
      run = []
      runStart = -1
    }

    for (const child of node.children) {
      if (!child.named) {
        pendingBrace = child.type === '{' ? child.end : -1
        if (child.type !== '{') flush()
        continue
      }

      const target = child.type === 'command_name' ? child.children[0] : child
      if (target !== undefined && (isWordNode(target.type) || child.field === 'argument')) {
        if (runStart < 0) runStart = child.start
        if (pendingBrace === child.start) {
          run.push(...unquotedWords(this.src.slice(child.start - 1, child.end)))
          runStart = child.start - 1
        } else run.push(...readWords(target, this.src, walk))
        pendingBrace = -1
        continue
      }

      flush()
      this.visit(child, frame)
    }

    flush()
  }

  /**
   * The grammar reads words after a redirection target (`sudo >x rm -rf /`) as more targets; bash
   * gives them to the command as arguments, so they are collected into `extra`.
   */
  private redirect(node: SyntaxNode, frame: Frame, out: Redirect[], extra: Word[], rest: SyntaxNode[]): void {
    const walk = this.nestedWalker(frame)
    switch (node.type) {
      case 'file_redirect': {
        let fd: null | string = null
        let op = '>'
        let target: null | Word = null
        for (const child of node.children) {
          if (child.type === 'file_descriptor') fd = this.text(child)
          else if (child.type === 'ERROR') continue
          else if (!child.named) op = child.type
          else if (target === null) target = readWord(child, this.src, walk)
          else extra.push(...readWords(child, this.src, walk))
        }

        out.push({op, fd, target})
        return
      }

      case 'herestring_redirect': {
        const value = node.children.find((c) => c.named)
        out.push({op: '<<<', fd: null, target: value ? readWord(value, this.src, walk) : null})
        return
      }

      case 'heredoc_redirect': {
        let op = '<<'
        let expands = true
        let body = ''
        for (const child of node.children) {
          if (!child.named && child.type.startsWith('<<')) op = child.type
          else if (child.type === 'heredoc_start') expands = !/['"\\]/.test(this.text(child))
          else if (child.type === 'heredoc_body') {
            body = this.text(child)
            if (expands) this.heredocBody(child, frame)
          } else if (child.field === 'redirect' || isRedirectNode(child.type))
            this.redirect(child, frame, out, extra, rest)
          else if (child.named && child.type !== 'heredoc_end') rest.push(child)
        }

        out.push({op, fd: null, target: null, heredoc: {body, expands}})
        return
      }

      default: {
        // Something else in redirect position: walk it for substitutions.
        this.visit(node, frame)
      }
    }
  }

  private redirected(node: SyntaxNode, frame: Frame): void {
    const redirects: Redirect[] = [...frame.redirects]
    const extra: Word[] = []
    const rest: SyntaxNode[] = []
    let body: SyntaxNode | undefined
    for (const child of node.children) {
      if (child.field === 'body') body = child
      else if (child.field === 'redirect' || isRedirectNode(child.type))
        this.redirect(child, frame, redirects, extra, rest)
    }

    this.continued(frame, rest, (f) => {
      const inner = {...f, redirects: [...f.redirects, ...redirects.slice(frame.redirects.length)]}
      if (body?.type === 'command') {
        this.command(body, inner, extra)
        return
      }

      if (body === undefined || extra.length > 0) {
        // `> file` alone still opens (and truncates) the file; words after a redirection of a group
        // are the grammar's reading of something bash would reject: judge them as a command anyway.
        this.host.emit(this.raw(node, f, extra, [], inner.redirects))
      }

      if (body === undefined) return
      // The grammar hangs `> f` on a whole list or pipeline (`a && b > f`, `a | b > f`); bash gives
      // it to the last command only.
      if (body.type === 'list' || body.type === 'pipeline')
        this.trailing(body, f, inner.redirects.slice(f.redirects.length))
      else this.visit(body, inner)
    })
  }

  private text(node: SyntaxNode): string {
    return this.src.slice(node.start, node.end)
  }

  /** Visits a list or pipeline whose last command alone takes `redirects`. */
  private trailing(node: SyntaxNode, frame: Frame, redirects: readonly Redirect[]): void {
    const kids = node.children.filter((c) => c.named && c.type !== 'comment')
    const last = kids.at(-1)
    if (last === undefined) return
    const withRedirects = (f: Frame): Frame => ({...f, redirects: [...f.redirects, ...redirects]})
    if (node.type === 'pipeline') {
      const pipe = this.host.nextId()
      for (const [index, child] of kids.entries()) {
        const stage = {...frame, slots: [...frame.slots, {pipe, index}], cwd: {dirs: frame.cwd.dirs}}
        this.visit(child, child === last ? withRedirects(stage) : stage)
      }

      return
    }

    for (const [i, child] of node.children.entries()) {
      if (!child.named || child === last) continue
      const next = node.children[i + 1]
      this.visit(child, next !== undefined && !next.named && next.type === '&' ? {...frame, background: true} : frame)
    }

    if (last.type === 'list' || last.type === 'pipeline') this.trailing(last, frame, redirects)
    else this.visit(last, withRedirects(frame))
  }
}
