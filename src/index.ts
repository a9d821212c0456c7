/**
 * hub as a library: the daemon client (the Node SDK) and the types of what it returns.
 *
 *   import {HubClient} from 'hub'
 *   const hub = new HubClient({base: 'http://127.0.0.1:8787', token: process.env.AGENT_HUB_TOKEN})
 *   const {record, status} = await hub.planAndWait({command: 'npm test', note: 'run the tests'})
 */
export {HubClient, SseParser} from './lib/client.js'
export type {
  ApproveAccepted,
  ClientOptions,
  HealthResponse,
  HubEvent,
  PlanInput,
  PlanResponse,
  RequestState,
  RequestStatus,
  StatusResponse,
  VerdictSummary,
} from './lib/client.js'
export {discoverClient} from './lib/discovery.js'
export {EXIT, HubError} from './lib/errors.js'
export type {ErrorCode} from './lib/errors.js'
export type {Actor, DeniedRequest, PendingRequest, RunRecord} from './lib/records.js'
