/**
 * Tenant teardown: when an account closes, every Worker carrying the tenant's tag is deleted, the tenant's
 * artifacts and state are purged, and an audit record is left. Exact by construction:
 * - the tenant (or tag) is validated before any Cloudflare call; a bulk delete is only ever sent with a
 *   validated, non-empty tag filter (the client refuses anything else too);
 * - the delete loops until Cloudflare reports nothing more, then a list by tag verifies nothing is left
 *   (each listed script's tags are re-checked before it is deleted one by one);
 * - a tombstone written first makes every stage drop the tenant's in-flight builds, a finalize that raced
 *   the teardown deletes its own Worker again, and a delayed second sweep removes whatever in-flight
 *   stages wrote meanwhile (every stage invocation ends within its timeout, below the sweep delay);
 * - running it twice is harmless: the second run finds nothing and its audit record says so.
 */
import type { CloudflareApi } from '../cloudflare/types.js';
import type { Config } from '../config.js';
import { PipelineError } from '../errors.js';
import type { Logger } from '../log.js';
import { assertTenant } from '../pipeline/identity.js';
import type { Metrics, QueueSender } from '../pipeline/ports.js';
import { stateKeys } from '../pipeline/records.js';
import { assertAssignableTag, tenantTag } from '../pipeline/tags.js';
import type { JsonStore } from '../state/json-store.js';
import type { TagDelete, TeardownMessage, TeardownSweep, TenantClosed } from './messages.js';

export interface TeardownDeps {
  config: Readonly<Config>;
  state: JsonStore;
  cloudflare: CloudflareApi;
  queues: QueueSender;
  /** Deletes every object (and version) under a prefix of a bucket; returns how many. */
  purge: (bucket: string, prefix: string) => Promise<number>;
  log: Logger;
  metrics: Metrics;
  now: () => Date;
}

/** The audit record of one teardown pass (no tokens in it). */
export interface TeardownAudit {
  v: 1;
  type: TeardownMessage['type'];
  tenant?: string;
  tag: string;
  requestedAt: string;
  requestedBy: string;
  reason?: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /**
   * `deleted`: what this pass deleted. `atClosure`: the tenant's Workers listed before the first delete
   * (kept in the tombstone), so the trail names them even when the pass that deleted them crashed.
   */
  workers: { deleted: string[]; count: number; atClosure?: string[] };
  objects: { artifacts: number; state: number; total: number };
  /** True when this pass found nothing to delete (a repeated closure). */
  nothingLeft: boolean;
  /** Seconds until the second sweep (first pass of a closure only). */
  sweepInSeconds?: number;
}

const compactTime = (date: Date) => date.toISOString().replace(/[-:]/g, '');

/** Deletes every Worker with `tag`, then verifies by listing that none is left. */
async function removeWorkers(tag: string, deps: TeardownDeps): Promise<string[]> {
  const namespace = deps.config.cloudflare.namespace;
  const { deleted } = await deps.cloudflare.deleteScriptsByTag(namespace, tag);
  const removed = [...deleted];
  for (let round = 0; round < 2; round += 1) {
    const remaining = (await deps.cloudflare.listScripts(namespace, { tags: [tag] })).filter((script) =>
      script.tags.includes(tag),
    );
    if (remaining.length === 0) return removed;
    if (round === 1) {
      throw new PipelineError(
        'teardown.incomplete',
        `${remaining.length} Workers tagged ${tag} remain after the delete; the teardown will be retried.`,
      );
    }
    for (const script of remaining) {
      if ((await deps.cloudflare.deleteScript(namespace, script.id)).deleted) removed.push(script.id);
    }
  }
  return removed;
}

/** The Workers carrying `tag`, as a list by tag shows them (each one's tags re-checked). */
async function listWorkers(tag: string, deps: TeardownDeps): Promise<string[]> {
  const scripts = await deps.cloudflare.listScripts(deps.config.cloudflare.namespace, { tags: [tag] });
  return scripts
    .filter((script) => script.tags.includes(tag))
    .map((script) => script.id)
    .sort();
}

/**
 * Writes the tombstone once, with the tenant's Workers listed before anything is deleted: the audit record
 * is written after the deletes, and a pass that crashes in between must not lose which Workers existed.
 */
