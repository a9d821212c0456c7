/**
 * Cloud resources opened to everyone, and identities handed more power (issue 12, held-out round): a
 * firewall or security group opened to 0.0.0.0/0 or ::/0, a managed database made public, a bucket,
 * snapshot or image shared with all users, credentials minted for a service principal, the cluster
 * administrator role bound to a workload, an account leaving its organisation's controls, SSH keys
 * planted in project metadata. Each is one ordinary-looking call; looking at the same resources
 * (`describe-security-groups`, `gsutil iam get`, a rule opened to one /32) stays the remote pack's ask.
 */

import type {Cmd} from '../command.js'

import {commandRule, type CommandRule} from '../rules.js'
import {optionValue, verbsOf} from '../subcommands.js'
import {adminPolicy, anyonePolicy, EVERYONE, flagOn, optionValues, WORLD_RANGE} from './cloud-args.js'

const PUBLIC_ACL = /^(?:public-read(?:-write)?|authenticated-read|publicRead(?:Write)?|allAuthenticatedUsers)$/i

function aws(cmd: Cmd): null | string {
  const a = cmd.argv
  const [service = '', op = ''] = verbsOf(cmd)
  const all = a.join(' ')
  const what = `aws ${service} ${op}`
  // Ingress opened to the whole internet, on whatever port (egress to 0.0.0.0/0 is every VPC's default).
  if (/^(?:authorize-security-group-ingress|open-instance-public-ports|put-instance-public-ports)$/.test(op))
    return WORLD_RANGE.test(all) ? `${what}: opens the machines to the whole internet` : null
  if (/^(?:create|replace)-network-acl-entry$/.test(op) && a.includes('--ingress') && WORLD_RANGE.test(all))
    return /\ballow\b/i.test(all) ? `${what}: lets the whole internet through the subnet's ACL` : null
  if (flagOn(a, '--publicly-accessible')) return `${what} --publicly-accessible: puts the database on the internet`
  // Snapshots, images and database snapshots shared with every AWS account.
  if (/^modify-(?:snapshot|image|db-snapshot|db-cluster-snapshot|fpga-image)-attribute$/.test(op)) {
    const shared = /\bGroup=all\b|"Group"\s*:\s*"all"/i.test(all) || optionValues(a, ['--group-names']).includes('all')
    if (shared || optionValues(a, ['--values-to-add']).some((v) => /^all$/i.test(v)))
      return `${what}: shares it with every AWS account`
    return null
  }

  if (/^put-(?:bucket|object)-acl$/.test(op)) {
    const acl = optionValue(a, ['--acl'])
    if ((acl !== undefined && PUBLIC_ACL.test(acl)) || EVERYONE.test(all)) return `${what}: makes it readable by anyone`
    return null
  }

  if (/^put-public-access-block$/.test(op) && /=\s*false|:\s*false/i.test(all))
    return `${what}: lifts the block on public access`
  if (/policy|permission/.test(op) && anyonePolicy(all))
    return `${what}: a policy that lets anyone in ("Principal": "*")`
  if (service === 'lambda' && op === 'add-permission' && optionValue(a, ['--principal']) === '*')
    return 'aws lambda add-permission --principal *: lets anyone invoke the function'
  if (service === 'iam' && /^put-(?:user|role|group)-policy$|^create-policy(?:-version)?$/.test(op) && adminPolicy(all))
    return `${what}: grants every action on every resource`
  if (service === 'iam' && /^(?:create|update)-login-profile$/.test(op))
    return `${what}: sets a console password for the user`
  if (service === 'organizations' && op === 'leave-organization')
    return "aws organizations leave-organization: takes the account out of the organisation's guardrails"
  return null
}

/** Roles meant for the public (a public Cloud Run service or function): granting them to allUsers is deployment. */
const INVOKER = /roles\/(?:run|cloudfunctions)\.invoker\b/

