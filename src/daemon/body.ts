/**
 * Reading what a request carries, at the edge (SPEC §5): query numbers within their bounds, and JSON
 * bodies that are strict (no duplicate keys, no prototype keys, valid UTF-8, JSON only) and pass
 * their schema from `api.ts`. Whatever fails is a 4xx that names the field; nothing reaches the domain.
 */
import type {Context} from 'hono'
import type {z} from 'zod'

import {HubError, isHubError} from '../lib/errors.js'
import {decodeUtf8, findDuplicateKey} from './json-body.js'

export const MAX_BODY_BYTES = 64 * 1024

// Keys that could reach an object prototype if anything downstream ever merged the body.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

export function intParam(c: Context, name: string, fallback: number, min: number, max: number): number {
  const raw = c.req.query(name)
  if (raw === undefined || raw === '') return fallback
  if (!/^\d+$/.test(raw))
    throw new HubError('validation_failed', `${name} must be a whole number from ${min} to ${max}.`, {
      details: {field: name},
    })
  const n = Number(raw)
  if (n < min || n > max)
    throw new HubError('validation_failed', `${name} must be a whole number from ${min} to ${max}.`, {
      details: {field: name},
    })
  return n
}

/** Reads an optional JSON body: none, or `application/json` that parses and passes the schema. */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S, required: boolean): Promise<z.infer<S>> {
  const text = decodeUtf8(new Uint8Array(await c.req.arrayBuffer()))
  if (text.trim() === '') {
    if (required) throw new HubError('validation_failed', 'A JSON body is required.', {details: {field: 'body'}})
    return schema.parse({}) as z.infer<S>
  }

  const type = c.req.header('content-type') ?? ''
  // Only JSON: a browser cannot send it cross-site without a preflight, which we refuse.
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new HubError('unsupported_media_type', 'Send the body as application/json.', {
      details: {field: 'content-type'},
    })
  }

  let parsed: unknown
  try {
    parsed = JSON.parse(text, (key, value: unknown) => {
      if (FORBIDDEN_KEYS.has(key))
        throw new HubError('validation_failed', `The key ${JSON.stringify(key)} is not allowed.`, {
          details: {field: key},
        })
      return value
    })
  } catch (error) {
    if (isHubError(error)) throw error
    throw new HubError('invalid_json', `The body is not valid JSON: ${(error as Error).message}`)
  }

  const duplicate = findDuplicateKey(text)
  if (duplicate !== undefined) {
    throw new HubError(
      'validation_failed',
      `The key ${JSON.stringify(duplicate)} appears twice; send each field once.`,
      {details: {field: duplicate}},
    )
  }

  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new HubError('validation_failed', 'The body must be a JSON object.', {details: {field: 'body'}})
  }

  const result = schema.safeParse(parsed)
  if (!result.success) {
    const issue = result.error.issues[0]!
    const field = issue.path.join('.') || 'body'
    throw new HubError('validation_failed', `${field}: ${issue.message}`, {details: {field, reason: issue.message}})
  }

  return result.data as z.infer<S>
}
