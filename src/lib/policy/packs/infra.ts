/**
 * Infrastructure, clusters, cloud resources and containers (SPEC §4.3): destroying what they run is
 * refused; looking at them is not (read-only cloud calls are the remote pack's `ask`).
 */

import type {Cmd} from '../command.js'

import {type CommandRule, commandRule} from '../rules.js'
import {optionValue, verbsOf} from '../subcommands.js'

const hasFlag = (a: readonly string[], re: RegExp): boolean => a.some((v) => re.test(v))

function iac(cmd: Cmd): null | string {
  const a = cmd.argv
  const verbs = verbsOf(cmd)
  switch (cmd.name) {
    case 'terraform':
    case 'tofu':
    case 'terragrunt': {
      if (verbs.includes('destroy')) return `${cmd.name} destroy: deletes the infrastructure it manages`
      if (verbs[0] === 'apply' && hasFlag(a, /^-?-destroy$/))
        return `${cmd.name} apply -destroy: deletes the infrastructure`
      if (verbs[0] === 'state' && (verbs[1] === 'rm' || verbs[1] === 'replace-provider'))
        return `${cmd.name} state ${verbs[1]}: drops resources from the state`
      if (verbs[0] === 'workspace' && verbs[1] === 'delete') return `${cmd.name} workspace delete`
      return null
    }

    case 'pulumi': {
      if (verbs[0] === 'destroy' || (verbs[0] === 'down' && verbs.length === 1))
        return 'pulumi destroy: deletes the stack resources'
      if (verbs[0] === 'stack' && verbs[1] === 'rm') return 'pulumi stack rm: deletes a stack'
      return null
    }

    case 'cdk':
    case 'cdktf': {
      return verbs.includes('destroy') ? `${cmd.name} destroy: deletes the stacks` : null
    }

    case 'sls':
    case 'serverless': {
      return verbs[0] === 'remove' ? `${cmd.name} remove: deletes the deployed service` : null
    }

    default: {
      return null
    }
  }
}

const K8S_WIDE = new RegExp(
  String.raw`^(?:namespaces?|ns|pv|pvc|persistentvolumes?|persistentvolumeclaims?|` +
    String.raw`nodes?|no|crds?|customresourcedefinitions?|all|clusterroles?|` +
    String.raw`clusterrolebindings?|storageclass(?:es)?|sc|statefulsets?|sts|projects?|` +
    // GitOps objects: deleting one prunes every resource it deployed (Argo CD, Flux).
    String.raw`applications?|applicationsets?|kustomizations?|helmreleases?)(?:\.[\w.]+)?(?:[/,].*)?$`,
  'i',
)

/** Storage, nodes and namespaces: patching them changes what holds data or runs everything. */
const K8S_PATCH_WIDE = /^(?:pv|pvc|persistentvolumes?|persistentvolumeclaims?|nodes?|no|namespaces?|ns)(?:[/.].*)?$/i
/** A patch body that lets storage be deleted or strips finalizers (force-deleting what they guard). */
const K8S_PATCH_BODY = /persistentVolumeReclaimPolicy|"?finalizers"?\s*:\s*(?:null|\[\s*\])|\/metadata\/finalizers/

function k8sPatch(name: string, kind: string | undefined, a: readonly string[]): null | string {
  if (kind !== undefined && K8S_PATCH_WIDE.test(kind))
    return `${name} patch ${kind}: changes storage, a node or a namespace`
  const body = a.find((v) => K8S_PATCH_BODY.test(v))
  return body === undefined ? null : `${name} patch of reclaim policy or finalizers: lets data be deleted`
}

