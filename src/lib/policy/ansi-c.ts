/** Bash's `$'…'` strings. */

/** `$'…'` escapes, as bash decodes them. */
export function decodeAnsiC(body: string): string {
  let out = ''
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] as string
    if (ch !== '\\' || i + 1 >= body.length) {
      out += ch
      continue
    }

    const e = body[++i] as string
    switch (e) {
      case 'a': {
        out += '\u0007'
        break
      }

      case 'b': {
        out += '\b'
        break
      }

      case 'e':
      case 'E': {
        out += '\u001B'
        break
      }

      case 'f': {
        out += '\f'
        break
      }

      case 'n': {
        out += '\n'
        break
      }

      case 'r': {
        out += '\r'
        break
      }

      case 't': {
        out += '\t'
        break
      }

      case 'v': {
        out += '\v'
        break
      }

      case '\\': {
        out += '\\'
        break
      }

      case "'": {
        out += "'"
        break
      }

      case '"': {
        out += '"'
        break
      }

      case '?': {
        out += '?'
        break
      }

      case 'c': {
        const c = body[i + 1]
        if (c !== undefined) {
          out += String.fromCodePoint((c.toUpperCase().codePointAt(0) ?? 0) & 0x1f)
          i++
        }

        break
      }

      case 'x': {
        const m = /^[0-9a-fA-F]{1,2}/.exec(body.slice(i + 1))
        if (m) {
          out += String.fromCodePoint(Number.parseInt(m[0], 16))
          i += m[0].length
        } else out += String.raw`\x`
        break
      }

      case 'u':
      case 'U': {
        const m = (e === 'u' ? /^[0-9a-fA-F]{1,4}/ : /^[0-9a-fA-F]{1,8}/).exec(body.slice(i + 1))
        if (m) {
          const cp = Number.parseInt(m[0], 16)
          out += cp <= 0x10_ff_ff ? String.fromCodePoint(cp) : ''
          i += m[0].length
        } else out += '\\' + e
        break
      }

      default: {
        if (e >= '0' && e <= '7') {
          const m = /^[0-7]{1,3}/.exec(body.slice(i)) as RegExpExecArray
          out += String.fromCodePoint(Number.parseInt(m[0], 8) & 0xff)
          i += m[0].length - 1
        } else out += '\\' + e
      }
    }
  }

  return out
}
