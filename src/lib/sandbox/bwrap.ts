/**
 * The bubblewrap command line for one run (SPEC §6.5). Everything here is decided from the plan and
 * the file system as it is at spawn time; the sandbox itself then resolves every path again inside
 * its own mount namespace, so a symlink swapped in later can only lead to what the sandbox shows.
 */
import {lstatSync, realpathSync, type Stats} from 'node:fs'
import {isAbsolute, relative, resolve, sep} from 'node:path'

import type {SandboxPlan} from './index.js'

/** Mounted fresh for every run; nothing below them is the host's. */
const PRIVATE_ROOTS = ['/dev', '/proc', '/tmp']

/** One mount on top of the read-only root, applied in order (a later mount covers an earlier one). */
export type MountOp = {kind: 'hide-dir'; path: string} | {kind: 'hide-file'; path: string} | {kind: 'rw'; path: string}

function inside(parent: string, child: string): boolean {
  const rel = relative(parent, child)
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel))
}

function depth(path: string): number {
  return path === '/' ? 0 : path.split('/').length - 1
}

function realOrNull(path: string): null | string {
  try {
    return realpathSync(path)
  } catch {
    return null
  }
}

function lstatOrNull(path: string): null | Stats {
  try {
    return lstatSync(path)
  } catch {
    return null
  }
}

/**
 * The mounts a plan needs, in the order bwrap must apply them: shallower paths first, so that a
 * workspace inside a hidden directory stays visible, and a hidden path inside a read-write one stays
 * hidden; on the same path the hiding wins. Paths are taken at their real location (a hidden symlink
 * hides what it points to), and a hidden path that does not exist, or that only the host's /tmp,
 * /dev or /proc holds (the sandbox has its own), needs no mount.
 */
export function mountOps(plan: SandboxPlan): MountOp[] {
  const ops: MountOp[] = []
  const rw = [plan.workspace, ...plan.rw].map((p) => realOrNull(resolve(p))).filter((p): p is string => p !== null)
  for (const path of rw) {
    if (!ops.some((o) => o.path === path)) ops.push({kind: 'rw', path})
  }

  for (const given of plan.hide) {
    const path = realOrNull(resolve(given))
    if (path === null) continue
    const reachable = rw.some((r) => inside(r, path)) || !PRIVATE_ROOTS.some((p) => inside(p, path))
    if (!reachable || path === '/') continue
    const st = lstatOrNull(path)
    if (!st) continue
    if (!ops.some((o) => o.path === path && o.kind !== 'rw'))
      ops.push({kind: st.isDirectory() ? 'hide-dir' : 'hide-file', path})
  }

  // A hide inside a hidden directory is already empty, unless a read-write path between the two
  // brings it back.
  const needed = ops.filter(
    (op) =>
      op.kind === 'rw' ||
      !ops.some(
        (h) =>
          h.kind === 'hide-dir' &&
          h.path !== op.path &&
          inside(h.path, op.path) &&
          !rw.some((r) => r !== h.path && inside(h.path, r) && inside(r, op.path)),
      ),
  )
  // A stable sort keeps the read-write mounts ahead of a hide on the same path.
  return needed
    .map((op, i) => ({op, i}))
    .sort((a, b) => depth(a.op.path) - depth(b.op.path) || rank(a.op) - rank(b.op) || a.i - b.i)
    .map(({op}) => op)
}

function rank(op: MountOp): number {
  return op.kind === 'rw' ? 0 : 1
}

/**
 * The bwrap arguments that run `inner` in the sandbox. The file system is the host's, read-only;
 * /dev, /proc and /tmp are the sandbox's own; the workspace and the extra read-write paths are bound
 * read-write at their real paths; hidden directories become empty read-only tmpfs and hidden files
 * (or sockets) an empty character device, so their content cannot be read and nothing can be left in
 * them. No capability survives (as root, bwrap keeps them unless told, and CAP_SYS_ADMIN would unmount
 * the hiding), the run is its own session in its own PID and IPC namespaces and dies with the daemon,
 * and the working directory is entered from inside.
 */
export function bwrapArgs(
  plan: SandboxPlan,
  cwd: string,
  inner: {args: string[]; file: string},
  opts: {statusFd?: number} = {},
): string[] {
  const args = [
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--tmpfs',
    '/tmp',
    '--unshare-pid',
    '--unshare-ipc',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
  ]
  if (opts.statusFd !== undefined) args.push('--json-status-fd', String(opts.statusFd))
  if (!plan.network) args.push('--unshare-net')
  const hiddenDirs: string[] = []
  for (const op of mountOps(plan)) {
    if (op.kind === 'rw') args.push('--bind', op.path, op.path)
    else if (op.kind === 'hide-dir') {
      args.push('--tmpfs', op.path)
      hiddenDirs.push(op.path)
    } else args.push('--ro-bind', '/dev/null', op.path)
  }

  // Read-only only once everything is mounted: a read-write path inside a hidden directory needs its
  // mount point created in the tmpfs first.
  for (const dir of hiddenDirs) args.push('--remount-ro', dir)
  args.push('--chdir', cwd, '--', inner.file, ...inner.args)
  return args
}
