/**
 * Credential access pack (SPEC §4.3): key and secret files (SSH keys, cloud and cluster
 * credentials, password stores, shadow files, browser logins), `.env` files (asked, not refused),
 * environment dumps, secret-looking variables, and OS keychains. Paths are judged after resolving
 * them against the working directory, so `../../home/me/.ssh/id_rsa` is seen for what it is.
 */

import type {Cmd} from '../command.js'
import type {Word} from '../words.js'

import {touches} from '../effects.js'
import {parseOptions} from '../options.js'
import {placeText} from '../paths.js'
import {type CommandRule, commandRule, type RuleEnv} from '../rules.js'

const SECRET_PATHS: readonly RegExp[] = [
  /(?:^|\/)\.ssh(?:\/|$)/,
  /(?:^|\/)id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?$/,
  /\.(?:pem|key|p12|pfx|jks|keystore|ppk|kdbx|ovpn|tfstate)$/i,
  /(?:^|\/)\.aws(?:\/|$)/,
  /(?:^|\/)\.config\/gcloud(?:\/|$)/,
  /(?:^|\/)\.azure(?:\/|$)/,
  /(?:^|\/)\.kube(?:\/|$)/,
  /(?:^|\/)[._]netrc$/,
  /(?:^|\/)\.docker\/config\.json$/,
  /^\/etc\/(?:shadow|gshadow|sudoers|master\.passwd|security\/opasswd)(?:[-.]|$)/,
  /^\/etc\/sudoers\.d(?:\/|$)/,
  /(?:^|\/)\.gnupg(?:\/|$)/,
  /(?:^|\/)\.password-store(?:\/|$)/,
  /(?:^|\/)\.(?:git-credentials|pgpass|npmrc|pypirc|vault-token|terraformrc|my\.cnf|s3cfg|boto)$/,
  /(?:^|\/)\.config\/(?:gh\/hosts\.yml|hub|rclone\/rclone\.conf|doctl|op)(?:\/|$)/,
  /^\/proc\/[^/]+\/environ$/,
  /^\/(?:var\/)?run\/secrets(?:\/|$)/,
  /(?:^|\/)\.(?:bash|zsh|sh|python|node_repl|mysql|psql|sqlite|lesshst)_?history$/,
  /(?:^|\/)(?:credentials|service-account[\w.-]*)\.json$/,
  /(?:^|\/)(?:Cookies|Login Data|Web Data|logins\.json|key[34]\.db|cookies\.sqlite)$/,
  /(?:^|\/)Library\/Keychains(?:\/|$)/,
  /(?:^|\/)\.local\/share\/keyrings(?:\/|$)/,
]

/** All of the above as one expression: every path of every command is tested, so one pass matters. */
export const SECRET_PATH = new RegExp(SECRET_PATHS.map((re) => `(?:${re.source})`).join('|'), 'i')

const DOTENV = /(?:^|\/)\.env(?:rc)?(?:\.(?!(?:example|sample|template|dist|defaults)\b)[\w.-]+)?$/

/** Programs that show names and sizes, never contents: `ls -la ~/.ssh` reveals no key. */
const LISTERS = new Set([
  'ls',
  'stat',
  'tree',
  'du',
  'file',
  'test',
  '[',
  'exa',
  'eza',
  'lsd',
  'realpath',
  'readlink',
  'dirname',
  'basename',
  'mkdir',
])
/** Files in secret directories that hold nothing secret (public keys, host fingerprints). */
const PUBLIC = /(?:\.pub|\/known_hosts(?:\.old)?)$/

function secretHit(cmd: Cmd, env: RuleEnv, test: (text: string) => boolean): null | string {
  const lister = LISTERS.has(cmd.name)
  for (const t of touches(cmd)) {
    if (!t.write && (lister || PUBLIC.test(t.word.value))) continue
    for (const place of env.places(cmd, t.word)) {
      const text = placeText(place, t.word)
      if (test(text)) return text
      // A glob is judged by the directory it searches and by its pattern.
      if (t.word.glob && test(t.word.value.replaceAll(/[*?]+/g, ''))) return t.word.value
    }
  }

  return null
}

