/**
 * One line per event for `hub tail`: the time, the event, the ids, and what a person wants to know
 * about it (exit code, reason, command). Agent text is escaped here.
 */

import {clip, type createStyle} from '../terminal.js'
import {formatDuration} from '../text/duration.js'
import {auditTsMs, formatTime, type Zone} from './time-range.js'

type ChalkInstance = ReturnType<typeof createStyle>

/** The event type an audit line is announced as on /events: the seed's `run_finished` for an execution. */
export function eventTypeOf(auditEvent: string): string {
  return auditEvent === 'command_executed' ? 'run_finished' : auditEvent
}

/** The time of day of an event (HH:MM:SS) in the zone; now when the event carries no time. */
function timeOfDay(ts: unknown, zone: Zone): string {
  const at = auditTsMs(ts)
  return formatTime(Number.isNaN(at) ? Date.now() : at, zone).slice(11)
}

export function formatEventLine(type: string, data: Record<string, unknown>, style: ChalkInstance, zone: Zone): string {
  const ts = timeOfDay(data.ts, zone)
  const id = String(data.run_id ?? data.pending_id ?? '')
  const command = typeof data.command === 'string' ? clip(data.command, 80) : ''
  let detail = ''
  let label = type
  switch (type) {
    case 'run_finished':
    case 'command_executed': {
      const code = data.exit_code
      const timedOut = data.timed_out ? ' (timed out)' : ''
      const duration = typeof data.duration_ms === 'number' ? formatDuration(data.duration_ms) : ''
      detail = `exit ${String(code)}${timedOut} ${duration}`
      label = code === 0 ? style.green(type) : style.red(type)
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
      label = style.cyan(type)
      break
    }

    default: {
      break
    }
  }

  const seq = typeof data.seq === 'number' ? style.dim(`#${data.seq}`) : ''
  return [style.dim(ts), seq, label, id, detail, command].filter((p) => p !== '').join('  ')
}
