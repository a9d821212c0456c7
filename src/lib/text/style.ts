/**
 * Colours for people at a terminal (SPEC §7.2): the few SGR attributes hub prints, at the 16-colour
 * level, or none at all. Written here rather than imported from chalk, whose loading every one-shot
 * command paid (10–30 ms of a 400 ms start-up; issue 13 wants them within 1.3× `hub --version`).
 * It behaves as chalk does at level 1 for what hub uses: chained attributes (`style.red.bold`), an
 * attribute re-opened after a nested one closes it, and every line of multi-line text coloured on its own.
 */

const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  magenta: [35, 39],
  cyan: [36, 39],
} as const

type Attribute = keyof typeof CODES

export type Style = ((...text: unknown[]) => string) & {readonly [A in Attribute]: Style}

interface Layer {
  close: string
  open: string
}

const sgr = (n: number): string => `\u001B[${n}m`

function paint(layers: readonly Layer[], text: string): string {
  let out = text
  // An attribute closed inside the text (a nested one) is opened again right after, innermost first.
  if (out.includes('\u001B')) {
    for (let i = layers.length - 1; i >= 0; i--) {
      const {close, open} = layers[i]!
      out = out.replaceAll(close, close + open)
    }
  }

  const openAll = layers.map((l) => l.open).join('')
  const closeAll = layers
    .map((l) => l.close)
    .reverse()
    .join('')
  if (out.includes('\n')) out = out.replaceAll(/(\r?\n)/g, `${closeAll}$1${openAll}`)
  return openAll + out + closeAll
}

function build(layers: readonly Layer[], enabled: boolean): Style {
  const fn = (...text: unknown[]): string => {
    const s = text.join(' ')
    return enabled && layers.length > 0 && s !== '' ? paint(layers, s) : s
  }

  for (const name of Object.keys(CODES) as Attribute[]) {
    const [on, off] = CODES[name]
    Object.defineProperty(fn, name, {get: () => build([...layers, {open: sgr(on), close: sgr(off)}], enabled)})
  }

  return fn as Style
}

/** A style that colours when `enabled`, and otherwise hands text back unchanged. */
export function createStyle(enabled: boolean): Style {
  return build([], enabled)
}
