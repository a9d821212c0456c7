/**
 * Server log (SPEC §7.5): `YYYY-MM-DD HH:MM:SS | LEVEL | module | message`, one line an event, on
 * standard output. Messages pass through the control-character escaper because they quote what
 * agents send (commands, notes) and an operator may be reading the log in a terminal.
 */
import {escapeControl} from './terminal-escape.js'

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

const RANK: Record<LogLevel, number> = {DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40}

export interface Logger {
  child(module: string): Logger
  debug(message: string): void
  enabled(level: LogLevel): boolean
  error(message: string): void
  info(message: string): void
  warn(message: string): void
}

export type LogSink = (line: string) => void

function stamp(d: Date): string {
  const iso = d.toISOString() // UTC, like every other time hub writes
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`
}

export function createLogger(opts: {level?: LogLevel; module?: string; sink?: LogSink} = {}): Logger {
  const level = opts.level ?? 'INFO'
  const module = opts.module ?? 'hub'
  const sink: LogSink = opts.sink ?? ((line) => process.stdout.write(line + '\n'))
  const min = RANK[level]
  const write = (lvl: LogLevel, message: string): void => {
    if (RANK[lvl] < min) return
    sink(`${stamp(new Date())} | ${lvl} | ${module} | ${escapeControl(message)}`)
  }

  return {
    debug: (m) => write('DEBUG', m),
    info: (m) => write('INFO', m),
    warn: (m) => write('WARNING', m),
    error: (m) => write('ERROR', m),
    child: (m) => createLogger({level, module: m, sink}),
    enabled: (lvl) => RANK[lvl] >= min,
  }
}

/** A logger that drops everything: for tests and for library use without a daemon. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
  enabled: () => false,
}