const secretFiles = commandRule({
  id: 'credentials.secret-files',
  pack: 'credentials',
  decision: 'deny',
  reason: 'reads or writes key and secret files (SSH keys, cloud credentials, password stores, shadow files)',
  examples: {
    match: [
      'cat ~/.ssh/id_rsa',
      'cp ~/.aws/credentials /tmp/x',
      'cat /etc/shadow',
      'tar czf k.tgz ~/.ssh',
      'less ../../home/me/.ssh/id_ed25519',
      'cat $HOME/.kube/config',
      'grep -r password ~/.config/gcloud',
      'cat server.key',
      'base64 < ~/.netrc',
      'cat /proc/self/environ',
      'cat ~/.docker/config.json',
      'echo key >> ~/.ssh/authorized_keys',
      'sudo cat /etc/sudoers',
      'cat ~/.ssh/*',
    ],
    not_match: [
      'ssh-keygen -t ed25519 -f ./deploy_key_test -N ""',
      'cat ~/.ssh.txt.md',
      'grep "id_rsa" notes.txt',
      'echo "cat ~/.ssh/id_rsa"',
      'cat README.md',
      'cat id_rsa.pub',
      'ls -la ~/.ssh',
      'cat ~/.ssh/id_ed25519.pub',
    ],
  },
  check(cmd, env) {
    const hit = secretHit(cmd, env, (text) => SECRET_PATH.test(text))
    return hit === null ? null : `touches a secret file: ${hit}`
  },
})

const dotenv = commandRule({
  id: 'credentials.dotenv',
  pack: 'credentials',
  decision: 'ask',
  reason: 'reads or writes a .env file, which usually holds secrets',
  examples: {
    match: ['cat .env', 'source .env.local', 'cp .env /tmp/', 'grep KEY ./config/.env.production'],
    not_match: ['cat .env.example', 'cp .env.sample .env.sample.bak', 'cat environment.txt'],
  },
  check(cmd, env) {
    const hit = secretHit(cmd, env, (text) => DOTENV.test(text))
    return hit === null ? null : `touches ${hit}, which usually holds secrets`
  },
})

const homeGlob = commandRule({
  id: 'credentials.home-glob',
  pack: 'credentials',
  decision: 'ask',
  reason: 'a glob over the home directory can reach secret files',
  examples: {
    match: ['cat ~/.*/*', 'tar czf home.tgz ~/.[a-z]*', 'grep -r token ~/*'],
    not_match: ['ls ~', 'cat ~/notes.txt'],
  },
  check(cmd) {
    const hit = touches(cmd).find((t) => t.word.glob && (t.word.tilde || t.word.vars[0] === 'HOME'))
    return hit ? `glob over the home directory: ${hit.word.value}` : null
  },
})

const SECRET_NAME =
  /TOKEN|SECRET|PASSW(?:OR)?D|PASSPHRASE|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|AUTH|SESSION|COOKIE/i

function secretNames(words: readonly Word[]): string | undefined {
  return words.find(
    (w) => !w.value.startsWith('-') && SECRET_NAME.test(w.value) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(w.value),
  )?.value
}

const envDump = commandRule({
  id: 'credentials.env-dump',
  pack: 'credentials',
  decision: 'deny',
  reason: 'prints the environment, which may hold secrets',
  programs: ['env', 'printenv', 'set', 'export', 'declare', 'typeset', 'ps', 'compgen'],
  examples: {
    match: [
      'env',
      'printenv',
      'env | grep KEY',
      'set',
      'export -p',
      'declare -p',
      'declare -x',
      'printenv GITHUB_TOKEN',
      'ps eww',
      'sudo env',
    ],
    not_match: [
      'env FOO=1 make',
      'printenv HOME',
      'set -euo pipefail',
      'export FOO=1',
      'declare -a arr',
      'ps aux',
      'env --version',
    ],
  },
  check(cmd) {
    const a = cmd.argv
    switch (cmd.name) {
      case 'env': {
        // `env -S '…'` runs a command (judged on its own); `env` alone prints everything.
        return cmd.code !== undefined || a.some((v) => v === '--help' || v === '--version')
          ? null
          : 'env with no command prints the whole environment'
      }

      case 'printenv': {
        const names = a.filter((v) => !v.startsWith('-'))
        if (names.length === 0) return 'printenv prints the whole environment'
        const secret = secretNames(cmd.args)
        return secret ? `printenv ${secret}` : null
      }

      case 'set': {
        return a.length === 0 ? 'set with no arguments prints every variable' : null
      }

      case 'export': {
        return a.every((v) => v === '-p') ? 'export -p prints every exported variable' : null
      }

      case 'declare':
      case 'typeset': {
        const parsed = parseOptions(cmd.args, {})
        const names = parsed.operands.map((w) => w.value)
        if (names.length === 0 && [...parsed.flags].every((f) => f === '-p' || f === '-x' || f === '-r' || f === '-g'))
          return `${cmd.name} ${a.join(' ')} prints variables`
        const secret = secretNames(parsed.operands)
        return secret && parsed.flags.has('-p') ? `${cmd.name} -p ${secret}` : null
      }

      case 'ps': {
        return a.some((v) => !v.startsWith('-') && /^[a-zA-Z]*e[a-zA-Z]*$/.test(v))
          ? 'ps e prints the environment of processes'
          : null
      }

      case 'compgen': {
        return null
      }

      default: {
        return null
      }
    }
  },
})

