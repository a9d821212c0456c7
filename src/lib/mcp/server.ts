import {McpServer} from '@modelcontextprotocol/server'
/**
 * The MCP server behind `hub mcp` (issue 14): an agent proposes commands through hub's policy and the
 * operator's approval. It talks to the daemon as an agent; only JSON-RPC goes to stdout.
 */
import {randomUUID} from 'node:crypto'
import {z} from 'zod'

import type {HubClient} from '../client.js'
import type {RequestStatus, RunRecord} from '../records.js'

import {isHubError} from '../errors.js'

const WAIT_STEP_S = 10

function text(s: string, isError = false): {content: {text: string; type: 'text'}[]; isError: boolean} {
  return {content: [{type: 'text', text: s}], isError}
}

/** The whole reason, with the rule and the next step: the agent can only act on what it is told. */
function describeError(error: unknown): string {
  if (!isHubError(error)) return error instanceof Error ? error.message : String(error)
  const {rule, pending_id: id} = error.details ?? {}
  const where = [typeof rule === 'string' ? `rule ${rule}` : '', typeof id === 'string' ? `request ${id}` : '']
    .filter(Boolean)
    .join(', ')
  return `${error.message}${where ? ` (${where})` : ''}${error.hint ? `. ${error.hint}` : ''}`
}

/** Why a request ended without a run, said in full (the operator's or the policy's own words). */
function endedWithoutRun(s: RequestStatus): string {
  const id = s.pending_id
  const because = s.reason ? `: ${s.reason}` : ''
  switch (s.state) {
    case 'denied': {
      return `request ${id} was denied by the hub operator${because}`
    }

    case 'expired': {
      return `request ${id} expired: no operator decided in time`
    }

    case 'blocked': {
      return `request ${id} was blocked by hub policy${because}${s.rule ? ` (rule ${s.rule})` : ''}`
    }

    case 'withdrawn': {
      return `request ${id} was withdrawn${because}`
    }

    default: {
      return `request ${id} is ${s.state}${because}`
    }
  }
}

function formatRecord(r: RunRecord): string {
  return JSON.stringify(r, null, 2)
}

export function createMcpServer(getClient: () => Promise<HubClient>, version: string): McpServer {
  const server = new McpServer({name: 'hub', version})
  // One id per server process: the MCP stdio session, written on every audit line the daemon keeps.
  const sessionId = randomUUID()

  server.registerTool(
    'run_command',
    {
      description:
        'Propose a shell command. hub checks it against its policy, then a human approves or denies it; ' +
        'returns the exit code, stdout and stderr of the run.',
      inputSchema: z.object({
        command: z.string().min(1).describe('The shell command.'),
        cwd: z.string().optional().describe('Working directory, relative to the workspace.'),
        note: z.string().optional().describe('Why the command is needed (shown to the operator).'),
        timeout: z.number().int().min(1).max(3600).optional().describe('Seconds before the run is stopped.'),
      }),
      annotations: {destructiveHint: true, idempotentHint: false, openWorldHint: true, readOnlyHint: false},
    },
    async (args, ctx) => {
      let client: HubClient
      try {
        client = await getClient()
        const plan = await client.call<{
          decision: string
          pending_id: string
          policy: {reason: string}
          record?: RunRecord
        }>(
          'POST',
          '/plan',
          {
            command: args.command,
            client: 'mcp',
            // The transport's session when it has one (HTTP), else this process's; the JSON-RPC id ties
            // the audit lines to this one tool call.
            session_id: ctx.sessionId ?? sessionId,
            tool_use_id: `jsonrpc:${String(ctx.mcpReq.id)
              .replaceAll(/[^\w.:-]/g, '_')
              .slice(0, 120)}`,
            ...(args.cwd === undefined ? {} : {cwd: args.cwd}),
            ...(args.note === undefined ? {} : {note: args.note}),
            ...(args.timeout === undefined ? {} : {timeout_s: args.timeout}),
          },
          ((args.timeout ?? 300) + 30) * 1000,
        )
        if (plan.body.record) return text(formatRecord(plan.body.record), plan.body.record.exit_code !== 0)
        const id = plan.body.pending_id
        const {signal} = ctx.mcpReq
        const token = ctx.mcpReq._meta?.progressToken
        const aborted = new Promise<'aborted'>((resolve) => {
          if (signal.aborted) resolve('aborted')
          signal.addEventListener('abort', () => resolve('aborted'), {once: true})
        })
        for (let step = 0; ; step++) {
          if (token !== undefined) {
            await ctx.mcpReq.notify({
              method: 'notifications/progress',
              params: {progressToken: token, progress: step, message: `${id} waiting for approval or the run`},
            })
          }

          // The long-poll is raced against the client's cancel so a withdrawal is not delayed by it.
          const status = await Promise.race([client.request(id, WAIT_STEP_S), aborted])
          if (status === 'aborted') {
            await client.call('POST', `/requests/${encodeURIComponent(id)}/withdraw`, {
              reason: 'cancelled by MCP client',
            })
            return text(`request ${id} withdrawn`, true)
          }

          if ((status.state === 'finished' || status.state === 'interrupted') && status.run_id) {
            const record = await client.run(status.run_id)
            return text(formatRecord(record), record.exit_code !== 0)
          }

          if (status.state !== 'pending' && status.state !== 'running') return text(endedWithoutRun(status), true)
        }
      } catch (error) {
        return text(`hub: ${describeError(error)}`, true)
      }
    },
  )

  server.registerTool(
    'request_status',
    {
      description: 'Where a request proposed with run_command stands.',
      inputSchema: z.object({id: z.string().min(1).max(200)}),
      annotations: {readOnlyHint: true},
    },
    async (args) => {
      try {
        return text(JSON.stringify(await (await getClient()).request(args.id), null, 2))
      } catch (error) {
        return text(`hub: ${describeError(error)}`, true)
      }
    },
  )

  server.registerTool(
    'recent_runs',
    {
      description: 'The most recent runs.',
      inputSchema: z.object({limit: z.number().int().min(1).max(100).optional()}),
      annotations: {readOnlyHint: true},
    },
    async (args) => {
      try {
        return text(JSON.stringify(await (await getClient()).runs(args.limit ?? 10), null, 2))
      } catch (error) {
        return text(`hub: ${describeError(error)}`, true)
      }
    },
  )
  return server
}
