/**
 * Proves the reader writes nothing: while armed, every file-system call that creates, changes or removes
 * a file (through `node:fs` or `node:fs/promises`, including `open` with a write flag) is recorded with
 * the caller's stack, and a watched directory must be unchanged between arm and disarm. The patched
 * functions are published to ES-module importers with `syncBuiltinESMExports`, so modules that imported
 * `{ open } from 'node:fs/promises'` before the guard was installed are covered too.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';

const WRITERS = [
  'appendFile',
  'chmod',
  'copyFile',
  'cp',
  'createWriteStream',
  'link',
  'mkdir',
  'mkdtemp',
  'rename',
  'rm',
  'rmdir',
  'symlink',
  'truncate',
  'unlink',
  'utimes',
  'write',
  'writeFile',
  'writev',
] as const;
const OPENERS = ['open'] as const;
/** Descriptors the fuzzer itself may write to while armed (stdout and stderr). */
const OWN_FDS = new Set([1, 2]);

type Patchable = Record<string, unknown>;

/** A snapshot of a directory tree: path -> size and mtime. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (current: string) => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      const stat = fs.lstatSync(path);
      files.set(path, `${stat.size}:${stat.mtimeMs}`);
    }
  };
  walk(dir);
  return files;
}

const isWriteFlag = (flags: unknown) =>
  typeof flags === 'number'
    ? (flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR)) !== 0
    : typeof flags === 'string' && /[wa+]/.test(flags);

export interface WriteGuard {
  /** Starts recording; `watched` directories are snapshotted now and compared on disarm. */
  arm(): void;
  /** Stops recording; returns what was written (empty when nothing was). */
  disarm(): string[];
  /** Restores the original functions. */
  uninstall(): void;
}

/** Installs the guard (disarmed). Only one guard should be installed at a time. */
export function installWriteGuard(watched: readonly string[] = []): WriteGuard {
  let armed = false;
  let writes: string[] = [];
  let before = new Map<string, Map<string, string>>();
  const restore: Array<() => void> = [];
  const record = (name: string) => {
    if (armed) writes.push(`${name} from ${new Error().stack?.split('\n').slice(3, 6).join(' <- ') ?? '?'}`);
  };
  const patch = (target: Patchable, prefix: string, name: string, isWrite: (args: unknown[]) => boolean) => {
    const original = target[name];
    if (typeof original !== 'function') return;
    const wrapped = function (this: unknown, ...args: unknown[]) {
      if (isWrite(args)) record(`${prefix}${name}`);
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
    target[name] = wrapped;
    restore.push(() => {
      target[name] = original;
    });
  };
  const always = () => true;
  const notOwnFd = (args: unknown[]) => !(typeof args[0] === 'number' && OWN_FDS.has(args[0]));
  for (const name of WRITERS) {
    const check = name === 'write' || name === 'writev' ? notOwnFd : always;
    patch(fs as unknown as Patchable, 'fs.', name, check);
    patch(fs as unknown as Patchable, 'fs.', `${name}Sync`, check);
    patch(fs.promises as unknown as Patchable, 'fs.promises.', name, always);
  }
  for (const name of OPENERS) {
    patch(fs as unknown as Patchable, 'fs.', name, (args) => isWriteFlag(args[1]));
    patch(fs as unknown as Patchable, 'fs.', `${name}Sync`, (args) => isWriteFlag(args[1]));
    patch(fs.promises as unknown as Patchable, 'fs.promises.', name, (args) => isWriteFlag(args[1]));
  }
  syncBuiltinESMExports();
  return {
    arm() {
      writes = [];
      before = new Map(watched.map((dir) => [dir, snapshot(dir)]));
      armed = true;
    },
    disarm() {
      armed = false;
      for (const [dir, files] of before) {
        const after = snapshot(dir);
        for (const [path, state] of after)
          if (files.get(path) !== state) writes.push(`${path} was created or changed`);
        for (const path of files.keys()) if (!after.has(path)) writes.push(`${path} was removed`);
      }
      return writes;
    },
    uninstall() {
      armed = false;
      for (const undo of restore.reverse()) undo();
      syncBuiltinESMExports();
    },
  };
}