const secretVariable = commandRule({
  id: 'credentials.secret-variable',
  pack: 'credentials',
  decision: 'ask',
  reason: 'expands a variable whose name suggests a secret',
  examples: {
    match: [
      'echo $GITHUB_TOKEN',
      'curl -H "Authorization: Bearer $API_KEY" http://localhost:3000',
      'echo "${DB_PASSWORD}" > out.txt',
    ],
    not_match: ['echo $HOME', 'echo $PATH', 'echo "$TOKENIZER_MODE_DEFAULT_X"x'],
  },
  check(cmd) {
    const words = [
      ...cmd.args,
      ...cmd.raw.redirects.flatMap((r) => (r.target ? [r.target] : [])),
      ...cmd.assignments.flatMap((a) => (a.value ? [a.value] : [])),
    ]
    for (const w of words) {
      const hit = w.vars.find((v) => SECRET_NAME.test(v) && !v.startsWith('AGENT_HUB_') && !v.startsWith('TOKENIZER'))
      if (hit) return `expands $${hit}`
    }

    return null
  },
})

const keychain = commandRule({
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

const cloudSecrets = commandRule({
  id: 'credentials.cloud-secrets',
  pack: 'credentials',
  decision: 'deny',
  reason: 'prints secret values from a cluster or a cloud secret store',
  programs: ['kubectl', 'oc', 'k', 'aws', 'gcloud', 'az', 'doppler', 'infisical'],
  examples: {
    match: [
      'kubectl get secret db -o yaml',
      'kubectl get secrets -A -o json',
      'kubectl get secret x -o jsonpath={.data.password}',
      'aws secretsmanager get-secret-value --secret-id x',
      'aws ssm get-parameter --name /x --with-decryption',
      'gcloud secrets versions access latest --secret=x',
      'az keyvault secret show --vault-name v --name x',
    ],
    not_match: ['kubectl get secrets', 'kubectl describe secret x', 'kubectl get pods -o yaml', 'aws s3 ls'],
  },
  check(cmd) {
    const a = cmd.argv
    const verbs = a.filter((v) => !v.startsWith('-'))
    switch (cmd.name) {
      case 'kubectl':
      case 'oc':
      case 'k': {
        if (verbs[0] !== 'get' || !verbs.slice(1).some((v) => /^secrets?(?:\/|$)/.test(v))) return null
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
        return verbs[0] === 'secrets' && verbs.includes('access') ? 'gcloud secrets versions access' : null
      }

      case 'az': {
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

/** Recursive readers: they print what they find, secrets included. */
const RECURSIVE_READERS = new Set([
  'grep',
  'egrep',
  'fgrep',
  'rg',
  'ag',
  'ack',
  'tar',
  'zip',
  '7z',
  'cp',
  'rsync',
  'scp',
  'strings',
])
const WIDE = new Set(['/', '/home', '/Users', '/root', '/etc', '/var'])

const wideRead = commandRule({
  id: 'credentials.whole-home-read',
  pack: 'credentials',
  decision: 'deny',
  reason: 'reads the whole home directory (or the whole machine) recursively, secret files included',
  programs: [...RECURSIVE_READERS],
  examples: {
    match: [
      'grep -r "BEGIN RSA" ~',
      'rg password ~',
      'tar czf h.tgz ~',
      'grep -R token /',
      'cp -r ~ /tmp/h',
      'zip -r h.zip $HOME',
    ],
    not_match: ['grep -r TODO src', 'rg fn', 'tar czf s.tgz ./src', 'grep x ~/notes.txt', 'cp -r ./a ./b'],
  },
  check(cmd, env) {
    const recursive =
      cmd.name === 'rg' ||
      cmd.name === 'ag' ||
      cmd.name === 'ack' ||
      cmd.name === 'tar' ||
      cmd.name === '7z' ||
      cmd.argv.some((v) => /^-[A-Za-z]*[rRa]|^--recursive$|^--archive$/.test(v))
    if (!recursive) return null
    for (const t of touches(cmd)) {
      for (const place of env.places(cmd, t.word)) {
        if (place.kind === 'home' && (place.path === '~' || (place.below && /^~\/?$/.test(place.path))))
          return `${cmd.name} over the whole home directory`
        if (place.kind === 'path' && WIDE.has(place.path) && !t.write) return `${cmd.name} over ${place.path}`
      }
    }

    return null
  },
})

export const credentialsPack: readonly CommandRule[] = [
  cloudSecrets,
  wideRead,
  secretFiles,
  dotenv,
  homeGlob,
  envDump,
  secretVariable,
  keychain,
]
