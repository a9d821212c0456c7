/**
 * Security bypass pack (SPEC §4.3): code the engine cannot read before it runs — downloaded or
 * decoded and piped into a shell, built at run time and handed to `eval`/`sh -c`, given inline to
 * another interpreter — plus `/dev/tcp` sockets, loader and start-up injection through the
 * environment, and options that make ordinary tools run commands.
 */

import type {CommandRule} from '../../rules.js'

import {loaderInjection, pathOverride} from './environment.js'
import {devTcp, shellEscape, toolRuns} from './escapes.js'
import {
  builtString,
  codeFromPipe,
  decodeAndRun,
  downloadAndRun,
  inlineCodeAsked,
  inlineInterpreter,
} from './hidden-code.js'

export const bypassPack: readonly CommandRule[] = [
  shellEscape,
  downloadAndRun,
  decodeAndRun,
  codeFromPipe,
  builtString,
  inlineInterpreter,
  inlineCodeAsked,
  devTcp,
  loaderInjection,
  pathOverride,
  toolRuns,
]
