/**
 * Deployment stacks and data stores wiped by tools infra.ts and databases.ts do not name (issue 12,
 * held-out round): serverless and GitOps deletes (`sam delete`, `copilot app delete`, `argocd app
 * delete`, `flux delete`), cluster resets, container runtimes emptied through crictl, caches flushed,
 * message queues reset, and restores that drop what is there first (`pg_restore --clean`, `mongorestore
 * --drop`) aimed anywhere but this machine. Deploying, listing and restoring into a local database stay ask.
 */

import type {Cmd} from '../command.js'

import {urlDestination} from '../hosts.js'
import {producedText} from '../normalise.js'
import {commandRule, type CommandRule, type RuleEnv} from '../rules.js'
import {optionValue, verbsOf} from '../subcommands.js'

const DELETE = /^(?:delete|destroy|remove|rm|uninstall|terminate|purge)$/

/** Tools whose `<noun> delete` (or bare `delete`) takes a deployed stack, app or cluster down with its data. */
function stackDelete(cmd: Cmd): null | string {
  const verbs = verbsOf(cmd)
  const [v0, v1] = verbs
  const said = `${cmd.name} ${verbs.slice(0, 2).join(' ')}`.trim()
  switch (cmd.name) {
    case 'sam':
    case 'amplify':
    case 'sst':
    case 'okteto': {
      return v0 !== undefined && /^(?:delete|remove|destroy)$/.test(v0) ? `${said}: deletes the deployed stack` : null
    }

    case 'copilot':
    case 'argocd':
    case 'juju': {
      if (v1 !== undefined && DELETE.test(v1)) return `${said}: deletes the application or environment it runs`
      return v0 !== undefined && /^(?:destroy-|kill-|remove-)/.test(v0) ? `${said}: destroys what it manages` : null
    }

    case 'flux': {
      return v0 === 'delete' || v0 === 'uninstall' ? `${said}: removes what GitOps deployed` : null
    }

    case 'eb': {
      return v0 === 'terminate' ? 'eb terminate: deletes the environment and its resources' : null
    }

    case 'kops':
    case 'kubeadm':
    case 'talosctl':
    case 'rke':
    case 'istioctl':
    case 'velero': {
      const hit = verbs.find((v) => /^(?:delete|reset|remove|uninstall)$/.test(v))
      return hit === undefined ? null : `${said}: deletes or resets the cluster or its backups`
    }

    default: {
      return null
    }
  }
}

/** crictl (and containerd's ctr): every container, pod or image of the node's runtime. */
function crictl(cmd: Cmd): null | string {
  if (cmd.name === 'ctr') {
    const removes = cmd.argv.some((v) => /^(?:rm|remove|del|delete)$/.test(v))
    return removes && cmd.args.some((w) => w.substitution)
      ? "ctr … rm of everything listed at run time: deletes the node's images or containers"
      : null
  }

  const [verb] = verbsOf(cmd)
  if (verb === undefined || !/^(?:rm|rmi|rmp)$/.test(verb)) return null
  const all = cmd.argv.some((a) => /^-[A-Za-z]*a[A-Za-z]*$|^--all$|^--prune$/.test(a))
  const listed = cmd.args.some((w) => w.substitution)
  return all || listed
    ? `crictl ${verb} of everything on the node: deletes every ${verb === 'rmi' ? 'image' : 'container or pod'}`
    : null
}

/** Whether a connection target is certainly this machine (a bare database name or socket counts). */
function local(target: string | undefined): boolean {
  if (target === undefined || target === '' || target.startsWith('/')) return true
  if (target.includes('$')) return false
  const url = /^[a-z][\w+.-]*:\/\/(?:[^@/]*@)?([^/?]*)/i.exec(target)
  const host = url ? url[1] : /\bhost=([^\s]+)/.exec(target)?.[1]
  if (host === undefined) return !/[=:/]/.test(target)
  const dest = urlDestination(`http://${host.split(',')[0] ?? ''}`)
  return dest.kind === 'loopback'
}

function restore(cmd: Cmd): null | string {
  const a = cmd.argv
  if (cmd.name === 'pg_restore') {
    if (!a.some((v) => v === '--clean' || /^-[A-Za-z]*c[A-Za-z]*$/.test(v))) return null
    const db = optionValue(a, ['-d', '--dbname'])
    const host = optionValue(a, ['-h', '--host'])
    if (local(db) && local(host)) return null
    return `pg_restore --clean into ${db ?? host ?? 'a remote server'}: drops its objects before restoring`
  }

  if (!a.includes('--drop')) return null
  const target = optionValue(a, ['--uri', '--host', '-h'])
  return local(target) ? null : `mongorestore --drop into ${target ?? ''}: drops every collection it restores`
}

