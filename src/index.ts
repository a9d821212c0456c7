/**
 * hub as a library: the daemon client (the Node SDK) and the types of what it returns.
 *
 *   import {HubClient} from 'hub'
 *   const hub = new HubClient({base: 'http://127.0.0.1:8787', token: process.env.AGENT_HUB_TOKEN})
 *   const {record, status} = await hub.planAndWait({command: 'npm test', note: 'run the tests'})
 */
export {HubClient, SseParser} from './lib/client.js'
export type {ClientOptions, PlanInput, PlanResponse, RequestStatus, RequestState, StatusResponse, HealthResponse, HubEvent, ApproveAccepted, VerdictSummary} from './lib/client.js'
export {HubError, EXIT} from './lib/errors.js'
export type {ErrorCode} from './lib/errors.js'
export type {RunRecord, PendingRequest, DeniedRequest, Actor} from './lib/records.js'
export {discoverClient} from './lib/discovery.js'
