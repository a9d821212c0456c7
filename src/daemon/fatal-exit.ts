/**
 * The daemon stops every run it started on any way out (issue 11): an uncaught exception or an
 * unhandled rejection, `process.exit`, a second SIGINT/SIGTERM during a graceful shutdown. Only
 * SIGKILL cannot be caught; there bwrap's --die-with-parent still takes contained runs down.
 *
 * The test hook: with AGENT_HUB_TEST_FATAL=exception|rejection in the daemon's environment at start,
 * SIGUSR2 makes the daemon fail that way, so a test can crash it for real. Only whoever starts the
 * daemon can arm it, and only a process outside every sandbox that may signal the daemon (its own
 * user, root) can fire it: nothing over HTTP does, and a contained run cannot even see the daemon's
 * PID. The variable is removed from the environment once read.
 */
import type {Logger} from '../lib/logger.js'

import {killAllRuns} from '../lib/runner.js'

function onExit(): void {
  killAllRuns()
}

export type FatalHook = 'exception' | 'rejection'

function readHook(env: NodeJS.ProcessEnv): FatalHook | undefined {
  const value = env.AGENT_HUB_TEST_FATAL
  delete env.AGENT_HUB_TEST_FATAL
  return value === 'exception' || value === 'rejection' ? value : undefined
}

/** Installs the handlers; returns a function that removes them (for tests in one process). */
export function installFatalExitCleanup(log: Logger, env: NodeJS.ProcessEnv = process.env): () => void {
  // The monitor sees the failure before Node's default handling, which still prints it and exits 1.
  const onFatal = (error: Error, origin: string): void => {
    const n = killAllRuns()
    log.error(`Fatal ${origin}: ${error.stack ?? error.message}`)
    if (n > 0) log.error(`Killed ${n} running command(s) on the way out; they are recorded as interrupted at restart.`)
  }

  process.on('uncaughtExceptionMonitor', onFatal)
  process.on('exit', onExit)
  const hook = readHook(env)
  const fire = (): void => {
    if (hook === 'exception') {
      setImmediate(() => {
        throw new Error('AGENT_HUB_TEST_FATAL: uncaught exception on SIGUSR2')
      })
    } else {
      // A promise nobody awaits: Node turns its rejection into a fatal error.
      void Promise.reject(new Error('AGENT_HUB_TEST_FATAL: unhandled rejection on SIGUSR2'))
    }
  }

  if (hook) {
    log.warn(`Test hook armed (AGENT_HUB_TEST_FATAL=${hook}): SIGUSR2 crashes this daemon.`)
    process.on('SIGUSR2', fire)
  }

  return () => {
    process.off('uncaughtExceptionMonitor', onFatal)
    process.off('exit', onExit)
    if (hook) process.off('SIGUSR2', fire)
  }
}