/** Message brokers and caches: resets and purges that lose every message or entry. */
function brokers(cmd: Cmd, env: RuleEnv): null | string {
  const verbs = verbsOf(cmd)
  const [v0 = '', v1 = ''] = verbs
  switch (cmd.name) {
    case 'memcflush': {
      return 'memcflush: empties the cache servers'
    }

    case 'rabbitmqctl': {
      // `-n rabbit@mq1 reset`: the node's name is a word of its own, so the verb is looked for among all.
      const hit = verbs.find((v) => /^(?:reset|force_reset|delete_vhost|purge_queue|delete_queue)$/.test(v))
      return hit === undefined ? null : `rabbitmqctl ${hit}: deletes queues and their messages`
    }

    case 'rabbitmqadmin': {
      return /^(?:delete|purge)$/.test(v0) ? `rabbitmqadmin ${v0} ${v1}: deletes queues or their messages` : null
    }

    case 'kafka-topics':
    case 'kafka-topics.sh': {
      return cmd.argv.includes('--delete') ? `${cmd.name} --delete: deletes topics with their messages` : null
    }

    default: {
      // `echo flush_all | nc cache 11211`: the memcached protocol through a raw socket.
      const fed = env.producers(cmd).map((p) => producedText(p) ?? '')
      return fed.some((t) => /\bflush_all\b/i.test(t)) ? `${cmd.name}: sends flush_all, emptying the cache` : null
    }
  }
}

const STACKS = ['sam', 'amplify', 'sst', 'okteto', 'copilot', 'argocd', 'juju', 'flux', 'eb', 'kops', 'kubeadm']
const BROKERS = ['memcflush', 'rabbitmqctl', 'rabbitmqadmin', 'kafka-topics', 'kafka-topics.sh', 'nc', 'ncat', 'netcat']

export const stackAndStoreWipes = commandRule({
  id: 'destructive.stack-and-store-wipe',
  pack: 'destructive',
  decision: 'deny',
  reason:
    'deletes a deployed stack or cluster, empties a container runtime, cache or message queue, or restores over ' +
    'a remote database dropping what is there',
  programs: [
    ...STACKS,
    'talosctl',
    'rke',
    'istioctl',
    'velero',
    'crictl',
    'ctr',
    'pg_restore',
    'mongorestore',
    ...BROKERS,
  ],
  examples: {
    match: [
      'sam delete --no-prompts',
      'copilot svc delete --name api --yes',
      'argocd app delete payments -y',
      'flux uninstall --silent',
      'juju destroy-model prod --destroy-storage',
      'kubeadm reset -f',
      'velero backup delete --all --confirm',
      'crictl rmp --all --force',
      'crictl rmi $(crictl images -q)',
      'ctr -n k8s.io containers rm $(ctr -n k8s.io containers ls -q)',
      'pg_restore -c --dbname="$SHOP_DB" dump.bin',
      'pg_restore --clean -d postgresql://u@10.2.0.5/shop dump.bin',
      'mongorestore --drop --uri=mongodb+srv://u:p@cluster0.example.net dump/',
      'memcflush --servers=10.0.0.9',
      'rabbitmqctl purge_queue orders',
      'echo flush_all | nc cache.internal 11211',
    ],
    not_match: [
      'sam deploy --guided',
      'copilot svc ls',
      'argocd app sync payments',
      'flux get kustomizations',
      'crictl ps -a',
      'crictl rmi nginx:1.25',
      'pg_restore -d localdb dump.bin',
      'pg_restore --clean -d app_dev dump.bin',
      'pg_restore -c -h localhost -d shop dump.bin',
      'mongorestore --drop dump/',
      'rabbitmqctl list_queues',
      'echo stats | nc localhost 11211',
    ],
  },
  check(cmd, env) {
    if (cmd.name === 'crictl' || cmd.name === 'ctr') return crictl(cmd)
    if (cmd.name === 'pg_restore' || cmd.name === 'mongorestore') return restore(cmd)
    return stackDelete(cmd) ?? brokers(cmd, env)
  },
})

export const stackAndStoreRules: readonly CommandRule[] = [stackAndStoreWipes]
