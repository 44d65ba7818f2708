/** Starts and drives the stand-ins child (s3rver + Cloudflare emulator) of one benchmark run. */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EmulatorStats, FaultConfig } from '../../infra/local/cloudflare/index.js';

/** Where the stand-ins listen. */
export interface CloudflareTarget {
  url: string;
  apiToken: string;
  accountId: string;
  namespace: string;
}

export interface StandInsReady {
  type: 'ready';
  s3Endpoint: string;
  cloudflare: CloudflareTarget;
}

export type StandInRequest = { id: number } & (
  | { type: 'faults'; config: FaultConfig }
  | { type: 'reset-stats' }
  | { type: 'stats' }
  | { type: 'has-assets'; hashes: string[] }
  | { type: 'script'; name: string }
  | { type: 'close' }
);

type Command = StandInRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** A running stand-ins child. */
export interface StandIns {
  s3Endpoint: string;
  cloudflare: CloudflareTarget;
  pid: number;
  setFaults(config: FaultConfig): Promise<void>;
  resetStats(): Promise<void>;
  stats(): Promise<EmulatorStats>;
  /** Which of `hashes` the namespace stores. */
  storedAssets(hashes: string[]): Promise<string[]>;
  hasScript(name: string): Promise<boolean>;
  close(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('./stand-ins-main.ts', import.meta.url));

/** Forks the stand-ins and waits until they listen. */
export async function startStandIns(namespace = 'bench-ns'): Promise<StandIns> {
  const child: ChildProcess = fork(MAIN, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_NAMESPACE: namespace },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, (value: unknown) => void>();
  let nextId = 1;
  const ready = await new Promise<StandInsReady>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`stand-ins exited early (${code})`)));
    child.on('message', (message: StandInsReady | { id: number; value: unknown }) => {
      if ('type' in message) resolve(message);
      else pending.get(message.id)?.(message.value);
    });
  });
  child.removeAllListeners('exit');
  const call = <T>(command: Command): Promise<T> =>
    new Promise((resolve, reject) => {
      const id = nextId;
      nextId += 1;
      pending.set(id, (value) => {
        pending.delete(id);
        resolve(value as T);
      });
      child.send({ ...command, id }, (error) => {
        if (error) reject(error);
      });
    });
  return {
    s3Endpoint: ready.s3Endpoint,
    cloudflare: ready.cloudflare,
    pid: child.pid ?? 0,
    setFaults: async (config) => {
      await call({ type: 'faults', config });
    },
    resetStats: async () => {
      await call({ type: 'reset-stats' });
    },
    stats: () => call<EmulatorStats>({ type: 'stats' }),
    storedAssets: (hashes) => call<string[]>({ type: 'has-assets', hashes }),
    hasScript: (name) => call<boolean>({ type: 'script', name }),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // The child exits right after closing its servers; do not wait for its reply, only for its exit.
      child.send({ type: 'close', id: 0 });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
