/** Credentials pack: keychains, password managers and cloud secret stores. */

import type {Cmd} from '../../command.js'

import {commandRule} from '../../rules.js'
import {verbsOf} from '../../subcommands.js'

export const keychain = commandRule({
  id: 'credentials.keychain',
  pack: 'credentials',
  decision: 'deny',
  reason: 'reads secrets from a keychain, password manager or credential helper',
  programs: [
    'security',
    'secret-tool',
    'gpg',
    'gpg2',
    'keyctl',
    'pass',
    'op',
    'bw',
    'lpass',
    'vault',
    'git',
    'kubectl',
    'aws-vault',
    'gopass',
  ],
  examples: {
    match: [
      'security find-generic-password -wa x',
      'secret-tool lookup service x',
      'gpg --export-secret-keys',
      'pass show email',
      'op read op://v/i/f',
      'bw get password x',
      'vault kv get secret/x',
      'git credential fill',
      'kubectl config view --raw',
    ],
    not_match: ['gpg --verify x.sig', 'git status', 'kubectl get pods', 'pass'],
  },
  check(cmd) {
    const a = cmd.argv
    const first = a.find((v) => !v.startsWith('-'))
    switch (cmd.name) {
      case 'security': {
        return first !== undefined &&
          /^(?:find-generic-password|find-internet-password|dump-keychain|export|find-certificate)$/.test(first)
          ? `security ${first}`
          : null
      }

      case 'secret-tool': {
        return first === 'lookup' || first === 'search' ? `secret-tool ${first}` : null
      }

      case 'gpg':
      case 'gpg2': {
        return a.some((v) => v.startsWith('--export-secret')) ? `${cmd.name} exports secret keys` : null
      }

      case 'keyctl': {
        return first !== undefined && /^(?:print|read|pipe)$/.test(first) ? `keyctl ${first}` : null
      }

      case 'pass':
      case 'gopass': {
        return first !== undefined && !/^(?:ls|list|find|search|help|version|init|git)$/.test(first)
          ? `${cmd.name} ${first}`
          : null
      }

      case 'op':
      case 'bw':
      case 'lpass': {
        return first !== undefined && /^(?:read|get|item|show|export|inject|run)$/.test(first)
          ? `${cmd.name} ${first}`
          : null
      }

      case 'vault': {
        return a.some((v) => v === 'read' || v === 'get' || v === 'token') ? `vault ${a.join(' ')}` : null
      }

      case 'aws-vault': {
        return true
      }

      case 'git': {
        return a.includes('credential') && a.some((v) => v === 'fill' || v === 'get') ? 'git credential fill' : null
      }

      case 'kubectl': {
        return a.includes('config') && a.includes('view') && a.some((v) => v === '--raw' || v === '--flatten')
          ? 'kubectl config view --raw'
          : null
      }

      default: {
        return null
      }
    }
  },
})

const K8S_OUTPUT = /^-o(?:=|$)|^--output(?:=|$)/
const K8S_SHOWS_VALUES = /^(?:ya?ml|json|jsonpath.*|go-template.*|custom-columns.*|template.*)$/

/** Developer CLIs asked to print the credential they hold: `gh auth token`, `aws configure get …secret…`. */
function cliToken(cmd: Cmd): null | string {
  const verbs = verbsOf(cmd)
  const [first, second] = verbs
  switch (cmd.name) {
    case 'aws': {
      if (first !== 'configure') return null
      if (second === 'export-credentials') return 'aws configure export-credentials: prints the access keys'
      return second === 'get' && /secret|session_token|access_key/i.test(verbs[2] ?? '')
        ? `aws configure get ${verbs[2]}: prints a credential`
        : null
    }

    case 'gh':
    case 'glab': {
      if (first !== 'auth') return null
      if (second === 'token') return `${cmd.name} auth token: prints the access token`
      return second === 'status' && cmd.argv.some((v) => v === '--show-token' || v === '-t')
        ? `${cmd.name} auth status --show-token: prints the access token`
        : null
    }

    case 'heroku': {
      if (first === 'auth:token' || first === 'authorizations:create') return `heroku ${first}: prints an API token`
      return first === 'config' || first === 'config:get' ? `heroku ${first}: prints the app's secret settings` : null
    }

    case 'netlify': {
      return first === 'env:list' || first === 'env:get' ? `netlify ${first}: prints the site's secrets` : null
    }

    case 'pulumi': {
      return cmd.argv.includes('--show-secrets') ? 'pulumi --show-secrets: prints secret values' : null
    }

    case 'ansible-vault': {
      return first === 'view' || first === 'decrypt' ? `ansible-vault ${first}: decrypts the vault` : null
    }

    case 'sops': {
      return cmd.argv.some((a) => a === '-d' || a === '--decrypt') || first === 'decrypt'
        ? 'sops --decrypt: prints decrypted secrets'
        : null
    }

    case 'doctl': {
      return first === 'auth' && second === 'token' ? 'doctl auth token: prints the API token' : null
    }

    case 'vault': {
      const reads = first === 'read' || (first === 'kv' && second === 'get')
      return reads || (first === 'token' && second === 'create')
        ? `vault ${verbs.slice(0, 2).join(' ')}: prints secrets`
        : null
    }

    case 'op': {
      if (first === 'read') return 'op read: prints a secret from 1Password'
      return first === 'item' && second === 'get' && cmd.argv.some((v) => v === '--reveal' || v.startsWith('--fields'))
        ? 'op item get --reveal: prints a secret from 1Password'
        : null
    }

    case 'bw': {
      return first === 'get' && /^(?:password|totp|item|notes)$/.test(second ?? '')
        ? `bw get ${second}: prints a secret from Bitwarden`
        : null
    }

    case 'pass':
    case 'gopass': {
      return first === 'show' ||
        (first !== undefined &&
          !/^(?:ls|list|find|search|init|git|help|version|generate|insert|edit|rm|mv|cp)$/.test(first) &&
          !first.startsWith('-'))
        ? `${cmd.name} ${first ?? ''}: prints a password`
        : null
    }

    default: {
      return null
    }
  }
}