function gcloud(cmd: Cmd): null | string {
  const a = cmd.argv
  const verbs = verbsOf(cmd)
  const all = a.join(' ')
  const path = verbs.slice(0, 3).join(' ')
  const ranges = optionValues(a, ['--source-ranges', '--authorized-networks', '--master-authorized-networks'])
  if (ranges.some((r) => WORLD_RANGE.test(r))) return `gcloud ${path}: opens it to the whole internet`
  if (verbs[0] === 'compute' && verbs[1] === 'firewall-rules' && verbs[2] === 'create') {
    const egress = /^egress$/i.test(optionValue(a, ['--direction']) ?? '')
    const scoped = ranges.length > 0 || optionValues(a, ['--source-tags', '--source-service-accounts']).length > 0
    // Without a source the rule applies to 0.0.0.0/0. Web ports are meant for everyone; anything else
    // (SSH, RDP, a database, every port) is then open to the whole internet.
    const allowed = optionValues(a, ['--allow']).flatMap((v) => v.split(','))
    if (!egress && !scoped && allowed.some((v) => !/^tcp:(?:80|443|8080|8443)$/i.test(v)))
      return `gcloud compute firewall-rules create --allow=${allowed.join(',')} with no source: open to everyone`
  }

  const members = optionValues(a, ['--member', '--members'])
  if (members.some((m) => EVERYONE.test(m)) && /add-iam-policy-binding/.test(all) && !INVOKER.test(all))
    return `gcloud ${path}: grants a role to everyone on the internet`
  if (verbs.includes('set-iam-policy') && /^(?:organizations|projects|resource-manager)$/.test(verbs[0] ?? ''))
    return `gcloud ${path} set-iam-policy: replaces who may do what in the whole organisation or project`
  const acl = optionValue(a, ['--predefined-acl', '--predefined-default-object-acl'])
  if (acl !== undefined && PUBLIC_ACL.test(acl)) return `gcloud ${path} --predefined-acl ${acl}: makes it public`
  if (verbs.includes('add-metadata') && /\bssh-?keys\s*=|\bsshKeys\s*=/i.test(all))
    return `gcloud ${path} add-metadata ssh-keys: plants an SSH key on the machines`
  return null
}

function gsutil(cmd: Cmd): null | string {
  const a = cmd.argv
  const verbs = verbsOf(cmd)
  const [group, op] = verbs
  if (group === 'iam' && op === 'ch') {
    // `-d allUsers` removes the binding: only members being added count.
    const added = a.filter((v, i) => !v.startsWith('-') && a[i - 1] !== '-d')
    return added.some((v) => EVERYONE.test(v)) ? 'gsutil iam ch allUsers: makes the bucket readable by anyone' : null
  }

  if ((group === 'acl' || group === 'defacl') && op === 'ch') {
    const grants = optionValues(a, ['-u', '-g', '-p'])
    return grants.some((v) => EVERYONE.test(v)) ? `gsutil ${group} ch AllUsers: makes objects readable by anyone` : null
  }

  if ((group === 'acl' || group === 'defacl') && op === 'set' && PUBLIC_ACL.test(verbs[2] ?? ''))
    return `gsutil ${group} set ${verbs[2]}: makes objects readable by anyone`
  return null
}

function az(cmd: Cmd): null | string {
  const a = cmd.argv
  const verbs = verbsOf(cmd)
  const path = verbs.slice(0, 4).join(' ')
  const [v0, v1, v2, v3] = verbs
  if (v0 === 'storage' && v1 === 'container' && (v2 === 'set-permission' || v2 === 'create')) {
    const access = optionValue(a, ['--public-access'])
    return access !== undefined && /^(?:blob|container)$/i.test(access)
      ? `az storage container ${v2} --public-access ${access}: makes its blobs readable by anyone`
      : null
  }

  if (v0 === 'storage' && v1 === 'account' && flagOn(a, '--allow-blob-public-access'))
    return 'az storage account --allow-blob-public-access: lets containers be made public'
  if (v0 === 'network' && v1 === 'nsg' && v2 === 'rule' && (v3 === 'create' || v3 === 'update')) {
    const sources = optionValues(a, ['--source-address-prefixes', '--source-address-prefix'])
    const open = sources.some((s) => s === '*' || /^(?:internet|any)$/i.test(s) || WORLD_RANGE.test(s))
    const denied = /^deny$/i.test(optionValue(a, ['--access']) ?? '')
    const outbound = /^outbound$/i.test(optionValue(a, ['--direction']) ?? '')
    return open && !denied && !outbound ? `az ${path}: opens the network to the whole internet` : null
  }

  if (v0 === 'vm' && v1 === 'open-port') return 'az vm open-port: opens the port to the whole internet'
  if ((v1 !== undefined && v1.endsWith('firewall-rule')) || v2 === 'firewall-rule') {
    const start = optionValue(a, ['--start-ip-address', '--start-ip'])
    const end = optionValue(a, ['--end-ip-address', '--end-ip'])
    return start === '0.0.0.0' && end === '255.255.255.255' ? `az ${path}: lets every address reach the database` : null
  }

  const publicAccess = optionValue(a, ['--public-access'])
  if (publicAccess !== undefined && /^(?:all|0\.0\.0\.0-255\.255\.255\.255)$/i.test(publicAccess))
    return `az ${path} --public-access ${publicAccess}: lets every address reach the server`
  // A new secret for an application or service principal: a long-lived way in, like an access key.
  if (v0 === 'ad' && (v1 === 'sp' || v1 === 'app') && v2 === 'credential' && v3 === 'reset')
    return `az ad ${v1} credential reset: mints a new secret for the identity`
  if (v0 === 'ad' && v1 === 'sp' && v2 === 'create-for-rbac' && /^owner$/i.test(optionValue(a, ['--role']) ?? ''))
    return 'az ad sp create-for-rbac --role Owner: mints an identity with full control'
  return null
}

