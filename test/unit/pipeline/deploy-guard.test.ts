import { describe, expect, it } from 'vitest';
import {
  acquireDeployLease,
  completeDeploy,
  releaseDeployLease,
} from '../../../lib/pipeline/deploy-guard.js';
import type { BuildRef } from '../../../lib/pipeline/identity.js';
import type { BuildOrder } from '../../../lib/pipeline/records.js';
import { createMemoryStore } from '../../helpers/memory-store.js';

const ref = (build: string): BuildRef => ({ tenant: 'acme', script: 'site', build });
const order = (build: string, second: number): BuildOrder => ({
  eventTime: new Date(Date.UTC(2026, 10, 22, 10, 0, second)).toISOString(),
  build,
});
const now = new Date('2026-11-22T10:01:00.000Z');
const later = (seconds: number) => new Date(now.getTime() + seconds * 1000);

describe('deploy guard', () => {
  it('lets exactly one of two racing finalizers take the lease', async () => {
    const store = createMemoryStore();

    const [older, newer] = await Promise.all([
      acquireDeployLease(store, ref('b1'), order('b1', 1), now, 300, 'run-1'),
      acquireDeployLease(store, ref('b2'), order('b2', 2), now, 300, 'run-2'),
    ]);

    const kinds = [older.kind, newer.kind].sort();
    expect(kinds.filter((kind) => kind === 'acquired')).toHaveLength(1);
    expect(kinds).toContainEqual(expect.stringMatching(/^(busy|superseded)$/));
  });

  it('never lets two concurrent runs of the same build both deploy', async () => {
    const store = createMemoryStore();

    const outcomes = await Promise.all([
      acquireDeployLease(store, ref('b1'), order('b1', 1), now, 300, 'run-1'),
      acquireDeployLease(store, ref('b1'), order('b1', 1), now, 300, 'run-2'),
    ]);
    await completeDeploy(
      store,
      ref('b1'),
      order('b1', 1),
      now,
      outcomes[0]?.kind === 'acquired' ? 'run-1' : 'run-2',
    );
    const third = await acquireDeployLease(store, ref('b1'), order('b1', 1), now, 300, 'run-3');

    expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(['acquired', 'busy']);
    expect(third.kind).toBe('already-deployed');
  });

  it('supersedes an older build while a newer one holds the lease, and makes a newer build wait', async () => {
    const store = createMemoryStore();
    await acquireDeployLease(store, ref('b2'), order('b2', 2), now, 300, 'run-b2');

    const older = await acquireDeployLease(store, ref('b1'), order('b1', 1), now, 300, 'run-b1');
    const newest = await acquireDeployLease(store, ref('b3'), order('b3', 3), now, 300, 'run-b3');

    expect(older).toEqual({ kind: 'superseded', by: 'b2' });
    expect(newest).toMatchObject({ kind: 'busy', holder: 'b2', retryAfterMs: 300_000 });
  });

  it('lets an expired lease (a crashed run) be taken over by the same build or a newer one', async () => {
    const store = createMemoryStore();
    await acquireDeployLease(store, ref('b1'), order('b1', 1), now, 60, 'crashed');

    const sameTooEarly = await acquireDeployLease(store, ref('b1'), order('b1', 1), later(10), 60, 'retry');
    const sameAfter = await acquireDeployLease(store, ref('b1'), order('b1', 1), later(61), 60, 'retry');
    const newer = await acquireDeployLease(store, ref('b2'), order('b2', 2), later(200), 60, 'run-b2');

    expect(sameTooEarly.kind).toBe('busy');
    expect(sameAfter.kind).toBe('acquired');
    expect(newer.kind).toBe('acquired');
  });

  it('uses the build id to order uploads in the same millisecond', async () => {
    const store = createMemoryStore();
    await acquireDeployLease(store, ref('b-2'), order('b-2', 5), now, 300, 'run');
    await completeDeploy(store, ref('b-2'), order('b-2', 5), now, 'run');

    expect(await acquireDeployLease(store, ref('b-1'), order('b-1', 5), now, 300, 'x')).toEqual({
      kind: 'superseded',
      by: 'b-2',
    });
    expect((await acquireDeployLease(store, ref('b-3'), order('b-3', 5), now, 300, 'y')).kind).toBe(
      'acquired',
    );
  });

  it('refuses to record a deploy whose lease was taken over, and releases only its own lease', async () => {
    const store = createMemoryStore();
    await acquireDeployLease(store, ref('b1'), order('b1', 1), now, 1, 'run-b1');
    await acquireDeployLease(store, ref('b2'), order('b2', 2), later(2), 300, 'run-b2');

    await expect(completeDeploy(store, ref('b1'), order('b1', 1), now, 'run-b1')).rejects.toMatchObject({
      code: 'state.conflict',
    });
    await releaseDeployLease(store, ref('b1'), 'run-b1');
    expect(store.read<{ lease?: { build: string } }>('scripts/acme/site/deploy.json')?.lease?.build).toBe(
      'b2',
    );
  });

  it('starts from a pointer the caller holds, reading it only when that one changed', async () => {
    // Prepare: count the pointer reads.
    const store = createMemoryStore();
    const get = store.get.bind(store);
    let reads = 0;
    store.get = (key) => {
      reads += 1;
      return get(key);
    };

    // Act: the first deploy of a script, from "no pointer", then its completion from what the lease wrote.
    const lease = await acquireDeployLease(store, ref('b1'), order('b1', 1), now, 300, 'run-b1', {
      known: null,
    });
    if (lease.kind !== 'acquired') throw new Error(`lease ${lease.kind}`);
    await completeDeploy(store, ref('b1'), order('b1', 1), now, 'run-b1', { known: lease.pointer });

    // Assess
    expect(reads).toBe(0);
    expect(
      store.read<{ deployed?: { build: string } }>('scripts/acme/site/deploy.json')?.deployed?.build,
    ).toBe('b1');
  });

  it('decides on the current pointer when the one the caller holds is stale', async () => {
    // Prepare: b2 took the lease after b1's caller read "no pointer"; b3's lease expires and is taken over.
    const store = createMemoryStore();
    await acquireDeployLease(store, ref('b2'), order('b2', 2), now, 300, 'run-b2');
    const expiring = await acquireDeployLease(store, ref('b3'), order('b3', 3), later(400), 1, 'run-b3');
    if (expiring.kind !== 'acquired') throw new Error(`lease ${expiring.kind}`);
    await acquireDeployLease(store, ref('b3'), order('b3', 3), later(500), 300, 'run-b3-again');

    // Act
    const older = await acquireDeployLease(store, ref('b1'), order('b1', 1), now, 300, 'run-b1', {
      known: null,
    });
    const lost = await completeDeploy(store, ref('b3'), order('b3', 3), later(401), 'run-b3', {
      known: expiring.pointer,
    }).catch((error: unknown) => error);

    // Assess: b1 is superseded (not a second lease); b3's first run learns that it lost its lease.
    expect(older).toEqual({ kind: 'superseded', by: 'b3' });
    expect(lost).toMatchObject({ code: 'state.conflict', message: expect.stringMatching(/was lost/) });
    expect(store.read<{ lease?: { holder: string } }>('scripts/acme/site/deploy.json')?.lease?.holder).toBe(
      'run-b3-again',
    );
  });
});
