/**
 * Watches a fuzz child process from outside, for what the child cannot report itself: a synchronous hang
 * (its heartbeat stops moving) or a crash (it dies without a report). The child writes the iteration it
 * is about to run into a heartbeat file before every input, so the supervisor always knows which input
 * was running and can regenerate it from `(seed, iteration)`.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import type { FuzzReport } from './fuzz-loop.js';

/** Writes heartbeats: the iteration about to run, as 8 bytes at the start of the file. */
export function openHeartbeat(path: string): (iteration: number) => void {
  const fd = openSync(path, 'w');
  const buffer = Buffer.alloc(8);
  return (iteration) => {
    buffer.writeDoubleLE(iteration);
    writeSync(fd, buffer, 0, 8, 0);
  };
}

/** The last iteration written to the heartbeat file (-1 when none). */
export function readHeartbeat(path: string): number {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buffer = Buffer.alloc(8);
    return readSync(fd, buffer, 0, 8, 0) === 8 ? buffer.readDoubleLE(0) : -1;
  } catch {
    return -1;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export interface ChildRun {
  /** The child's report, when it finished normally. */
  report?: FuzzReport;
  /** The last figures the child sent while running (what is left of a child that died). */
  progress?: FuzzReport;
  /** The iteration the child was running last. */
  lastIteration: number;
  /** True when the supervisor killed the child because its heartbeat stopped. */
  hung: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildOptions {
  command: string;
  args: readonly string[];
  heartbeatPath: string;
  /** A heartbeat that does not move for this long means the child hangs. */
  hangMs: number;
  /** How long the child may take to its first heartbeat (loading code and corpus). */
  startupMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs one child to its end (or kills it when it hangs). */
export function superviseChild(options: ChildOptions): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.command, options.args, {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    let report: FuzzReport | undefined;
    let progress: FuzzReport | undefined;
    let hung = false;
    let seen = readHeartbeat(options.heartbeatPath);
    let beating = false;
    let movedAt = performance.now();
    child.on('message', (message: { type?: string; report?: FuzzReport }) => {
      if (message.type === 'report' && message.report !== undefined) report = message.report;
      if (message.type === 'progress' && message.report !== undefined) progress = message.report;
    });
    const watch = setInterval(() => {
      const iteration = readHeartbeat(options.heartbeatPath);
      const allowed = beating ? options.hangMs : (options.startupMs ?? 30_000);
      if (iteration !== seen) {
        seen = iteration;
        beating = true;
        movedAt = performance.now();
      } else if (performance.now() - movedAt > allowed && !hung) {
        hung = true;
        child.kill('SIGKILL');
      }
    }, 100);
    child.on('error', (error) => {
      clearInterval(watch);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      clearInterval(watch);
      resolve({
        ...(report === undefined ? {} : { report }),
        ...(progress === undefined ? {} : { progress }),
        lastIteration: readHeartbeat(options.heartbeatPath),
        hung,
        code,
        signal,
      });
    });
  });
}
