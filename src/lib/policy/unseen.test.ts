import {beforeAll, describe, expect, it} from 'vitest'

import type {PolicyContext, PolicyEngine} from './types.js'

import {analyseInline} from './inline-code.js'
import {loadPolicy} from './load.js'
import {operandsOf} from './subcommands.js'

const ctx: PolicyContext = {
  cwd: '/srv/hub/workspace',
  workspace: '/srv/hub/workspace',
  runtimeDir: '/srv/hub/runtime',
  policyFile: '/srv/hub/hub.policy.json',
}
let engine: PolicyEngine
beforeAll(async () => {
  engine = await loadPolicy({})
})

const verdict = (c: string): string => engine.evaluate(c, ctx).decision

describe('subcommands past global options', () => {
  it.each([
    [
      'aws',
      '--region us-east-1 --profile p ec2 terminate-instances --instance-ids i-1',
      ['ec2', 'terminate-instances'],
    ],
    ['kubectl', '-n prod --context x delete pvc --all', ['delete', 'pvc']],
    ['docker', '-H tcp://h:2375 --context c system prune -af', ['system', 'prune']],
    ['docker', 'compose -f prod.yml -p shop down -v', ['compose', 'down']],
    ['helm', '--kube-context k -n ns uninstall api', ['uninstall', 'api']],
  ])('%s %s', (name, args, verbs) => {
    expect(operandsOf(name, args.split(' ')).slice(0, verbs.length)).toEqual(verbs)
  })

  it('refuses the destructive verb wherever the options are written, and asks the read-only ones', () => {
    for (const c of [
      'aws --output json --region eu-west-1 rds delete-db-cluster --db-cluster-identifier c',
      'gcloud --project p --quiet sql instances delete db',
      'kubectl --kubeconfig ~/.kube/prod -n ops delete ns ops',
      'helm -n ops uninstall web',
      'docker --context prod system prune -af',
    ])
      expect(verdict(c), c).toBe('deny')
    for (const c of ['aws --region eu-west-1 ec2 describe-instances', 'kubectl -n ops get pods', 'helm -n ops list'])
      expect(verdict(c), c).not.toBe('deny')
  })
})

describe('what a request sets up and then runs', () => {
  it('follows set -- into "$@", empty expansions and the script’s own IFS', () => {
    for (const c of [
      'set -- rm -rf /opt; "$@"',
      'set -- rm -rf ~ && "$@"',
      '${PATH:0:0}rm -rf /opt',
      'r${never_set}m -rf /opt',
      'IFS=/; c="rm/-rf/~"; $c',
      String.raw`x=$(printf "\x72\x6d"); $x -rf /opt`,
    ])
      expect(verdict(c), c).toBe('deny')
    expect(verdict('set -- a b; echo "$@"')).not.toBe('deny')
  })

  it('reads Makefiles, justfiles, package.json scripts and SQL files the request wrote', () => {
    for (const c of [
      String.raw`printf 'all:\n\trm -rf /opt\n' > Makefile && make`,
      String.raw`printf 'go:\n  rm -rf ~\n' > justfile && just go`,
      'echo \'{"scripts":{"postinstall":"rm -rf ~"}}\' > package.json && npm i',
      "echo 'DROP DATABASE app;' > x.sql && psql -f x.sql",
      "echo 'DELETE FROM users;' > x.sql && sqlite3 app.db < x.sql",
      'bash < <(echo "rm -rf /opt")',
    ])
      expect(verdict(c), c).toBe('deny')
    for (const c of [
      String.raw`printf 'all:\n\tnpm run build\n' > Makefile && make`,
      'echo \'{"scripts":{"test":"vitest"}}\' > package.json && npm test',
      "echo 'SELECT 1;' > q.sql && psql -f q.sql",
    ])
      expect(verdict(c), c).not.toBe('deny')
  })
})

describe('inline code spelled another way', () => {
  it.each([
    ['python', "__import__('os').system('rm -rf /opt')", 'rm -rf /opt'],
    ['python', "getattr(__import__('os'), 'system')('id')", 'id'],
    ['python', "__builtins__.__dict__['__import__']('os').system('id')", 'id'],
    ['python', "open('/etc/sudoers', 'a').write('x')", 'tee -- /etc/sudoers < /dev/null'],
    ['python', "import pathlib; pathlib.Path('/etc/x').unlink()", 'rm -f -- /etc/x'],
    ['node', "require('fs').rmSync(require('os').homedir(), {recursive: true})", 'rm -rf -- ~'],
    ['node', 'new Deno.Command("rm", {args: ["-rf", "/opt"]}).outputSync()', 'rm -rf /opt'],
    ['perl', 'system qq(rm -rf /opt)', 'rm -rf /opt'],
    ['r', 'system("rm -rf /opt")', 'rm -rf /opt'],
    ['tcl', 'exec rm -rf /opt', 'rm -rf /opt'],
  ] as const)('%s: %s', (language, code, shell) => {
    expect(analyseInline(language, code).shell).toContain(shell)
  })

  it('reads harmless code as harmless', () => {
    expect(analyseInline('python', "open('data.json').read()").shell).toEqual(['cat -- data.json'])
    expect(analyseInline('node', 'console.log(require("os").homedir())').shell).toEqual([])
  })
})
