/**
 * Cloud accounts' own guardrails (issue 12): switching off the audit trail or threat detection, granting an
 * identity administrator rights, and minting a long-lived key for a service account. Each is one ordinary-looking
 * CLI call that changes who can do what in the whole account, and what gets recorded.
 */

import type {Cmd} from '../command.js'

import {commandRule, type CommandRule} from '../rules.js'
import {verbsOf} from '../subcommands.js'

const ADMIN_POLICY =
  /AdministratorAccess|IAMFullAccess|PowerUserAccess|roles\/(?:owner|editor|iam\.\w*[Aa]dmin)|\bOwner\b/

function guardrail(cmd: Cmd): null | string {
  const [service = '', action = ''] = verbsOf(cmd)
  const argv = cmd.argv.join(' ')
  switch (cmd.name) {
    case 'aws': {
      if (service === 'cloudtrail' && /^(?:stop-logging|delete-trail|put-event-selectors)$/.test(action))
        return `aws cloudtrail ${action}: stops recording what happens in the account`
      if (service === 'guardduty' && /^(?:delete-detector|disassociate)/.test(action))
        return `aws guardduty ${action}: switches threat detection off`
      if (
        (service === 'config' || service === 'configservice') &&
        /^(?:stop-configuration-recorder|delete-configuration-recorder)$/.test(action)
      )
        return `aws config ${action}: stops recording configuration changes`
      if (service === 'iam' && /^(?:attach-(?:user|role|group)-policy|put-(?:user|role)-policy)$/.test(action))
        return ADMIN_POLICY.test(argv) ? `aws iam ${action}: grants administrator rights` : null
      if (service === 'iam' && action === 'create-access-key')
        return 'aws iam create-access-key: mints a long-lived key'
      return null
    }

    case 'gcloud': {
      if (/\bkeys create\b/.test(argv) && service === 'iam')
        return 'gcloud iam … keys create: mints a service-account key'
      if (/add-iam-policy-binding/.test(argv) && ADMIN_POLICY.test(argv))
        return 'gcloud add-iam-policy-binding owner/editor: grants administrator rights'
      if (service === 'logging' && /^sinks$/.test(action) && /\bdelete\b/.test(argv))
        return 'gcloud logging sinks delete'
      return null
    }

    case 'az': {
      if (service === 'role' && action === 'assignment' && /\bcreate\b/.test(argv) && ADMIN_POLICY.test(argv))
        return 'az role assignment create Owner: grants administrator rights'
      if (service === 'monitor' && /diagnostic-settings delete/.test(argv))
        return 'az monitor diagnostic-settings delete'
      return null
    }

    default: {
      return null
    }
  }
}

export const cloudGuardrails = commandRule({
  id: 'system.cloud-guardrails',
  pack: 'system',
  decision: 'deny',
  reason: "switches off a cloud account's audit trail or threat detection, grants administrator rights, or mints keys",
  programs: ['aws', 'gcloud', 'az'],
  examples: {
    match: [
      'aws cloudtrail stop-logging --name main',
      'aws guardduty delete-detector --detector-id x',
      'aws iam attach-user-policy --user-name x --policy-arn arn:aws:iam::aws:policy/AdministratorAccess',
      'aws iam create-access-key --user-name deploy',
      'gcloud iam service-accounts keys create key.json --iam-account x@p.iam.gserviceaccount.com',
      'gcloud projects add-iam-policy-binding p --member user:x@y.z --role roles/owner',
      'az role assignment create --assignee x --role Owner --scope /subscriptions/1',
    ],
    not_match: [
      'aws cloudtrail describe-trails',
      'aws iam list-users',
      'aws iam attach-role-policy --role-name app --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
      'gcloud iam service-accounts list',
      'az role assignment list',
    ],
  },
  check: (cmd) => guardrail(cmd),
})

export const cloudGuardrailRules: readonly CommandRule[] = [cloudGuardrails]
