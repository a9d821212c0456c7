import {describe, expect, it} from 'vitest'

import type {AuditEntry} from '../audit/entry.js'

import {recordFor} from './attributes.js'
import {telemetryConfig} from './config.js'

function entry(fields: Record<string, unknown>): AuditEntry {
  return {
    event: 'command_queued',
    seq: 3,
    prev: 'p',
    hash: 'h',
    ts: '2026-12-01T10:00:00.000Z',
    ...fields,
  } as AuditEntry
}

describe('recordFor', () => {
  it('sends only listed fields, fingerprints only, and bounded, truthful text', () => {
    const {attributes, timestamp} = recordFor(
      entry({
        pending_id: 'p1',
        command: `echo \u001B[2J${'y'.repeat(400)}`,
        command_full: 'secret full command',
        note: 'a\u202Eb',
        agent: 'not-a-fingerprint-but-a-token-0123456789abcdef',
        actor: {role: 'agent', token: 'deadbeef'},
        excerpt: 'output',
        unknown_field: 'x',
      }),
      'host-a',
    )
    expect(attributes['hub.pending_id']).toBe('p1')
    expect(attributes['hub.agent']).toBeUndefined()
    expect(attributes['hub.actor.fingerprint']).toBe('deadbeef')
    expect(attributes['hub.command_truncated']).toBe(true)
    expect(String(attributes['hub.command'])).not.toContain('\u001B')
    expect(String(attributes['hub.command'])).not.toContain('y'.repeat(200))
    expect(String(attributes['hub.note'])).not.toContain('\u202E')
    expect(attributes['hub.host']).toBe('host-a')
    expect(JSON.stringify(attributes)).not.toMatch(/secret full command|output|unknown_field/)
    expect(timestamp?.toISOString()).toBe('2026-12-01T10:00:00.000Z')
  })
})

describe('telemetryConfig', () => {
  it('is off without an endpoint, appends /v1/logs to the general one, and refuses a bad URL', () => {
    expect(telemetryConfig({})).toBeUndefined()
    expect(telemetryConfig({OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true'})).toBeUndefined()
    const c = telemetryConfig({OTEL_EXPORTER_OTLP_ENDPOINT: 'http://u:pw@c:4318/?k=v'})!
    expect(c.url).toBe('http://u:pw@c:4318/v1/logs?k=v')
    expect(c.urlShown).not.toMatch(/pw|k=v/)
    expect(telemetryConfig({OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://c:4318/custom'})!.url).toBe(
      'http://c:4318/custom',
    )
    expect(() => telemetryConfig({OTEL_EXPORTER_OTLP_ENDPOINT: 'file:///etc/passwd'})).toThrow(/not an http/)
    expect(() => telemetryConfig({OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_BLRP_MAX_QUEUE_SIZE: '-1'})).toThrow(
      /OTEL_BLRP_MAX_QUEUE_SIZE/,
    )
  })
})
