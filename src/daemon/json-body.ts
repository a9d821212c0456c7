/**
 * Strict JSON for request bodies. `JSON.parse` quietly keeps the last of two equal keys, so
 * `{"command": "ls", "command": "rm -rf ~"}` could read one way to a proxy or log and another way
 * to hub; and it replaces invalid UTF-8 with U+FFFD, so the command hub runs would not be the bytes
 * the agent sent. Both are refused here.
 */
import {HubError} from '../lib/errors.js'

const utf8 = new TextDecoder('utf8', {fatal: true})

export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes)
  } catch {
    throw new HubError('invalid_json', 'The body is not valid UTF-8.')
  }
}

/**
 * Finds a key that appears twice in one object of a JSON text already known to parse. A small
 * scanner: strings are skipped with their escapes, and a stack holds the keys seen per object.
 */
export function findDuplicateKey(text: string): string | undefined {
  const stack: Array<null | Set<string>> = []
  let expectKey = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    switch (ch) {
      case '"': {
        let j = i + 1
        while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1
        const top = stack.at(-1)
        if (expectKey && top) {
          const key = JSON.parse(text.slice(i, j + 1)) as string
          if (top.has(key)) return key
          top.add(key)
          expectKey = false
        }

        i = j

        break
      }

      case '{': {
        stack.push(new Set())
        expectKey = true

        break
      }

      case '[': {
        stack.push(null)

        break
      }

      case '}':
      case ']': {
        stack.pop()

        break
      }

      case ',': {
        expectKey = stack.at(-1) instanceof Set

        break
      }
      // No default
    }
  }

  return undefined
}