function cluster(cmd: Cmd): null | string {
  const a = cmd.argv
  const verbs = verbsOf(cmd)
  switch (cmd.name) {
    case 'kubectl':
    case 'oc':
    case 'k': {
      const [verb, kind] = verbs
      if (verb === 'delete') {
        const ns = optionValue(a, ['-n', '--namespace'])
        if (ns !== undefined && /^(?:kube-system|kube-public|openshift-[\w-]+)$/.test(ns))
          return `${cmd.name} delete in ${ns}: deletes the cluster's own components`
        if (kind !== undefined && K8S_WIDE.test(kind))
          return `${cmd.name} delete ${kind}: deletes it with everything in it`
        if (hasFlag(a, /^--all$|^-A$|^--all-namespaces$/))
          return `${cmd.name} delete --all: deletes every resource of that kind`
        if (hasFlag(a, /^-[A-Za-z]*R$|^--recursive$/) || hasFlag(a, /^-[A-Za-z]*k$|^--kustomize/))
          return `${cmd.name} delete of a whole manifest tree`
        return null
      }

      if (verb === 'drain') return `${cmd.name} drain: evicts every workload from a node`
      if (verb === 'scale' && hasFlag(a, /^--all$|^-A$|^--all-namespaces$/) && optionValue(a, ['--replicas']) === '0')
        return `${cmd.name} scale --all to 0: stops every workload`
      if (verb === 'patch') return k8sPatch(cmd.name, kind, a)
      if (verb === 'replace' && hasFlag(a, /^--force$/)) return `${cmd.name} replace --force: deletes and re-creates`
      return null
    }

    case 'helm': {
      return verbs[0] !== undefined && /^(?:uninstall|delete|del|un)$/.test(verbs[0])
        ? `helm ${verbs[0]}: removes a release and its resources`
        : null
    }

    case 'eksctl': {
      return verbs[0] === 'delete' ? `eksctl delete ${verbs[1] ?? ''}: deletes a cluster or its parts` : null
    }

    case 'kind':
    case 'k3d':
    case 'minikube':
    case 'microk8s': {
      return verbs.includes('delete') || verbs.includes('reset')
        ? `${cmd.name} ${verbs.join(' ')}: deletes a cluster`
        : null
    }

    case 'nomad': {
      return verbs[0] === 'job' && verbs[1] === 'stop' && hasFlag(a, /^-purge$/) ? 'nomad job stop -purge' : null
    }

    case 'consul': {
      return verbs[0] === 'kv' && verbs[1] === 'delete' && hasFlag(a, /^-recurse$/) ? 'consul kv delete -recurse' : null
    }

    default: {
      return null
    }
  }
}

const CLOUD_DELETE = new RegExp(
  String.raw`^(?:[\w-]+:)?(?:delete|destroy|terminate|remove|purge|rb|rm|deregister|disable|` +
    String.raw`wipe|reset|apps:destroy|addons:destroy|pg:reset|firestore:delete|` +
    String.raw`database:remove|hosting:disable)(?:[-:].*)?$`,
)

/** An AWS operation that deletes (`delete-table`, `batch-delete-image`, `schedule-key-deletion`). */
const AWS_DELETE =
  /^(?:delete|terminate|remove|deregister|purge|disable|destroy)-|^batch-delete-|-delete$|^schedule-key-deletion$/
/** `delete`, `delete-batch`, `service-instance-delete`, and `storage rm`/`rb`. */
const GENERIC_DELETE = /^(?:delete|destroy|terminate|purge|remove)(?:-[a-z-]+)?$|^(?:rm|rb)$|-(?:delete|destroy)$/

function cloud(cmd: Cmd): null | string {
  const verbs = verbsOf(cmd)
  switch (cmd.name) {
    case 'aws': {
      const [service, op] = verbs
      if (service === 's3' && (op === 'rb' || op === 'rm')) return `aws s3 ${op}: deletes buckets or objects`
      if (op !== undefined && AWS_DELETE.test(op)) return `aws ${service} ${op}: deletes cloud resources`
      return null
    }

    case 'gcloud':
    case 'az':
    case 'doctl':
    case 'linode-cli':
    case 'hcloud':
    case 'oci':
    case 'ibmcloud': {
      const hit = verbs.find((v) => GENERIC_DELETE.test(v))
      return hit ? `${cmd.name} ${verbs.slice(0, verbs.indexOf(hit) + 1).join(' ')}: deletes cloud resources` : null
    }

    case 'gsutil': {
      return verbs[0] === 'rm' || verbs[0] === 'rb' ? `gsutil ${verbs[0]}: deletes buckets or objects` : null
    }

    case 'rclone': {
      return verbs[0] !== undefined && /^(?:purge|delete|deletefile|rmdir|rmdirs|cleanup)$/.test(verbs[0])
        ? `rclone ${verbs[0]}: deletes remote files`
        : null
    }

    case 'heroku':
    case 'flyctl':
    case 'fly':
    case 'vercel':
    case 'netlify':
    case 'firebase':
    case 'railway':
    case 'render':
    case 'wrangler':
    case 'supabase': {
      const hit = verbs.find((v) => CLOUD_DELETE.test(v))
      return hit ? `${cmd.name} ${hit}: deletes a deployed app or its data` : null
    }

    case 'vault': {
      return (verbs[0] === 'secrets' && verbs[1] === 'disable') || verbs.includes('delete') || verbs.includes('destroy')
        ? `vault ${verbs.slice(0, 2).join(' ')}: deletes secrets`
        : null
    }

    default: {
      return null
    }
  }
}

