import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

const MODULE = fileURLToPath(new URL('descriptors.ts', import.meta.url))

/**
 * Runs a Node child with pipes at the given descriptor numbers; it reports what it closed and what its
 * own child sees.
 */
function childWithDescriptors(fds: number[]): Promise<{closed: number[]; grandchild: number[]; kept: number[]}> {
  const stdio: Array<'ignore' | 'inherit' | 'pipe'> = ['ignore', 'pipe', 'inherit']
  for (const fd of fds) {
    while (stdio.length < fd) stdio.push('ignore')
    stdio[fd] = 'pipe'
  }

  const script = `
    const {closeInheritedDescriptors} = await import(${JSON.stringify(MODULE)})
    const {execFileSync} = await import('node:child_process')
    const result = closeInheritedDescriptors()
    // What a command spawned afterwards inherits: its own listing, minus ls's handle on the directory.
    const listing = execFileSync('ls', ['/proc/self/fd'], {stdio: ['ignore', 'pipe', 'ignore']}).toString()
    const grandchild = listing.split(/\\s+/).filter(Boolean).map(Number).filter((fd) => fd > 2)
    console.log(JSON.stringify({...result, grandchild}))
  `
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {stdio})
    let out = ''
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
    })
    child.once('error', reject)
    child.once('close', (code) => {
      if (code === 0) resolve(JSON.parse(out) as {closed: number[]; grandchild: number[]; kept: number[]})
      else reject(new Error(`child exited ${code}: ${out}`))
    })
  })
}

describe.runIf(process.platform === 'linux')('closeInheritedDescriptors', () => {
  it('closes what would survive an exec (fd 40), so that nothing spawned later inherits it', async () => {
    const r = await childWithDescriptors([3, 40])
    expect(r.closed).toContain(40)
    expect(r.kept).toEqual([])
    // ls holds one descriptor of its own on /proc/self/fd; nothing else is above 2.
    expect(r.grandchild.length).toBeLessThanOrEqual(1)
    expect(r.grandchild).not.toContain(40)
  })
})
