/**
 * One line per event for `hub tail`: the time, the event, the ids, and what a person wants to know
 * about it (exit code, reason, command). Agent text is escaped here.
 */

import {clip, type createStyle} from '../terminal.js'
import {formatDuration} from '../text/duration.js'
import {auditTsMs, formatTime, type Zone} from './time-range.js'

type Style = ReturnType<typeof createStyle>

/** The event type an audit line is announced as on /events: the seed's `run_finished` for an execution. */
export function eventTypeOf(auditEvent: string): string {
  return auditEvent === 'command_executed' ? 'run_finished' : auditEvent
}

/** A run's exit code, timeout and duration. */
function outcome(data: Record<string, unknown>): string {
  const timedOut = data.timed_out ? ' (timed out)' : ''
  const duration = typeof data.duration_ms === 'number' ? formatDuration(data.duration_ms) : ''
  return `exit ${String(data.exit_code)}${timedOut} ${duration}`
}

/** A hook's command runs in the agent, not in hub: said on approval, since hub only hears back if the agent reports. */
function runBy(data: Record<string, unknown>): string {
  return typeof data.executor === 'string' && data.executor !== 'hub' ? `run by ${clip(data.executor, 20)}` : ''
}

/** Which integration asked (claude-code, codex, cursor, gemini, mcp); plain API clients are the default, unnamed. */
function clientTag(data: Record<string, unknown>, style: Style): string {
  return typeof data.client === 'string' && data.client !== 'http' ? style.magenta(`[${clip(data.client, 20)}]`) : ''
}

/** The time of day of an event (HH:MM:SS) in the zone; now when the event carries no time. */
function timeOfDay(ts: unknown, zone: Zone): string {
  const at = auditTsMs(ts)
  return formatTime(Number.isNaN(at) ? Date.now() : at, zone).slice(11)
}

export function formatEventLine(type: string, data: Record<string, unknown>, style: Style, zone: Zone): string {
  const ts = timeOfDay(data.ts, zone)
  const id = String(data.run_id ?? data.pending_id ?? '')
  const command = typeof data.command === 'string' ? clip(data.command, 80) : ''
  let detail = ''
  let label = type
  switch (type) {
    case 'run_finished':
    case 'command_executed':
    case 'command_executed_by_agent': {
      detail = outcome(data)
      label = data.exit_code === 0 ? style.green(type) : style.red(type)
      break
    }

    case 'command_blocked':
    case 'command_denied':
    case 'command_expired':
    case 'run_interrupted': {
      detail = typeof data.reason === 'string' && data.reason ? clip(data.reason, 60) : ''
      label = style.red(type)
      break
    }

    case 'command_queued': {
      detail = typeof data.decision === 'string' ? `policy ${data.decision}` : ''
      label = style.yellow(type)
      break
    }

    case 'command_approved':
    case 'run_started': {
      detail = runBy(data)
      label = style.cyan(type)
      break
    }

    default: {
      break
    }
  }

  const seq = typeof data.seq === 'number' ? style.dim(`#${data.seq}`) : ''
  return [style.dim(ts), seq, label, id, clientTag(data, style), detail, command].filter((p) => p !== '').join('  ')
}
