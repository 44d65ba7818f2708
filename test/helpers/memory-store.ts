/** An in-memory JsonStore with S3's conditional-write semantics, for unit tests. */
import { PipelineError } from '../../lib/errors.js';
import type { JsonStore, Versioned } from '../../lib/state/json-store.js';

export interface MemoryStore extends JsonStore {
  readonly objects: Map<string, { body: string; etag: string }>;
  /** Called before every write; throwing simulates a crash or an outage at that write. */
  beforeWrite?: (key: string) => void;
  keys(prefix?: string): string[];
  read<T>(key: string): T | undefined;
}

export function createMemoryStore(bucket = 'state'): MemoryStore {
  const objects = new Map<string, { body: string; etag: string }>();
  let version = 0;
  const store: MemoryStore = {
    bucket,
    objects,
    keys: (prefix = '') => [...objects.keys()].filter((key) => key.startsWith(prefix)).sort(),
    read: <T>(key: string) => {
      const object = objects.get(key);
      return object === undefined ? undefined : (JSON.parse(object.body) as T);
    },
    async get<T>(key: string): Promise<Versioned<T> | undefined> {
      const object = objects.get(key);
      return object === undefined ? undefined : { value: JSON.parse(object.body) as T, etag: object.etag };
    },
    async put(key, value) {
      store.beforeWrite?.(key);
      version += 1;
      const etag = `"v${version}"`;
      objects.set(key, { body: JSON.stringify(value), etag });
      return { etag };
    },
    async create(key, value) {
      store.beforeWrite?.(key);
      if (objects.has(key)) return undefined;
      return store.put(key, value);
    },
    async replace(key, value, etag) {
      store.beforeWrite?.(key);
      if (objects.get(key)?.etag !== etag) {
        throw new PipelineError('state.conflict', `conflict on ${key}`);
      }
      return store.put(key, value);
    },
    async *list(prefix) {
      for (const key of store.keys(prefix)) yield key;
    },
    async deleteKeys(keys) {
      for (const key of keys) objects.delete(key);
      return keys.length;
    },
    async deletePrefix(prefix) {
      const keys = store.keys(prefix);
      return store.deleteKeys(keys);
    },
  };
  return store;
}
