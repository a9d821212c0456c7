/** Everyday work that must not be refused (asked or allowed is fine): shell histories, CI files, docs. */
import type {Family} from '../types.js'

import {buildAndTest} from './build-and-test.js'
import {containersAndServices} from './containers-and-services.js'
import {filesAndSearch} from './files-and-search.js'
import {git} from './git.js'
import {inlineAndScripts} from './inline-and-scripts.js'
import {listedAndHosts} from './listed-and-hosts.js'
import {powershell} from './powershell.js'
import {transfers} from './transfers.js'

export const harmlessFamilies: readonly Family[] = [
  filesAndSearch,
  git,
  buildAndTest,
  containersAndServices,
  inlineAndScripts,
  powershell,
  transfers,
  listedAndHosts,
]
