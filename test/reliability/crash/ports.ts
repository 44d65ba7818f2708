/**
 * Crash injection through the ports. Every side effect a handler has goes through the state store, the
 * queue sender, the Cloudflare port or the purge function; the wrappers here name each effect after what
 * it did (`finalize: cloudflare script PUT`, `ingest: write manifest`) and, when armed, "kill" the
 * handler right after the Nth matching effect: that call and every later port call of the same invocation
 * throw, as if the process had died (no catch block of the handler can write anything after it).
 */
import type { CloudflareApi, UploadBucketResult } from '../../../lib/cloudflare/types.js';
import type { QueueName, QueueSender } from '../../../lib/pipeline/ports.js';
import type { DeployPointer } from '../../../lib/pipeline/records.js';
import type { JsonStore } from '../../../lib/state/json-store.js';

export type Stage = QueueName;

/** Thrown at the crash point and by every port call of the dead invocation. */
export class CrashError extends Error {
  override readonly name = 'CrashError';
}

/** Records effect names, and kills the invocation after an armed one. */
export class CrashInjector {
  stage: Stage | undefined;
  readonly seen = new Set<string>();
  private armed: { effect: string; occurrence: number; count: number } | undefined;
  private dead = false;
  /** The effect the crash happened after, once it did. */
  crashedAfter: string | undefined;

  arm(effect: string, occurrence = 1): void {
    this.armed = { effect, occurrence, count: 0 };
  }

  /** A new invocation starts in a live process. */
  begin(stage: Stage): void {
    this.stage = stage;
    this.dead = false;
  }

  /** Call before touching a port: a dead process does nothing more. */
  check(): void {
    if (this.dead) throw new CrashError('the process is dead');
  }

  /** Call after an effect happened. */
  effect(name: string): void {
    const full = `${this.stage ?? '?'}: ${name}`;
    this.seen.add(full);
    const armed = this.armed;
    if (armed === undefined || armed.effect !== full) return;
    armed.count += 1;
    if (armed.count !== armed.occurrence) return;
    this.armed = undefined;
    this.dead = true;
    this.crashedAfter = full;
    throw new CrashError(`crash right after ${full}`);
  }
}

/** What a state key holds, from the layout in lib/pipeline/records.ts. */
function documentOf(key: string): string {
  if (key.startsWith('builds/')) {
    if (key.endsWith('/claim.json')) return 'claim';
    if (key.endsWith('/manifest.json')) return 'manifest';
    if (key.endsWith('/progress.json')) return 'progress';
    if (key.endsWith('/plan.json')) return 'session plan';
    if (key.includes('/done/')) return 'bucket done marker';
  }
  if (key.startsWith('scripts/') && key.endsWith('/deploy.json')) return 'deploy pointer';
  if (key.startsWith('results/_invalid-keys/')) return 'invalid-key record';
  if (key.startsWith('results/')) return 'result record';
  if (key.startsWith('tombstones/')) return 'tombstone';
  if (key.startsWith('teardown/')) return 'audit record';
  return `unknown document ${key}`;
}

/** The deploy pointer's change, named by what it means. */
function pointerChange(before: DeployPointer | undefined, after: DeployPointer): string {
  if (after.lease !== undefined && after.lease.holder !== before?.lease?.holder) return 'take deploy lease';
  if (after.lease === undefined && before?.lease !== undefined) {
    return after.deployed?.build === before.lease.build && before.deployed?.build !== before.lease.build
      ? 'complete deploy pointer'
      : 'release deploy lease';
  }
  return 'update deploy pointer';
}

