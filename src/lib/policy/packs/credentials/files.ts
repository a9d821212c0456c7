/** Credentials pack: secret files (keys, tokens, .env), home-directory globs and wide recursive reads. */

import type {Cmd} from '../../command.js'
import type {Word} from '../../words.js'

import {touches} from '../../effects.js'
import {isWithin, placeText, placeWithin} from '../../paths.js'
import {commandRule, type RuleEnv} from '../../rules.js'

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
  // Registry, CI and hosting CLIs' stored logins, and the config files that hold them.
  /(?:^|\/)\.cargo\/credentials(?:\.toml)?$/,
  /(?:^|\/)\.gem\/credentials$/,
  /(?:^|\/)\.m2\/settings(?:-security)?\.xml$/,
  /^~\/\.gradle\/gradle\.properties$/,
  /(?:^|\/)\.nuget\/NuGet\/NuGet\.Config$/i,
  /(?:^|\/)(?:\.composer|\.config\/composer)\/auth\.json$/,
  /^~\/\.yarnrc(?:\.yml)?$/,
  /(?:^|\/)\.(?:chef|talos|oci|aliyun)\/(?:credentials|config(?:\.json)?)$/,
  /(?:^|\/)\.circleci\/cli\.yml$/,
  /(?:^|\/)\.config\/(?:heroku|netlify|git\/credentials|filezilla|remmina)(?:\/|$)/,
  /(?:^|\/)\.(?:netlify|vercel|fly|wrangler)\/(?:config\.json|auth\.json|config\.yml|config)(?:\/|$)/,
  /(?:^|\/)com\.vercel\.cli\/auth\.json$/,
  /(?:^|\/)\.subversion\/auth(?:\/|$)/,
  /(?:^|\/)\.purple\/accounts\.xml$/,
  /(?:^|\/)\.?(?:ansible[-_.]?)?vault[-_.]?pass(?:word)?(?:\.txt)?$/i,
  /^\/etc\/NetworkManager\/system-connections(?:\/|$)/,
  /(?:^|\/)wpa_supplicant[^/]*\.conf$/,
  /^\/etc\/kubernetes\/(?:admin|kubelet|controller-manager|scheduler|super-admin)\.conf$/,
  /^\/etc\/kubernetes\/pki(?:\/|$)/,
  /^\/etc\/rancher\/(?:k3s|rke2)\/\w+\.yaml$/,
  /(?:^|\/)\.(?:mongorc\.js|dbshell|lesshst|rediscli_history|node_repl_history)$/,
  /(?:^|\/)fish\/fish_history$/,
  /^\/proc\/[^/]*\/environ$/,
  /(?:^|\/)\.terraform\.d\/credentials\.tfrc\.json$/,
  /^\/(?:var\/)?run\/secrets(?:\/|$)/,
  /(?:^|\/)\.(?:bash|zsh|sh|python|node_repl|mysql|psql|sqlite|lesshst)_?history$/,
  /(?:^|\/)(?:credentials|service-account[\w.-]*)\.json$/,
  /(?:^|\/)(?:Cookies|Login Data|Web Data|logins\.json|key[34]\.db|cookies\.sqlite)$/,
  /(?:^|\/)Library\/Keychains(?:\/|$)/,
  /(?:^|\/)\.local\/share\/keyrings(?:\/|$)/,
  // Private stores of macOS apps and browsers' histories: messages, mail, visited sites, privacy grants.
  /(?:^|\/)Library\/(?:Messages|Mail|Safari|Cookies|Application Support\/com\.apple\.TCC)(?:\/|$)/,
  /(?:^|\/)Library\/Group Containers\/group\.com\.apple\.notes(?:\/|$)/,
  /(?:chrome|chromium|brave[\w-]*|edge|firefox|\.mozilla)\/.*\/(?:History|places\.sqlite|formhistory\.sqlite)$/,
]

/** All of the above as one expression: every path of every command is tested, so one pass matters. */
export const SECRET_PATH = new RegExp(SECRET_PATHS.map((re) => `(?:${re.source})`).join('|'), 'i')

