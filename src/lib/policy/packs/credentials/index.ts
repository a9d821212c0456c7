/**
 * Credential access pack (SPEC §4.3): key and secret files (SSH keys, cloud and cluster
 * credentials, password stores, shadow files, browser logins), `.env` files (asked, not refused),
 * environment dumps, secret-looking variables, and OS keychains. Paths are judged after resolving
 * them against the working directory, so `../../home/me/.ssh/id_rsa` is seen for what it is.
 */

import type {CommandRule} from '../../rules.js'

import {metadataService} from '../transfer.js'
import {envDump, secretVariable} from './environment.js'
import {dotenv, homeGlob, secretFiles, wideRead} from './files.js'
import {processMemory, runtimeSecrets} from './processes.js'
import {cloudSecrets, keychain} from './stores.js'

export {SECRET_PATH} from './files.js'

export const credentialsPack: readonly CommandRule[] = [
  metadataService,
  cloudSecrets,
  runtimeSecrets,
  processMemory,
  wideRead,
  secretFiles,
  dotenv,
  homeGlob,
  envDump,
  secretVariable,
  keychain,
]
