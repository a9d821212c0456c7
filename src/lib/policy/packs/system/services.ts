/** System pack: services (systemctl, service …) and scheduled jobs (cron, at, schtasks). */

import {commandRule} from '../../rules.js'

const SYSTEMCTL_READ = new Set([
  'status',
  'show',
  'cat',
  'list-units',
  'list-unit-files',
  'list-sockets',
  'list-timers',
  'list-jobs',
  'list-dependencies',
  'list-machines',
  'is-active',
  'is-enabled',
  'is-failed',
  'is-system-running',
  'help',
  'get-default',
  'show-environment',
])

const SERVICE_PROGRAMS = new Set([
  'systemctl',
  'service',
  'rc-service',
  'rc-update',
  'update-rc.d',
  'chkconfig',
  'initctl',
  'launchctl',
  'sv',
  'svcadm',
  'systemd-run',
])

export const services = commandRule({
  id: 'system.services',
  pack: 'system',
  decision: 'deny',
  reason: 'starts, stops or changes system services',
  examples: {
    match: [
      'systemctl stop nginx',
      'systemctl --user enable foo.service',
      'service ssh restart',
      'launchctl load ~/Library/LaunchAgents/x.plist',
      'update-rc.d foo defaults',
      'systemd-run --on-calendar=hourly /bin/true',
      'systemd-run --user sleep 1',
    ],
    not_match: ['systemctl status nginx', 'systemctl is-active docker', 'service --status-all', 'systemctl'],
  },
  check(cmd) {
    // systemd-run is peeled like a wrapper so its command is judged; running it is itself a service.
    if (cmd.viaNames.includes('systemd-run')) return 'systemd-run starts a transient service or timer'
    if (!SERVICE_PROGRAMS.has(cmd.name)) return null
    const verb = cmd.argv.find((a) => !a.startsWith('-'))
    if (cmd.name === 'systemctl') return verb !== undefined && !SYSTEMCTL_READ.has(verb) ? `systemctl ${verb}` : null
    if (cmd.name === 'service') {
      const [, action] = cmd.argv.filter((a) => !a.startsWith('-'))
      return action !== undefined && action !== 'status' ? `service ${cmd.argv.join(' ')}` : null
    }

    return `${cmd.name}: changes system services`
  },
})

export const scheduled = commandRule({
  id: 'system.scheduled-jobs',
  pack: 'system',
  decision: 'deny',
  reason: 'creates or changes scheduled jobs (cron, at, timers)',
  programs: ['crontab', 'at', 'batch', 'atrm', 'anacron', 'schtasks'],
  examples: {
    match: ['crontab -e', 'crontab mycron.txt', 'crontab -r', 'echo "rm -rf /" | at now + 1 minute', 'batch'],
    not_match: ['crontab -l', 'atq'],
  },
  check(cmd) {
    if (cmd.name === 'crontab') {
      const a = cmd.argv
      return a.includes('-l') && !a.some((v) => v === '-r' || v === '-e' || v === '-i')
        ? null
        : 'crontab: changes scheduled jobs'
    }

    // `at -l` lists jobs and `at -c N` prints one; neither schedules anything.
    if (
      cmd.name === 'at' &&
      cmd.argv.length > 0 &&
      cmd.argv.every((v) => /^-[lc]$|^\d+$|^-q$|^[a-zA-Z]$/.test(v)) &&
      cmd.argv.some((v) => v === '-l' || v === '-c')
    )
      return null
    return `${cmd.name}: schedules jobs`
  },
})
