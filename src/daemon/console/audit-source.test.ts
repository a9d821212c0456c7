import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {AuditLog} from '../../lib/audit/log.js'
import {FileHistory} from '../../lib/stores/history.js'
import {auditPage, ChainStatus} from './audit-source.js'

describe('audit pages for the console (the hub audit engine)', () => {
  let dir: string
  let path: string
  let history: FileHistory

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hub-console-audit-'))
    path = join(dir, 'audit.log')
    history = new FileHistory(dir)
    const log = await AuditLog.open(path)
    for (let i = 0; i < 25; i++) {
      await log.append({
        event: i % 2 ? 'command_queued' : 'command_blocked',
        pending_id: `p${i}`,
        command: `echo ${i}`,
        client: i % 3 === 0 ? 'codex' : 'http',
        actor: {role: 'agent', token: i % 5 === 0 ? 'aaaaaaaa' : 'bbbbbbbb'},
      })
    }

    await log.close()
  })

  afterAll(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  const q = {agents: [], clients: [], events: [], page: 0, pageSize: 10}

  it('pages newest first and says when there is more', async () => {
    const first = await auditPage(history, q)
    expect(first.rows.map((r) => r.command)).toEqual(Array.from({length: 10}, (_, k) => `echo ${24 - k}`))
    expect(first.hasOlder).toBe(true)
    const last = await auditPage(history, {...q, page: 2})
    expect(last.rows.map((r) => r.command)).toEqual(['echo 4', 'echo 3', 'echo 2', 'echo 1', 'echo 0'])
    expect(last.hasOlder).toBe(false)
  })

  it('filters by event, grep, client and agent together', async () => {
    const r = await auditPage(history, {...q, events: ['command_blocked'], clients: ['codex'], agents: ['aaaaaaaa']})
    // Even i, multiple of 3 and of 5: 0 and 30 → only 0 in range.
    expect(r.rows.map((x) => x.command)).toEqual(['echo 0'])
    const g = await auditPage(history, {...q, grep: /^echo 1\d$/})
    expect(g.rows).toHaveLength(10)
  })

  it('reports the chain, and a rewritten line breaks it', async () => {
    const chain = new ChainStatus(history)
    expect((await chain.get()).ok).toBe(true)
    const {readFile} = await import('node:fs/promises')
    const text = await readFile(path, 'utf8')
    await writeFile(path, text.replace('echo 7"', 'echo 8"'))
    const broken = await chain.get()
    expect(broken.ok).toBe(false)
    expect(broken.first_break?.seq).toBe(8)
  })
})