function containers(cmd: Cmd, substituted: boolean): null | string {
  const a = cmd.argv
  const verbs = verbsOf(cmd)
  const all = hasFlag(a, /^-[A-Za-z]*a[A-Za-z]*$|^--all$/)
  const volumes = hasFlag(a, /^--volumes$|^-[A-Za-z]*v[A-Za-z]*$/)
  const [v0, v1] = verbs
  if (v0 === 'system' && v1 === 'prune' && (all || volumes))
    return `${cmd.name} system prune -a/--volumes: deletes images, containers and data`
  if (v0 === 'system' && v1 === 'reset') return `${cmd.name} system reset: deletes every container, image and volume`
  if (v0 === 'volume' && (v1 === 'rm' || v1 === 'prune' || v1 === 'remove'))
    return `${cmd.name} volume ${v1}: deletes stored data`
  if ((v0 === 'image' || v0 === 'container') && v1 === 'prune' && (all || v0 === 'container'))
    return `${cmd.name} ${v0} prune: deletes every unused ${v0}`
  if (v0 === 'network' && v1 === 'prune') return `${cmd.name} network prune: deletes every unused network`
  if ((v0 === 'builder' || v0 === 'buildx') && v1 === 'prune' && all)
    return `${cmd.name} ${v0} prune -a: deletes the whole build cache`
  if ((v0 === 'compose' || cmd.name === 'docker-compose') && verbs.includes('down') && volumes)
    return 'compose down -v: deletes the volumes with their data'
  if (v0 === 'swarm' && v1 === 'leave' && hasFlag(a, /^--force$|^-f$/)) return 'docker swarm leave --force'
  if (v0 === 'secret' && (v1 === 'rm' || v1 === 'remove')) return `${cmd.name} secret rm`
  if (
    (v0 === 'rm' || v0 === 'rmi' || (v0 === 'service' && v1 === 'rm') || (v0 === 'container' && v1 === 'rm')) &&
    substituted
  )
    return `${cmd.name} ${v0} of every container or image listed at run time`
  if ((v0 === 'rm' || v0 === 'rmi') && all) return `${cmd.name} ${v0} --all`
  return null
}

export const infrastructure = commandRule({
  id: 'destructive.infrastructure',
  pack: 'destructive',
  decision: 'deny',
  reason: 'destroys infrastructure, clusters, cloud resources or containers with their data',
  programs: [
    'terraform',
    'tofu',
    'terragrunt',
    'pulumi',
    'cdk',
    'cdktf',
    'sls',
    'serverless',
    'kubectl',
    'oc',
    'k',
    'helm',
    'eksctl',
    'kind',
    'k3d',
    'minikube',
    'microk8s',
    'nomad',
    'consul',
    'aws',
    'gcloud',
    'az',
    'doctl',
    'linode-cli',
    'hcloud',
    'oci',
    'ibmcloud',
    'gsutil',
    'rclone',
    'vault',
    'heroku',
    'flyctl',
    'fly',
    'vercel',
    'netlify',
    'firebase',
    'railway',
    'render',
    'wrangler',
    'supabase',
    'docker',
    'podman',
    'nerdctl',
    'docker-compose',
  ],
  examples: {
    match: [
      'terraform destroy -auto-approve',
      'terraform apply -destroy',
      'pulumi destroy --yes',
      'kubectl delete ns prod',
      'kubectl delete all --all',
      'kubectl delete pvc --all',
      'helm uninstall api',
      'eksctl delete cluster --name x',
      'aws s3 rb s3://b --force',
      'aws ec2 terminate-instances --instance-ids i-1',
      'gcloud compute instances delete x',
      'az group delete -n rg --yes',
      'docker system prune -af --volumes',
      'docker rm -f $(docker ps -aq)',
      'docker volume prune -f',
      'podman system reset',
      'docker network prune -f',
      'docker builder prune -af',
      'docker buildx prune --all --force',
      'podman container prune -f',
      'kubectl patch pv pv1 -p \'{"spec":{"persistentVolumeReclaimPolicy":"Delete"}}\'',
      'kubectl patch node n1 -p \'{"spec":{"unschedulable":true}}\'',
      'kubectl -n prod patch pvc/data --type merge -p x',
      'kubectl patch ns prod -p \'{"metadata":{"finalizers":null}}\'',
      'kubectl scale deploy --all --replicas 0',
      'kubectl -n argocd delete applications.argoproj.io shop',
      "python3 -c \"import boto3; boto3.client('s3').delete_bucket(Bucket='b')\"",
    ],
    not_match: [
      'terraform plan',
      'terraform apply',
      'kubectl get pods',
      'kubectl delete pod api-1',
      'helm list',
      'aws s3 ls',
      'gcloud config list',
      'docker system prune -f',
      'docker rm web',
      'docker image prune -f',
      'docker compose down',
      'docker builder prune -f',
      'docker network ls',
      'kubectl patch deployment api -p \'{"spec":{"replicas":3}}\'',
      'kubectl cordon n1',
      'kubectl scale deploy api --replicas=0',
    ],
  },
  check(cmd) {
    const substituted = cmd.args.some((w) => w.substitution)
    return (
      iac(cmd) ??
      cluster(cmd) ??
      cloud(cmd) ??
      (/^(?:docker|podman|nerdctl|docker-compose)$/.test(cmd.name) ? containers(cmd, substituted) : null)
    )
  },
})

export const infraRules: readonly CommandRule[] = [infrastructure]
