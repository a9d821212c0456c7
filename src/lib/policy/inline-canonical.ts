/**
 * Inline code brought to one spelling before the call tables of inline-code.ts read it (issue 12):
 * `__import__('os').system` and `getattr(os, 'system')` are `os.system`, a pathlib call is the os
 * call it stands for, Perl's `qq(…)` is a string, and the home directory in its usual spellings
 * becomes one marker that the shell text writes as `~`.
 */

import type {Language} from './inline-code.js'

/** Stands for the home directory inside code (`Path.home()`, `os.homedir()`), written `~` in the shell text. */
export const HOME = '\u0001HOME'

/**
 * Spellings that name the same call (`__import__('os').system` is `os.system`, `getattr(os,
 * 'system')` too, Perl's `qq(…)` is a string), and the home directory in its usual spellings, so
 * that the call tables see one form.
 */
export function canonical(language: Language, source: string): string {
  let code = source
  switch (language) {
    case 'python': {
      code = code
        .replaceAll(/\b__builtins__\s*(?:\.\s*__dict__\s*)?\[\s*(['"])(\w+)\1\s*\]/g, '$2')
        .replaceAll(/\b__builtins__\s*\.\s*(\w+)/g, '$1')
        .replaceAll(/\b(?:__import__|importlib\.import_module)\s*\(\s*(['"])([\w.]+)\1\s*\)/g, '$2')
        .replaceAll(/\bgetattr\s*\(\s*([\w.]+)\s*,\s*(['"])(\w+)\2\s*\)/g, '$1.$3')
        .replaceAll(/\b(?:pathlib\.)?Path\.home\s*\(\s*\)|\bos\.path\.expanduser\s*\(\s*(['"])~\1\s*\)/g, `'${HOME}'`)
        .replaceAll(/\bos\.(?:environ\s*\[\s*(['"])HOME\1\s*\]|getenv\s*\(\s*(['"])HOME\2\s*\))/g, `'${HOME}'`)
        // `Path('/etc/x').unlink()` is `os.remove('/etc/x')`, and so on.
        .replaceAll(/\b(?:pathlib\.)?Path\s*\(\s*('[^']*'|"[^"]*")\s*\)\s*\.\s*unlink\s*\(\s*\)/g, 'os.remove($1)')
        .replaceAll(/\b(?:pathlib\.)?Path\s*\(\s*('[^']*'|"[^"]*")\s*\)\s*\.\s*rmdir\s*\(\s*\)/g, 'os.rmdir($1)')
        .replaceAll(
          /\b(?:pathlib\.)?Path\s*\(\s*('[^']*'|"[^"]*")\s*\)\s*\.\s*write_(?:text|bytes)\s*\(/g,
          "open($1, 'w')(",
        )
        .replaceAll(/\b(?:pathlib\.)?Path\s*\(\s*('[^']*'|"[^"]*")\s*\)\s*\.\s*read_(?:text|bytes)\s*\(/g, 'open($1)(')

      break
    }

    case 'node': {
      code = code
        .replaceAll(/\b(?:require\s*\(\s*(['"])os\1\s*\)|os)\.homedir\s*\(\s*\)/g, `'${HOME}'`)
        .replaceAll(/\b(?:process\.env|Deno\.env)\.(?:HOME|USERPROFILE)\b/g, `'${HOME}'`)

      break
    }

    case 'ruby': {
      code = code
        .replaceAll(/\bDir\.home\b(?:\s*\(\s*\))?|\bENV\s*\[\s*(['"])HOME\1\s*\]/g, `'${HOME}'`)
        .replaceAll(/\bFile\.expand_path\s*\(\s*(['"])~\1\s*\)/g, `'${HOME}'`)

      break
    }

    case 'perl': {
      code = code.replaceAll(/\bqq?\s*(?:\(([^()'"]*)\)|\{([^{}'"]*)\}|\[([^[\]'"]*)\]|\/([^/'"]*)\/)/g, (...m) => {
        const body = (m.slice(1, 5) as (string | undefined)[]).find((x) => x !== undefined) ?? ''
        return JSON.stringify(body)
      })

      break
    }
    // No default
  }

  return code
}

/** Code that walks the home directory and deletes what it finds (`for p in Path.home().rglob('*'): p.unlink()`). */
export function deletesUnderHome(language: Language, code: string): boolean {
  if (!code.includes(HOME)) return false
  if (language === 'python') return /\.(?:unlink|rmdir)\s*\(\s*\)|\b(?:rmtree|remove|unlink)\s*\(/.test(code)
  return language === 'node' && /\b(?:rm|unlink|rmdir)(?:Sync)?\s*\(/.test(code)
}

/** Tcl runs commands as bare words: `exec rm -rf /etc`, `file delete -force /etc`. */
export function tclCommands(code: string): string[] {
  const out: string[] = []
  // `exec` runs a program; Expect's `spawn` starts one the same way.
  for (const m of code.matchAll(/(?:^|[;\n[{])\s*(?:exec|spawn)\s+([^\n;\]]+)/g)) out.push((m[1] ?? '').trim())
  for (const m of code.matchAll(/(?:^|[;\n[])\s*file\s+delete\s+(-force\s+)?(?:--\s+)?([^\n;\]]+)/g))
    out.push(`rm ${m[1] ? '-rf' : '-f'} -- ${(m[2] ?? '').trim()}`)
  return out
}