/** Groups that take in anyone who can reach the API server. */
const ANONYMOUS = /^system:(?:anonymous|unauthenticated|authenticated)$/

function kubectl(cmd: Cmd): null | string {
  const a = cmd.argv
  const [verb, kind] = verbsOf(cmd)
  if (verb !== 'create' || (kind !== 'clusterrolebinding' && kind !== 'rolebinding')) return null
  if (optionValue(a, ['--clusterrole']) === 'cluster-admin')
    return `${cmd.name} create ${kind} cluster-admin: gives full control of the cluster`
  const groups = optionValues(a, ['--group', '--user'])
  return groups.some((g) => ANONYMOUS.test(g)) ? `${cmd.name} create ${kind}: grants a role to anyone` : null
}

/** Options whose value says who may come in (not where traffic goes: routes and egress rules name 0.0.0.0/0 daily). */
const INBOUND_OPTION = /source|inbound|ingress|authorized|allow|cidr|ip-range|ip-address|public-access/i
const OUTBOUND = /out(?:bound)?|egress|dest/i

/**
 * Any provider's firewall or access list opened to the whole internet (DigitalOcean's `--inbound-rules`,
 * Hetzner's `--source-ips`, OCI's ingress rules, AKS's authorised ranges, EKS's public access CIDRs): an
 * option that names who may come in, given 0.0.0.0/0 or ::/0. Rules for outgoing traffic are left alone.
 */
function worldInbound(cmd: Cmd): null | string {
  const a = cmd.argv
  if (verbsOf(cmd).some((v) => OUTBOUND.test(v)) || a.some((v) => /^--egress$/.test(v))) return null
  if (OUTBOUND.test(optionValue(a, ['--direction']) ?? '')) return null
  // A rule that blocks the whole internet is the opposite of opening to it.
  if (/^deny$/i.test(optionValue(a, ['--action', '--access', '--rule-action']) ?? '')) return null
  for (let i = 0; i < a.length; i++) {
    const v = a[i] as string
    if (!WORLD_RANGE.test(v)) continue
    const name = v.startsWith('-') ? v.slice(0, Math.max(0, v.indexOf('='))) : (a[i - 1] ?? '')
    const named = name.startsWith('-') && INBOUND_OPTION.test(name) && !OUTBOUND.test(name)
    if (named || /publicAccessCidrs|"source"\s*:\s*"(?:0\.0\.0\.0\/0|::\/0)"/.test(v))
      return `${cmd.name} ${verbsOf(cmd).slice(0, 3).join(' ')}: lets the whole internet in`
  }

  return null
}

const PROVIDERS = ['doctl', 'hcloud', 'oci', 'linode-cli', 'ibmcloud', 'scw', 'vultr-cli', 'exo', 'civo', 'upctl']

