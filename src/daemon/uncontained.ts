/** What the daemon says at start-up when it cannot contain runs, and what an operator can do about it. */
import {INSTALL_HINT} from '../lib/sandbox/index.js'

/** What an operator can do to get runs contained on this machine. */
export function sandboxRemedy(): string {
  return process.platform === 'linux'
    ? `Install bubblewrap (${INSTALL_HINT}) and allow user namespaces`
    : 'Run the daemon on Linux (a VM, WSL 2, a container that allows user namespaces) with bubblewrap'
}

/** The banner a daemon logs when approved commands run without a sandbox. */
export function uncontainedWarning(reason: string | undefined, chosen: boolean): string[] {
  const user = process.env.USER ?? 'this user'
  const remedy = chosen
    ? 'Unset AGENT_HUB_SANDBOX (bwrap is the default) to contain them.'
    : `${sandboxRemedy()}; AGENT_HUB_STRICT_MODE=1 refuses to start without it.`
  return [
    '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
    `Runs are NOT contained: ${reason ?? 'no sandbox'}.`,
    `Approved commands run as ${user} with all of ${user}'s files, the runtime directory and its tokens`,
    'included, and what they start in the background can outlive them. /health shows "sandbox": "none".',
    remedy,
    '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
  ]
}
