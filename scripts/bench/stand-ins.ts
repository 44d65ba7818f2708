/** Starts and drives the stand-ins of one measured deploy: s3rver and the Cloudflare emulator, each in its own process. */
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
  pids: number[];
  setFaults(config: FaultConfig): Promise<void>;
  resetStats(): Promise<void>;
  stats(): Promise<EmulatorStats>;
  /** Which of `hashes` the namespace stores. */
  storedAssets(hashes: string[]): Promise<string[]>;
  hasScript(name: string): Promise<boolean>;
  close(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('./stand-ins-main.ts', import.meta.url));

/** One stand-in process and a request/reply channel to it. */
async function forkStandIn(role: 's3' | 'cloudflare', namespace: string) {
  const child: ChildProcess = fork(MAIN, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_NAMESPACE: namespace, BENCH_ROLE: role },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, (value: unknown) => void>();
  let nextId = 1;
  const ready = await new Promise<Partial<StandInsReady>>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the ${role} stand-in exited early (${code})`)));
    child.on('message', (message: Partial<StandInsReady> | { id: number; value: unknown }) => {
      if ('type' in message) resolve(message);
      else if ('id' in message) pending.get(message.id)?.(message.value);
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
  const close = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // The child exits right after closing its server; wait for its exit, not for a reply.
    child.send({ type: 'close', id: 0 });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return { ready, call, close, pid: child.pid ?? 0 };
}

/** Forks s3rver and the emulator (one process each) and waits until both listen. */
export async function startStandIns(namespace = 'bench-ns'): Promise<StandIns> {
  const [s3, cloudflare] = await Promise.all([
    forkStandIn('s3', namespace),
    forkStandIn('cloudflare', namespace),
  ]);
  if (s3.ready.s3Endpoint === undefined || cloudflare.ready.cloudflare === undefined) {
    await Promise.all([s3.close(), cloudflare.close()]);
    throw new Error('a stand-in started without its endpoint');
  }
  const call = cloudflare.call;
  return {
    s3Endpoint: s3.ready.s3Endpoint,
    cloudflare: cloudflare.ready.cloudflare,
    pids: [s3.pid, cloudflare.pid],
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
      await Promise.all([s3.close(), cloudflare.close()]);
    },
  };
}