export const cloudExposure = commandRule({
  id: 'system.cloud-exposure',
  pack: 'system',
  decision: 'deny',
  reason:
    'opens cloud machines, databases or storage to the whole internet, or hands an identity more power ' +
    '(public buckets, 0.0.0.0/0 rules, cluster-admin bindings, new credentials, SSH keys in metadata)',
  programs: ['aws', 'gcloud', 'gsutil', 'az', 'kubectl', 'oc', 'k', ...PROVIDERS],
  examples: {
    match: [
      'aws ec2 authorize-security-group-ingress --group-id sg-1 --protocol all --cidr=0.0.0.0/0',
      'aws ec2 authorize-security-group-ingress --group-id sg-1 --ip-permissions IpRanges=[{CidrIp=0.0.0.0/0}]',
      'aws rds create-db-instance --db-instance-identifier x --publicly-accessible',
      'aws s3api put-bucket-acl --bucket b --acl public-read',
      'aws ec2 modify-snapshot-attribute --snapshot-id s --attribute createVolumePermission --group-names all',
      'aws s3api put-bucket-policy --bucket b --policy \'{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"}}]}\'',
      'aws organizations leave-organization',
      'gcloud compute firewall-rules create open --allow tcp:5432 --source-ranges 10.0.0.0/8,0.0.0.0/0',
      'gcloud compute firewall-rules create any --allow all',
      'gcloud compute firewall-rules create ssh-in --allow=tcp:22 --direction=INGRESS --network=default',
      'az webapp config access-restriction add -g rg -n app --rule-name r --action Allow --ip-address 0.0.0.0/0',
      'gcloud sql instances patch db1 --authorized-networks=0.0.0.0/0',
      'gcloud storage buckets add-iam-policy-binding gs://b --member=allUsers --role=roles/storage.objectViewer',
      'gcloud organizations set-iam-policy 1234 policy.json',
      'gcloud compute project-info add-metadata --metadata=ssh-keys="u:ssh-ed25519 AAAA u"',
      'gsutil iam ch allAuthenticatedUsers:objectViewer gs://b',
      'gsutil acl ch -u AllUsers:R gs://b/o',
      'gsutil defacl set public-read gs://b',
      'az storage container set-permission -n c --public-access blob',
      'az network nsg rule create -g rg --nsg-name n -n r --priority 100 --source-address-prefixes Internet',
      'az sql server firewall-rule create -s srv -n all --start-ip-address 0.0.0.0 --end-ip-address 255.255.255.255',
      'az ad app credential reset --id 1111',
      'kubectl create clusterrolebinding x --clusterrole cluster-admin --serviceaccount=dev:ci',
      'kubectl create rolebinding x --clusterrole=view --group=system:unauthenticated',
      'doctl compute firewall create --name fw --inbound-rules "protocol:tcp,ports:all,address:0.0.0.0/0"',
      'hcloud firewall add-rule fw --direction in --protocol tcp --port 5432 --source-ips ::/0',
      'az aks update -g rg -n k --api-server-authorized-ip-ranges=0.0.0.0/0',
      'aws eks update-cluster-config --name c --resources-vpc-config publicAccessCidrs=0.0.0.0/0',
    ],
    not_match: [
      'aws ec2 describe-security-groups',
      'aws ec2 authorize-security-group-ingress --group-id sg-1 --protocol tcp --port 22 --cidr 203.0.113.7/32',
      'aws ec2 authorize-security-group-egress --group-id sg-1 --cidr 0.0.0.0/0 --protocol all',
      'aws rds modify-db-instance --db-instance-identifier x --no-publicly-accessible',
      'aws s3api put-bucket-acl --bucket b --acl private',
      'aws s3api put-bucket-policy --bucket b --policy file://policy.json',
      'gcloud compute firewall-rules create ssh --allow tcp:22 --source-ranges 35.235.240.0/20',
      'gcloud compute firewall-rules list',
      'gcloud compute firewall-rules create web --allow tcp:80,tcp:443 --target-tags web',
      'az webapp config access-restriction add -g rg -n app --rule-name r --action Deny --ip-address 0.0.0.0/0',
      'gcloud compute firewall-rules create ssh-tagged --allow tcp:22 --source-tags bastion',
      'gcloud run services add-iam-policy-binding web --member=allUsers --role=roles/run.invoker',
      'gcloud projects get-iam-policy p',
      'gsutil iam get gs://b',
      'gsutil iam ch -d allUsers gs://b',
      'gsutil acl ch -u ops@example.com:R gs://b',
      'az storage container set-permission -n c --public-access off',
      'az network nsg rule create -g rg --nsg-name n -n r --source-address-prefixes 10.0.0.0/16',
      'az ad sp list',
      'kubectl create rolebinding dev --clusterrole=edit --user=alice -n dev',
      'kubectl get clusterrolebindings',
      'doctl compute firewall create --name fw --outbound-rules "protocol:tcp,ports:all,address:0.0.0.0/0"',
      'hcloud firewall add-rule fw --direction out --protocol tcp --port 443 --destination-ips 0.0.0.0/0',
      'aws ec2 create-route --route-table-id r --destination-cidr-block 0.0.0.0/0 --gateway-id igw-1',
      'aws ec2 create-network-acl-entry --network-acl-id a --egress --rule-number 100 --cidr-block 0.0.0.0/0',
      'gcloud compute routes create default-out --destination-range=0.0.0.0/0 --next-hop-gateway=default',
    ],
  },
  check(cmd) {
    switch (cmd.name) {
      case 'aws': {
        return aws(cmd) ?? worldInbound(cmd)
      }

      case 'gcloud': {
        return gcloud(cmd) ?? worldInbound(cmd)
      }

      case 'gsutil': {
        return gsutil(cmd)
      }

      case 'az': {
        return az(cmd) ?? worldInbound(cmd)
      }

      case 'kubectl':
      case 'oc':
      case 'k': {
        return kubectl(cmd)
      }

      default: {
        return worldInbound(cmd)
      }
    }
  },
})

export const cloudExposureRules: readonly CommandRule[] = [cloudExposure]
