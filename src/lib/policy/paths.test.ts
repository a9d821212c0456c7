import {describe, expect, it} from 'vitest'

import {isLoopbackHost, remoteSpecHost, urlDestination} from './hosts.js'
import {deviceKind, isSystemPath, isWithin, type Place, placeCouldReach, placesOf, placeWithin} from './paths.js'
import {decodeAnsiC, expandBraces, literalWord, unquotedWords, type Word} from './words.js'

const WS = '/srv/hub/workspace'
const word = (text: string): Word => unquotedWords(text)[0] as Word
const unknown = (places: Place[]): boolean => places.every((p) => p.kind === 'unknown')

/** `$TMPDIR<rest>` as the shell reads it: a variable, then text. */
const tmp = (rest: string, spelled = '$TMPDIR'): Word => ({
  ...literalWord(`${spelled}${rest}`),
  static: false,
  units: [{ch: spelled, quoted: false, dyn: {kind: 'var', name: 'TMPDIR'}}, ...literalWord(rest).units],
})

describe('resolving path operands', () => {
  it.each([
    ['./build', WS, {kind: 'path', path: `${WS}/build`, below: false}],
    ['build/../..', WS, {kind: 'path', path: '/srv/hub', below: false}],
    ['../../..', WS, {kind: 'path', path: '/', below: false}],
    ['/tmp/../etc', WS, {kind: 'path', path: '/etc', below: false}],
    ['/', WS, {kind: 'path', path: '/', below: false}],
    ['/etc/', WS, {kind: 'path', path: '/etc', below: false}],
    ['~', WS, {kind: 'home', path: '~', below: false}],
    ['~/.ssh/../x', WS, {kind: 'home', path: '~/x', below: false}],
    ['*', WS, {kind: 'path', path: WS, below: true}],
    ['/*', WS, {kind: 'path', path: '/', below: true}],
    ['./src/*.ts', WS, {kind: 'path', path: `${WS}/src`, below: true}],
    ['x', '~/proj', {kind: 'home', path: '~/proj/x', below: false}],
  ] as const)('%j from %j', (text, cwd, expected) => {
    expect(placesOf(word(text), [cwd])).toEqual([expected])
  })

  it('cannot resolve expansions, relative paths from an unknown directory, or globs that can match ..', () => {
    expect(unknown(placesOf(word('x'), ['']))).toBe(true)
    expect(unknown(placesOf(word('.*'), [WS]))).toBe(true)
    expect(unknown(placesOf(word('./*/../..'), [WS]))).toBe(true)
  })

  it('reads $HOME as the home directory', () => {
    const w: Word = {
      ...literalWord('$HOME/.ssh'),
      static: false,
      units: [{ch: '$HOME', quoted: false, dyn: {kind: 'var', name: 'HOME'}}, ...literalWord('/.ssh').units],
    }
    expect(placesOf(w, [WS])).toEqual([{kind: 'home', path: '~/.ssh', below: false}])
  })

  it('reads a named entry of $TMPDIR as scratch space, unless unset it would name a top-level directory', () => {
    expect(placesOf(tmp('/pytest-cache'), [WS])).toEqual([{kind: 'path', path: '/tmp/pytest-cache', below: false}])
    expect(placesOf(tmp('/a/b', '${TMPDIR}'), [WS])).toEqual([{kind: 'path', path: '/tmp/a/b', below: false}])
    for (const rest of ['', '/', '/etc', '/usr/lib', '/a/../../etc', '/..'])
      expect(unknown(placesOf(tmp(rest), [WS])), rest).toBe(true)
  })

  it('judges relative paths against every possible working directory', () => {
    expect(placesOf(word('x'), [WS, '/tmp'])).toEqual([
      {kind: 'path', path: `${WS}/x`, below: false},
      {kind: 'path', path: '/tmp/x', below: false},
    ])
  })

  it('tells inside from outside, and what a glob or an ancestor can reach', () => {
    expect(isWithin(`${WS}/a`, WS)).toBe(true)
    expect(isWithin(`${WS}-other/a`, WS)).toBe(false)
    expect(isWithin('/anything', '/')).toBe(true)
    expect(placeWithin({kind: 'path', path: WS, below: true}, WS)).toBe(true)
    expect(placeWithin({kind: 'home', path: '~', below: false}, WS)).toBe(false)
    expect(placeCouldReach({kind: 'path', path: '/srv/hub', below: true}, '/srv/hub/runtime')).toBe(true)
    expect(placeCouldReach({kind: 'path', path: '/srv/hub', below: false}, '/srv/hub/runtime')).toBe(false)
  })

  it('knows system paths and devices', () => {
    expect(isSystemPath('/etc/hosts', WS)).toBe(true)
    expect(isSystemPath('/', WS)).toBe(true)
    expect(isSystemPath('/var/tmp/x', WS)).toBe(false)
    expect(isSystemPath('/tmp/x', WS)).toBe(false)
    expect(isSystemPath('/srv/hub/workspace/x', WS)).toBe(false)
    expect(deviceKind('/dev/null')).toBe('harmless')
    expect(deviceKind('/dev/fd/3')).toBe('harmless')
    expect(deviceKind('/dev/sda1')).toBe('disk')
    expect(deviceKind('/dev/nvme0n1')).toBe('disk')
    expect(deviceKind('/dev/input/event0')).toBe('other')
    expect(deviceKind('/etc')).toBeNull()
  })
})