const DOTENV = /(?:^|\/)\.env(?:rc)?(?:\.(?!(?:example|sample|template|dist|defaults)\b)[\w.-]+)?$/
/** A file whose own name says what it holds (`secrets.tar`, `prod-credentials.csv`, `passwords.txt`). */
const SECRET_NAME = /(?:^|\/)[^/]*(?:secret|credential|passwords?\b)[^/]*$/i

/**
 * Whether a file sent off the machine would carry a secret: a key or credential file, a `.env`, or a name
 * that says so. Reading such a file locally is judged by the rules below; this is for copies and uploads.
 */
export function looksSecret(path: string): boolean {
  return SECRET_PATH.test(path) || DOTENV.test(path) || SECRET_NAME.test(path)
}

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

/** Tools that create a new key or certificate: the files they write hold nothing anyone had before. */
const KEY_MAKERS = new Set(['openssl', 'ssh-keygen', 'mkcert', 'certtool', 'step', 'cfssl', 'keytool', 'age-keygen'])

function secretHit(cmd: Cmd, env: RuleEnv, test: (text: string) => boolean): null | string {
  const lister = LISTERS.has(cmd.name)
  const maker = KEY_MAKERS.has(cmd.name)
  for (const t of touches(cmd)) {
    if (!t.write && (lister || PUBLIC.test(t.word.value))) continue
    // A new development key in the workspace (`openssl genrsa -out certs/dev.key`) is ordinary work; a key
    // written elsewhere (~/.ssh) or an existing key read stays refused.
    if (maker && writesInside(cmd, t.word, env)) continue
    for (const place of env.places(cmd, t.word)) {
      const text = placeText(place, t.word)
      if (test(text)) return text
      // A glob is judged by the directory it searches and by its pattern.
      if (t.word.glob && test(t.word.value.replaceAll(/[*?]+/g, ''))) return t.word.value
    }
  }

  return null
}

/** The word names an output of the key maker (not an input like `-in`/`-key`) and every place is in the workspace. */
function writesInside(cmd: Cmd, word: Word, env: RuleEnv): boolean {
  const i = cmd.args.indexOf(word)
  const option = i > 0 ? cmd.args[i - 1]?.value : undefined
  const output =
    cmd.name === 'openssl'
      ? option === '-out' || option === '-keyout'
      : cmd.name === 'ssh-keygen'
        ? option === '-f' && !cmd.argv.some((a) => /^-[yepl]$/.test(a))
        : true
  return output && env.places(cmd, word).every((p) => placeWithin(p, env.ctx.workspace))
}

export const secretFiles = commandRule({
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
      'getent shadow',
      'cat ../other-app/.env',
      'cat ~/projects/api/.env.production',
      'openssl genrsa -out ~/.ssh/id_rsa 2048',
      'openssl rsa -in certs/dev.key -text',
      'cat ~/.terraform.d/credentials.tfrc.json',
      'strings /proc/*/environ',
    ],
    not_match: [
      'ssh-keygen -t ed25519 -f ./deploy_key_test -N ""',
      'openssl genrsa -out certs/dev.key 2048',
      'openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 -subj /CN=localhost',
      'cat ~/.ssh.txt.md',
      'grep "id_rsa" notes.txt',
      'echo "cat ~/.ssh/id_rsa"',
      'cat README.md',
      'cat id_rsa.pub',
      'ls -la ~/.ssh',
      'cat ~/.ssh/id_ed25519.pub',
      'getent passwd dev',
    ],
  },
  check(cmd, env) {
    // `getent shadow` reads the password hashes without naming the file.
    if (cmd.name === 'getent' && /^g?shadow$/.test(cmd.argv[0] ?? '')) return `getent ${cmd.argv[0]}: password hashes`
    const hit = secretHit(cmd, env, (text) => SECRET_PATH.test(text))
    if (hit !== null) return `touches a secret file: ${hit}`
    // The project's own .env is the operator's call (credentials.dotenv); another project's, or one under
    // the home directory or the system, is not the agent's business.
    const ws = env.ctx.workspace
    const foreign = secretHit(
      cmd,
      env,
      (text) => DOTENV.test(text) && (text.startsWith('~') || (text.startsWith('/') && !isWithin(text, ws))),
    )
    return foreign === null ? null : `touches ${foreign}, a .env file outside the workspace`
  },
})

export const dotenv = commandRule({
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

export const homeGlob = commandRule({
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

export const wideRead = commandRule({
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
