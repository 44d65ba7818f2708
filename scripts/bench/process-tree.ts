/**
 * Runs a command and measures its wall time and the peak RSS of its whole process tree (Linux /proc):
 * every `intervalMs` the RSS of the process and all its descendants is summed; the peak of that sum is
 * reported, and also the largest single-process high-water mark (VmHWM), which catches spikes between
 * samples. The larger of the two is the tree's peak.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface TreeRun {
  wallMs: number;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Peak of the summed VmRSS of the tree (sampled). */
  peakTreeRssKiB: number;
  /** Largest VmHWM of any one process of the tree. */
  peakProcessHwmKiB: number;
  /** Processes seen in the tree. */
  processes: number;
  /** [ms since start, tree RSS KiB] per sample, when asked for. */
  timeline?: Array<[number, number]>;
}

const readStatusKiB = (pid: number, field: 'VmRSS' | 'VmHWM'): number => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match === null ? 0 : Number(match[1]);
  } catch {
    return 0;
  }
};

const childrenOf = (pid: number): number[] => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((part) => part !== '')
      .map(Number);
  } catch {
    return [];
  }
};

/** The pid and all its descendants. */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift() as number;
    out.push(next);
    queue.push(...childrenOf(next));
  }
  return out;
}

/** Runs `command` and samples its tree until it exits. */
export function runMeasured(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; intervalMs?: number; timeline?: boolean } = {},
): Promise<TreeRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, {
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    let peakTreeRssKiB = 0;
    const hwm = new Map<number, number>();
    const timeline: Array<[number, number]> = [];
    const sample = () => {
      if (child.pid === undefined) return;
      let sum = 0;
      for (const pid of processTree(child.pid)) {
        sum += readStatusKiB(pid, 'VmRSS');
        hwm.set(pid, Math.max(hwm.get(pid) ?? 0, readStatusKiB(pid, 'VmHWM')));
      }
      peakTreeRssKiB = Math.max(peakTreeRssKiB, sum);
      if (options.timeline === true) timeline.push([Math.round(performance.now() - started), sum]);
    };
    const timer = setInterval(sample, options.intervalMs ?? 20);
    child.on('error', (error) => {
      clearInterval(timer);
      reject(error);
    });
    child.on('close', (exitCode) => {
      clearInterval(timer);
      resolve({
        wallMs: performance.now() - started,
        exitCode,
        stdout,
        stderr,
        peakTreeRssKiB,
        peakProcessHwmKiB: Math.max(0, ...hwm.values()),
        processes: hwm.size,
        ...(options.timeline === true ? { timeline } : {}),
      });
    });
  });
}