describe('telling loopback from remote', () => {
  it.each([
    'localhost',
    'LOCALHOST',
    'localhost.',
    'app.localhost',
    '127.0.0.1',
    '127.1',
    '127.255.0.9',
    '0x7f.1',
    '2130706433',
    '[::1]',
    '::1',
    '[::ffff:127.0.0.1]',
  ])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true)
  })

  it.each([
    'example.com',
    '10.0.0.1',
    '0.0.0.0',
    '3232235777',
    '[::2]',
    'localhost.example.com',
    '127.0.0.1.nip.io',
    '',
  ])('%s is not loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(false)
  })

  it.each([
    ['http://127.0.0.1:8000/x', 'loopback'],
    ['localhost:3000/health', 'loopback'],
    ['http://[::1]:8080/', 'loopback'],
    ['https://example.com', 'remote'],
    ['example.com/x', 'remote'],
    ['http://user@127.0.0.1@evil.com/', 'remote'],
    [String.raw`http://127.0.0.1\@evil.com/`, 'remote'],
    ['http://localhost@evil.com/', 'remote'],
    ['file:///etc/passwd', 'local-file'],
    ['', 'unknown'],
  ])('%s is %s', (url, kind) => {
    expect(urlDestination(url).kind).toBe(kind)
  })

  it('finds the host of scp-style operands', () => {
    expect(remoteSpecHost('me@evil.com:/tmp')).toBe('evil.com')
    expect(remoteSpecHost('host::module')).toBe('host')
    expect(remoteSpecHost('./a:b')).toBeNull()
    expect(remoteSpecHost('/abs/path')).toBeNull()
    expect(remoteSpecHost(String.raw`C:\x`)).toBeNull()
  })
})

describe('words', () => {
  it('decodes ANSI-C strings', () => {
    expect(decodeAnsiC(String.raw`\x72\x6d`)).toBe('rm')
    expect(decodeAnsiC(String.raw`\162\155`)).toBe('rm')
    expect(decodeAnsiC(String.raw`a\tb\n\\\'`)).toBe("a\tb\n\\'")
    expect(decodeAnsiC(String.raw`\u00e9\U0001F600`)).toBe('é😀')
    expect(decodeAnsiC(String.raw`\cA`)).toBe('\u0001')
  })

  it('expands braces, leaving quoted and single braces alone', () => {
    expect(unquotedWords('{a,b}c').map((w) => w.value)).toEqual(['ac', 'bc'])
    expect(unquotedWords('x{1..3}').map((w) => w.value)).toEqual(['x1', 'x2', 'x3'])
    expect(unquotedWords('{a..c..2}').map((w) => w.value)).toEqual(['a', 'c'])
    expect(unquotedWords('{a}').map((w) => w.value)).toEqual(['{a}'])
    expect(unquotedWords(String.raw`\{a,b}`).map((w) => w.value)).toEqual(['{a,b}'])
    expect(unquotedWords('{a,{b,c}}').map((w) => w.value)).toEqual(['a', 'b', 'c'])
    expect(expandBraces(literalWord('{a,b}', {quoted: false}).units).map((u) => u.map((x) => x.ch).join(''))).toEqual([
      'a',
      'b',
    ])
    expect(unquotedWords('{1..1000}')).toHaveLength(256)
  })

  it('notes globs, tilde and the literal prefix', () => {
    const w = word('/usr/lib/*.so')
    expect(w.glob).toBe(true)
    expect(w.prefix).toBe('/usr/lib/')
    expect(word('~/x').tilde).toBe(true)
    expect(word(String.raw`\~/x`).tilde).toBe(false)
    expect(word(String.raw`a\*`).glob).toBe(false)
    expect(word('[').glob).toBe(false)
  })
})
