/**
 * `startCloudflareEmulator`: a Workers for Platforms API stand-in on 127.0.0.1, used in-process by tests
 * and by local mode. See README ("The Cloudflare client and the local emulator") for its behaviour.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadContract } from './contract.js';
import { createFaults, type FaultConfig, type OneShotFault, type RequestKind } from './faults.js';
import { type CloudflareEmulatorOptions, resolveEmulatorOptions } from './options.js';
import { createPersistence } from './persistence.js';
import { createServer } from './server.js';
import { createState } from './state.js';
import type { AssetAudit, RequestRecord } from './stats.js';
import { createTokens } from './tokens.js';

/** A deployed script, with its modules and asset bytes, as tests inspect it. */
export interface EmulatedScript {
  name: string;
  metadata: Record<string, unknown>;
  modules: Map<string, { contentType: string; content: Buffer }>;
  tags: string[];
  assets: Map<string, { hash: string; contentType: string | null; content: Buffer }>;
  etag: string;
  deployCount: number;
  createdOn: string;
  modifiedOn: string;
}

export interface EmulatorStats {
  requests: RequestRecord[];
  inFlight: number;
  maxInFlight: number;
  maxInFlightByKind: Partial<Record<RequestKind, number>>;
  /** Responses the emulator refused to send because they broke the contract (should stay empty). */
  contractViolations: string[];
  /** What upload sessions asked for and which hashes uploads carried, since the last reset. */
  assets: AssetAudit;
}

/** A running emulator. */
export interface CloudflareEmulator {
  /** `http://127.0.0.1:<port>/client/v4`: the client's `baseURL`. */
  readonly url: string;
  readonly port: number;
  readonly accountId: string;
  readonly apiToken: string;
  readonly apiEmail: string;
  readonly apiKey: string;
  readonly namespaces: string[];
  readonly faults: {
    set(config: FaultConfig): void;
    once(kind: RequestKind | 'any', fault: OneShotFault, times?: number): void;
    reset(): void;
  };
  stats(): EmulatorStats;
  resetStats(): void;
  getScript(namespace: string, name: string): EmulatedScript | undefined;
  /** Script names of a namespace, sorted. */
  listScripts(namespace: string): string[];
  /** Whether the namespace holds an asset with this hash (uploads are deduplicated per namespace). */
  hasAsset(namespace: string, hash: string): boolean;
  createNamespace(name: string): void;
  /** The emulator clock in milliseconds. */
  now(): number;
  /** Moves the emulator clock on (tokens expire after `jwtTtlSeconds`). */
  advanceClock(ms: number): void;
  /** Expires every token issued so far. */
  expireAllTokens(): void;
  close(): Promise<void>;
}

/** Starts an emulator; resolves once it listens. */
export async function startCloudflareEmulator(
  input: CloudflareEmulatorOptions = {},
): Promise<CloudflareEmulator> {
  const options = resolveEmulatorOptions(input);
  let clockOffset = 0;
  let generation = 1;
  const now = () => options.now() + clockOffset;
  const state = createState(options.namespaces);
  const persistence = createPersistence(options.dataDir);
  await persistence.load(state);
  const tokens = createTokens({
    secret: randomBytes(32),
    now,
    ttlSeconds: options.jwtTtlSeconds,
    generation: () => generation,
  });
  const faults = createFaults();
  const server = createServer({
    state,
    options,
    tokens,
    contract: loadContract(),
    faults,
    now,
    persist: () => persistence.save(state),
  });
  const http = createHttpServer({ keepAliveTimeout: 5_000 }, server.listener);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (http.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/client/v4`,
    port,
    accountId: options.accountId,
    apiToken: options.apiToken,
    apiEmail: options.apiEmail,
    apiKey: options.apiKey,
    get namespaces() {
      return [...state.namespaces.keys()];
    },
    faults: { set: faults.set, once: faults.once, reset: faults.reset },
    stats: server.stats,
    resetStats: server.resetStats,
    getScript(namespaceName, name) {
      const namespace = state.namespaces.get(namespaceName);
      const script = namespace?.scripts.get(name);
      if (namespace === undefined || script === undefined) return undefined;
      const assets: EmulatedScript['assets'] = new Map();
      for (const [path, hash] of script.assets ?? []) {
        const asset = namespace.assets.get(hash);
        if (asset !== undefined) assets.set(path, { hash, ...asset });
      }
      const { name: id, metadata, modules, tags, etag, deployCount, createdOn, modifiedOn } = script;
      return {
        name: id,
        metadata,
        modules: new Map(modules),
        tags: [...tags],
        assets,
        etag,
        deployCount,
        createdOn,
        modifiedOn,
      };
    },
    listScripts: (namespace) => [...(state.namespaces.get(namespace)?.scripts.keys() ?? [])].sort(),
    hasAsset: (namespace, hash) => state.namespaces.get(namespace)?.assets.has(hash) ?? false,
    createNamespace: (name) => {
      state.addNamespace(name);
    },
    now,
    advanceClock: (ms) => {
      clockOffset += ms;
    },
    expireAllTokens: () => {
      generation += 1;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        http.close((error) => (error ? reject(error) : resolve()));
        // Stalled requests and idle keep-alive sockets would otherwise hold close() open.
        http.closeAllConnections();
      }),
  };
}