async function writeTombstone(
  tenant: string,
  tag: string,
  message: TenantClosed,
  started: Date,
  deps: TeardownDeps,
): Promise<void> {
  if ((await deps.state.get(stateKeys.tombstone(tenant))) !== undefined) return;
  await deps.state.create(stateKeys.tombstone(tenant), {
    v: 1,
    tenant,
    closedAt: started.toISOString(),
    requestedAt: message.requestedAt,
    requestedBy: message.requestedBy,
    workers: await listWorkers(tag, deps),
  });
}

async function purgeTenant(tenant: string, deps: TeardownDeps): Promise<TeardownAudit['objects']> {
  const artifacts = await deps.purge(deps.config.artifactsBucket, `${deps.config.keyPrefix}${tenant}/`);
  let state = 0;
  for (const prefix of stateKeys.tenantPrefixes(tenant))
    state += await deps.purge(deps.config.stateBucket, prefix);
  return { artifacts, state, total: artifacts + state };
}

async function writeAudit(audit: TeardownAudit, key: string, deps: TeardownDeps): Promise<TeardownAudit> {
  await deps.state.put(key, audit);
  deps.metrics.count('TeardownWorkersDeleted', audit.workers.count);
  deps.metrics.count('TeardownObjectsPurged', audit.objects.total);
  deps.metrics.timing('TeardownDuration', audit.durationMs);
  deps.log.info(audit.nothingLeft ? 'teardown found nothing left' : 'teardown finished', {
    type: audit.type,
    tag: audit.tag,
    workersDeleted: audit.workers.count,
    objectsPurged: audit.objects.total,
    durationMs: audit.durationMs,
  });
  return audit;
}

async function closeTenant(
  message: TenantClosed | TeardownSweep,
  deps: TeardownDeps,
): Promise<TeardownAudit> {
  const tenant = assertTenant(message.tenant);
  const tag = tenantTag(tenant, deps.config.tags);
  const started = deps.now();
  if (message.type === 'tenant.closed') await writeTombstone(tenant, tag, message, started, deps);
  const tombstone = await deps.state.get<{ workers?: string[] }>(stateKeys.tombstone(tenant));
  const deleted = await removeWorkers(tag, deps);
  const objects = await purgeTenant(tenant, deps);
  const sweep = message.type === 'tenant.closed' ? deps.config.teardownSweepDelaySeconds : undefined;
  if (sweep !== undefined) {
    const next: TeardownSweep = {
      type: 'teardown.sweep',
      tenant,
      requestedAt: message.requestedAt,
      requestedBy: message.requestedBy,
    };
    await deps.queues.send('teardown', [next], { delaySeconds: sweep });
  }
  const finished = deps.now();
  const audit: TeardownAudit = {
    v: 1,
    type: message.type,
    tenant,
    tag,
    requestedAt: message.requestedAt,
    requestedBy: message.requestedBy,
    ...(message.type === 'tenant.closed' && message.reason !== undefined ? { reason: message.reason } : {}),
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    workers: {
      deleted,
      count: deleted.length,
      ...(tombstone?.value.workers === undefined ? {} : { atClosure: tombstone.value.workers }),
    },
    objects,
    nothingLeft: deleted.length === 0 && objects.total === 0,
    ...(sweep === undefined ? {} : { sweepInSeconds: sweep }),
  };
  return writeAudit(audit, stateKeys.audit(tenant, `${compactTime(started)}-${message.type}`), deps);
}

async function deleteTag(message: TagDelete, deps: TeardownDeps): Promise<TeardownAudit> {
  const tag = assertAssignableTag(message.tag, deps.config.tags);
  const started = deps.now();
  const deleted = await removeWorkers(tag, deps);
  const finished = deps.now();
  const audit: TeardownAudit = {
    v: 1,
    type: 'tag.delete',
    tag,
    requestedAt: message.requestedAt,
    requestedBy: message.requestedBy,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    workers: { deleted, count: deleted.length },
    objects: { artifacts: 0, state: 0, total: 0 },
    nothingLeft: deleted.length === 0,
  };
  return writeAudit(audit, `teardown/_tags/${tag}/${compactTime(started)}.json`, deps);
}

/** Runs one teardown message. Invalid tenants and tags throw `user-input` errors before any call. */
export function runTeardown(message: TeardownMessage, deps: TeardownDeps): Promise<TeardownAudit> {
  return message.type === 'tag.delete' ? deleteTag(message, deps) : closeTenant(message, deps);
}