export const cloudSecrets = commandRule({
  id: 'credentials.cloud-secrets',
  pack: 'credentials',
  decision: 'deny',
  reason: "prints secret values from a cluster, a cloud secret store, a password manager or a CLI's login",
  programs: [
    'kubectl',
    'oc',
    'k',
    'aws',
    'gcloud',
    'az',
    'doppler',
    'infisical',
    'gh',
    'glab',
    'heroku',
    'vault',
    'op',
    'bw',
    'pass',
    'gopass',
    'doctl',
    'netlify',
    'pulumi',
    'ansible-vault',
    'sops',
  ],
  examples: {
    match: [
      'kubectl get secret db -o yaml',
      'kubectl get secrets -A -o json',
      'kubectl get secret x -o jsonpath={.data.password}',
      'aws secretsmanager get-secret-value --secret-id x',
      'aws ssm get-parameter --name /x --with-decryption',
      'gcloud secrets versions access latest --secret=x',
      'az keyvault secret show --vault-name v --name x',
      'kubectl -n prod get secret x -o json',
      'gcloud auth print-access-token',
      'aws sts get-session-token',
      'aws configure get aws_secret_access_key',
      'aws configure export-credentials --format env',
      'gh auth token',
      'gh auth status --show-token',
      'heroku auth:token',
      'vault kv get secret/prod/db',
      'op read op://Private/github/token',
      'bw get password github',
      'pass show email/work',
      'heroku config:get DATABASE_URL -a prod',
      'pulumi stack output --show-secrets',
      'sops -d secrets.enc.yaml',
      'ansible-vault view group_vars/all/vault.yml',
    ],
    not_match: [
      'kubectl get secrets',
      'kubectl describe secret x',
      'kubectl get pods -o yaml',
      'aws s3 ls',
      'aws configure get region',
      'gh auth status',
      'heroku apps',
      'vault status',
      'op whoami',
      'pass ls',
      'heroku logs --tail',
      'pulumi stack output',
      'sops -e -i secrets.yaml',
      'ansible-vault encrypt vault.yml',
    ],
  },
  check(cmd) {
    const tool = cliToken(cmd)
    if (tool) return tool
    const a = cmd.argv
    // Past global options (`kubectl -n prod get secret x -o json`).
    const verbs = verbsOf(cmd)
    switch (cmd.name) {
      case 'kubectl':
      case 'oc':
      case 'k': {
        if (verbs[0] === 'view-secret') return `${cmd.name} view-secret: prints secret values`
        if (verbs[0] === 'create' && verbs[1] === 'token') return `${cmd.name} create token: mints a cluster credential`
        if (verbs[0] !== 'get' || !verbs.slice(1).some((v) => /(?:^|,)secrets?(?:\/|,|$)/.test(v))) return null
        for (let i = 0; i < a.length; i++) {
          const v = a[i] as string
          if (!K8S_OUTPUT.test(v)) continue
          const format = v.includes('=')
            ? v.slice(v.indexOf('=') + 1)
            : v.length > 2 && v.startsWith('-o')
              ? v.slice(2)
              : (a[i + 1] ?? '')
          if (K8S_SHOWS_VALUES.test(format))
            return `${cmd.name} get secret -o ${format.split('=')[0]}: prints secret values`
        }

        return a.some((v) => /^-o(?:ya?ml|json|jsonpath)/.test(v))
          ? `${cmd.name} get secret: prints secret values`
          : null
      }

      case 'aws': {
        if (verbs[0] === 'sts' && /^(?:get-session-token|get-federation-token|assume-role)/.test(verbs[1] ?? ''))
          return `aws sts ${verbs[1]}: prints temporary credentials`
        if (verbs[0] === 'secretsmanager' && verbs[1] === 'get-secret-value')
          return 'aws secretsmanager get-secret-value'
        if (
          verbs[0] === 'ssm' &&
          /^get-parameters?(?:-by-path)?$/.test(verbs[1] ?? '') &&
          a.includes('--with-decryption')
        )
          return `aws ssm ${verbs[1]} --with-decryption`
        return null
      }

      case 'gcloud': {
        if (
          verbs[0] === 'auth' &&
          /^(?:print-access-token|print-identity-token|application-default)$/.test(verbs[1] ?? '')
        )
          return `gcloud auth ${verbs[1]}: prints a credential`
        return verbs[0] === 'secrets' && verbs.includes('access') ? 'gcloud secrets versions access' : null
      }

      case 'az': {
        if (verbs[0] === 'account' && verbs[1] === 'get-access-token') return 'az account get-access-token'
        return verbs[0] === 'keyvault' && verbs[1] === 'secret' && (verbs[2] === 'show' || verbs[2] === 'download')
          ? `az keyvault secret ${verbs[2]}`
          : null
      }

      default: {
        return verbs[0] === 'secrets' && (verbs[1] === 'get' || verbs[1] === 'download')
          ? `${cmd.name} secrets ${verbs[1]}`
          : null
      }
    }
  },
})
