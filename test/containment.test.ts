/**
 * Containment (issue 9, SPEC §6.5) against the real daemon process: every case is a hostile command
 * that an operator approves through the API, and the proof that it found nothing, changed nothing
 * and left nothing running. How a daemon that fails or has no sandbox behaves: containment-failures.
 */
import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdir, readFile, rm, symlink, writeFile} from 'node:fs/promises'
import {createServer, type Server} from 'node:net'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import type {RunRecord} from '../src/lib/records.js'

import {approved, type Daemon, linux, marker, newRoot, script, sleepers, startDaemon} from './containment-helpers.js'

// Each case starts daemons; on a saturated machine a start alone can take tens of seconds.
vi.setConfig({testTimeout: 240_000, hookTimeout: 240_000})

describe.runIf(linux)('containment against the real daemon (bwrap)', () => {
  let d: Daemon
  let secrets: string[]
  const envToken = 'agent-token-from-the-environment-' + 'x'.repeat(16)
  beforeAll(async () => {
    const root = await newRoot()
    await mkdir(join(root, 'runtime'), {recursive: true, mode: 0o700})
    // A valid 32-byte key with a marker the runs must never see (the sandbox hides the runtime dir).
    await writeFile(join(root, 'runtime', 'audit.key'), 'audit-key-' + 'k'.repeat(22), {mode: 0o600})
    await writeFile(join(root, 'hub.policy.json'), JSON.stringify({rules: []}))
    await writeFile(join(root, 'operator-notes.txt'), 'hidden-by-AGENT_HUB_SANDBOX_HIDE')
    // fd 3 and fd 40: Node marks the first few inherited descriptors close-on-exec itself, not fd 40.
    d = await startDaemon(
      root,
      {
        AGENT_HUB_TOKEN: envToken,
        AGENT_HUB_POLICY: join(root, 'hub.policy.json'),
        AGENT_HUB_SANDBOX_HIDE: join(root, 'operator-notes.txt'),
        AGENT_HUB_RATE_LIMIT_REQUESTS: '100000',
      },
      [3, 40],
    )
    secrets = [
      envToken,
      (await readFile(join(d.runtime, 'operator_token.txt'), 'utf8')).trim(),
      'audit-key-',
      'hidden-by-AGENT_HUB_SANDBOX_HIDE',
      '"rules"',
    ]
  })
  afterAll(async () => {
    await d?.stop()
    if (d) await rm(d.root, {recursive: true, force: true})
  })

  function expectNoSecret(r: RunRecord): void {
    for (const s of secrets) {
      expect(r.stdout, `stdout of ${r.command}`).not.toContain(s)
      expect(r.stderr, `stderr of ${r.command}`).not.toContain(s)
    }
  }

  it('is contained, and says so in /health and in the record', async () => {
    const health = await d.operator.health()
    expect(health.sandbox).toBe('bwrap')
    expect(health.sandbox_reason).toBeUndefined()
    const r = await approved(d, 'true')
    expect(r).toMatchObject({sandbox: 'bwrap', network: true, exit_code: 0})
  })

  it('cannot read any token, the audit key, the policy or a hidden file by path', async () => {
    const r = await approved(
      d,
      await script(
        d,
        'by-path.sh',
        [
          `ls -la ${d.runtime}`,
          `cat ${d.runtime}/operator_token.txt ${d.runtime}/agent_hub_token.txt ${d.runtime}/audit.key`,
          `cat ${d.runtime}/*`,
          `cat ${d.root}/hub.policy.json ${d.root}/operator-notes.txt`,
          `cat ../runtime/operator_token.txt`,
          'echo end',
        ].join('\n'),
      ),
    )
    expectNoSecret(r)
    expect(r.stdout).toContain('end')
    expect(r.stderr).toContain('No such file or directory')
  })

  it('finds nothing with find / -name "*token*" or by grepping for the key', async () => {
    const r = await approved(
      d,
      await script(
        d,
        'find.sh',
        [
          // Everywhere a runtime directory could be; /usr and /work (the checkouts) only cost time.
          String.raw`find / \( -path /proc -o -path /sys -o -path /dev -o -path /usr -o -path /work \) -prune` +
            ` -o -name '*token*' -type f -print 2>/dev/null > /tmp/found`,
          `grep -c . /tmp/found`,
          // The head of each: a token is one line, and the output limit must not hide the one that matters.
          `while read -r f; do echo "== $f"; head -c 200 "$f"; echo; done < /tmp/found 2>/dev/null`,
          `grep -rsl audit-key- ${d.root} /var/tmp 2>/dev/null`,
          'echo end',
        ].join('\n'),
      ),
    )
    expectNoSecret(r)
    expect(r.stdout).not.toContain(d.runtime)
    expect(r.stdout).toContain('end')
  })

  it('cannot follow a workspace symlink to the runtime directory or a token file', async () => {
    await symlink(join(d.runtime, 'operator_token.txt'), join(d.workspace, 'innocent.txt'))
    await symlink(d.runtime, join(d.workspace, 'rt'))
    await symlink(join(d.root, 'hub.policy.json'), join(d.workspace, 'policy-link'))
    const r = await approved(
      d,
      await script(d, 'links.sh', 'cat innocent.txt policy-link; ls -A rt/; cat rt/*; echo end'),
    )
    expectNoSecret(r)
    expect(r.stdout).toBe('end\n')
  })

  it('sees no token in any environment: /proc/*/environ, /proc/$PPID', async () => {
    const r = await approved(
      d,
      await script(
        d,
        'environ.sh',
        [
          `for f in /proc/[0-9]*/environ; do tr '\\0' '\\n' < "$f"; done`,
          String.raw`cat /proc/$PPID/environ /proc/$PPID/cmdline | tr "\0" "\n"`,
          `ls /proc/$PPID/root${d.runtime}`,
          `cat /proc/$PPID/root${d.runtime}/operator_token.txt`,
          'ls /proc | grep -c "^[0-9]"',
          `test -e /proc/${d.pid} && echo daemon-pid-visible`,
          'env',
          'echo end',
        ].join('\n'),
      ),
    )
    expectNoSecret(r)
    expect(r.stdout).not.toContain('AGENT_HUB_')
    expect(r.stdout).toContain('end')
  })

  it('cannot rewrite a pending request or the audit log', async () => {
    const waiting = await d.agent.plan({command: 'echo the-command-the-operator-saw'})
    const pendingFile = join(d.runtime, 'pending', `${waiting.pending_id}.json`)
    const pendingBefore = await readFile(pendingFile, 'utf8')
    const auditBefore = await readFile(join(d.runtime, 'audit.log'), 'utf8')
    const r = await approved(
      d,
      await script(
        d,
        'rewrite.sh',
        [
          `for f in ${d.runtime}/pending/*.json; do echo '{"command":"cat /etc/shadow"}' > "$f"; done`,
          `echo '{"event":"forged"}' >> ${d.runtime}/audit.log`,
          `sed -i s/echo/rm/ ${d.runtime}/pending/${waiting.pending_id}.json`,
          `mkdir -p ${d.runtime}/pending && echo x > ${d.runtime}/pending/new.json`,
          `rm -rf ${d.runtime}/audit.log`,
          'echo end',
        ].join('\n'),
      ),
    )
    expect(r.stdout).toBe('end\n')
    expect(await readFile(pendingFile, 'utf8')).toBe(pendingBefore)
    const auditAfter = await readFile(join(d.runtime, 'audit.log'), 'utf8')
    expect(auditAfter.startsWith(auditBefore)).toBe(true)
    expect(auditAfter).not.toContain('forged')
    expect(existsSync(join(d.runtime, 'pending', 'new.json'))).toBe(false)
    const ran = await d.operator.approve(waiting.pending_id!)
    expect(ran.stdout).toBe('the-command-the-operator-saw\n')
  })

  it('leaves nothing running: setsid, double fork, nohup and disown all end with the run', async () => {
    const m = marker()
    const r = await approved(
      d,
      await script(
        d,
        'survive.sh',
        [
          `(setsid sleep ${m} &)`,
          `(sleep ${m} &) &`,
          `nohup sleep ${m} >/dev/null 2>&1 &`,
          `setsid -f sleep ${m}`,
          `bash -c 'sleep ${m} & disown'`,
          `until [ "$(pgrep -xc sleep)" -ge 5 ]; do sleep 0.05; done`,
          'echo ok',
        ].join('\n'),
      ),
    )
    expect(r.stdout).toBe('ok\n')
    expect(sleepers(m)).toBe(0)
  })

  it('gets no descriptor the daemon inherited (fd 3 and fd 40 were open in the daemon)', async () => {
    const r = await approved(d, 'ls -l /proc/self/fd')
    const fds = r.stdout
      .split('\n')
      .map((l) => / (\d+) -> (.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .filter((m) => !m[2]!.endsWith('/fd')) // ls's own handle on the directory it lists
      .map((m) => Number(m[1]))
    expect(fds.sort()).toEqual([0, 1, 2])
    expect(d.output()).toMatch(/Closed inherited descriptor\(s\) .*40/)
  })

  it('keeps a cwd swapped for a symlink inside what the sandbox shows, raced 100 times', async () => {
    const probe = join(d.workspace, 'probe.sh')
    await writeFile(probe, 'pwd -P; ls -A; cat operator_token.txt agent_hub_token.txt audit.key 2>/dev/null; true\n')
    await mkdir(join(d.workspace, 'real'))
    // Flips workspace/real between a directory and a symlink to the runtime directory, as fast as it can
    // (staying a directory a little longer, so that most plans get queued).
    const racer = spawn(
      'bash',
      [
        '-c',
        [
          `cd ${d.workspace}`,
          `while :; do mv -T real real.away && ln -s ${d.runtime} real`,
          'rm -f real',
          'mv -T real.away real',
          'for j in {1..3000}; do :; done',
          'done',
        ].join('; '),
      ],
      {stdio: 'ignore'},
    )
    const outcomes = {ran: 0, inSwapped: 0, refusedAtApproval: 0, chdirFailed: 0, notQueued: 0}
    try {
      for (let i = 0; i < 100 && outcomes.notQueued < 1000; i++) {
        let planned
        try {
          planned = await d.agent.plan({command: `bash ${probe}`, cwd: 'real'})
        } catch {
          outcomes.notQueued++ // the swap was in place at plan time: blocked before any run
          i--
          continue
        }

        let r: RunRecord
        try {
          r = await d.operator.approve(planned.pending_id!)
        } catch {
          outcomes.refusedAtApproval++
          continue
        }

        outcomes.ran++
        expectNoSecret(r)
        if (r.stdout.startsWith(d.runtime)) outcomes.inSwapped++
        if (r.exit_code === 127 && /chdir/.test(r.stderr)) outcomes.chdirFailed++
      }
    } finally {
      racer.kill('SIGKILL')
    }

    console.log(`cwd race: ${JSON.stringify(outcomes)}`)
    expect(outcomes.ran + outcomes.refusedAtApproval).toBe(100)
    // The swap really reached runs: some entered the runtime directory, and found it empty.
    expect(outcomes.inSwapped + outcomes.refusedAtApproval).toBeGreaterThan(0)
  })

  describe('network', () => {
    let server: Server
    let port: number
    let connections = 0
    beforeAll(async () => {
      server = createServer((s) => {
        connections++
        s.end('hello\n')
      })
      await new Promise<void>((r) => {
        server.listen(0, '127.0.0.1', () => r())
      })
      port = (server.address() as {port: number}).port
    })
    afterAll(async () => {
      await new Promise((r) => {
        server.close(r)
      })
    })

    it('reaches a listener outside by default; with {"network": false} no socket gets out', async () => {
      const connect = await script(d, 'connect.sh', `exec 3<>/dev/tcp/127.0.0.1/${port} && head -1 <&3`)
      const on = await approved(d, connect)
      expect(on).toMatchObject({stdout: 'hello\n', network: true})
      const before = connections
      const off = await approved(d, connect, {network: false})
      expect(off.network).toBe(false)
      expect(off.exit_code).not.toBe(0)
      expect(off.stdout).toBe('')
      expect(connections).toBe(before)
    })
  })
})