/** The store with every write named and crashable. */
export function wrapState(store: JsonStore, injector: CrashInjector): JsonStore {
  const named = async (key: string, value: unknown, verb: string): Promise<string> => {
    const document = documentOf(key);
    if (document !== 'deploy pointer') return `${verb} ${document}`;
    const before = (await store.get<DeployPointer>(key))?.value;
    return pointerChange(before, value as DeployPointer);
  };
  return {
    bucket: store.bucket,
    async get(key) {
      injector.check();
      return store.get(key);
    },
    async put(key, value) {
      injector.check();
      const name = await named(key, value, 'write');
      const result = await store.put(key, value);
      injector.effect(name);
      return result;
    },
    async create(key, value) {
      injector.check();
      const name = await named(key, value, 'create');
      const created = await store.create(key, value);
      if (created !== undefined) injector.effect(name);
      return created;
    },
    async replace(key, value, etag) {
      injector.check();
      const name = await named(key, value, 'replace');
      const result = await store.replace(key, value, etag);
      injector.effect(name);
      return result;
    },
    async *list(prefix) {
      injector.check();
      yield* store.list(prefix);
    },
    async deleteKeys(keys) {
      injector.check();
      const count = await store.deleteKeys(keys);
      injector.effect('delete state documents');
      return count;
    },
    async deletePrefix(prefix) {
      injector.check();
      const count = await store.deletePrefix(prefix);
      injector.effect('delete state documents');
      return count;
    },
  };
}

/** The queue sender, one effect per send (named by queue and, for finalize, its reason and token). */
export function wrapQueues(queues: QueueSender, injector: CrashInjector): QueueSender {
  return {
    async send(queue, bodies, options) {
      injector.check();
      await queues.send(queue, bodies, options);
      const first = bodies[0] as { reason?: string; token?: string; type?: string } | undefined;
      const detail =
        queue === 'finalize'
          ? ` (${first?.reason ?? '?'}${first?.token === undefined ? '' : ', with completion token'})`
          : queue === 'teardown'
            ? ` (${first?.type ?? '?'})`
            : '';
      injector.effect(`enqueue ${queue}${detail}`);
    },
  };
}

/** The Cloudflare port: writes are effects, reads only check that the process is alive. */
export function wrapCloudflare(cf: CloudflareApi, injector: CrashInjector): CloudflareApi {
  /** A bucket upload, buffered or streamed, is one effect: the same crash row covers both. */
  const bucketUploaded = (result: UploadBucketResult): UploadBucketResult => {
    injector.effect(
      result.status === 'complete'
        ? 'cloudflare bucket uploaded (201, completion token received)'
        : 'cloudflare bucket uploaded (202)',
    );
    return result;
  };
  return {
    async openUploadSession(namespace, script, manifest) {
      injector.check();
      const session = await cf.openUploadSession(namespace, script, manifest);
      injector.effect(
        `cloudflare session opened${session.buckets.length === 0 ? ' (nothing to upload)' : ''}`,
      );
      return session;
    },
    async uploadBucket(jwt, files) {
      injector.check();
      return bucketUploaded(await cf.uploadBucket(jwt, files));
    },
    async uploadBucketStream(jwt, bucket) {
      injector.check();
      return bucketUploaded(await cf.uploadBucketStream(jwt, bucket));
    },
    async deployScript(namespace, script, upload) {
      injector.check();
      const deployed = await cf.deployScript(namespace, script, upload);
      injector.effect('cloudflare script PUT');
      return deployed;
    },
    async deleteScriptsByTag(namespace, tag) {
      injector.check();
      const result = await cf.deleteScriptsByTag(namespace, tag);
      injector.effect('cloudflare delete scripts by tag');
      return result;
    },
    async deleteScript(namespace, script) {
      injector.check();
      const result = await cf.deleteScript(namespace, script);
      injector.effect('cloudflare delete script');
      return result;
    },
    async listScripts(namespace, options) {
      injector.check();
      return cf.listScripts(namespace, options);
    },
    async getScriptTags(namespace, script) {
      injector.check();
      return cf.getScriptTags(namespace, script);
    },
  };
}

/** The purge function of teardown, one effect per bucket area. */
export function wrapPurge(
  purge: (bucket: string, prefix: string) => Promise<number>,
  injector: CrashInjector,
  artifactsBucket: string,
): (bucket: string, prefix: string) => Promise<number> {
  return async (bucket, prefix) => {
    injector.check();
    const count = await purge(bucket, prefix);
    const area = bucket === artifactsBucket ? 'artifacts' : `state ${prefix.split('/')[0] ?? ''}/`;
    injector.effect(`purge ${area}`);
    return count;
  };
}
