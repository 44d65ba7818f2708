import { ListMessageMoveTasksCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSqs, startLocalSqs } from '../../../infra/local/sqs.js';
import type { FailureNote } from '../../../lib/ops/failure-notes.js';
import { replayQueue } from '../../../lib/ops/replay.js';
import { createMemoryStore } from '../../helpers/memory-store.js';
import { countMessages, createTestPair, drain, FAST_TUNING, parkInDlq, uploadBody } from './dlq-fixtures.js';

let local: LocalSqs;
let sqs: SQSClient;
beforeAll(async () => {
  local = await startLocalSqs({ queues: [] });
  sqs = local.createClient();
});
afterAll(async () => {
  sqs.destroy();
  await local.close();
});

const bodiesOf = (tenant: string, count: number) =>
  Array.from({ length: count }, (_, i) => uploadBody(tenant, `b${String(i).padStart(2, '0')}`));

describe('replayQueue against local-aws-sqs', () => {
  it('dry run lists and counts every DLQ message with its age, build, stage and last error, and moves nothing', async () => {
    const pair = await createTestPair(sqs, 'upload');
    await parkInDlq(sqs, pair, [...bodiesOf('acme', 12), ...bodiesOf('globex', 5)]);
    const state = createMemoryStore();
    const note: FailureNote = {
      v: 1,
      queue: 'upload',
      messageId: 'm-1',
      receiveCount: 1,
      failedAt: '2026-11-22T10:00:00.000Z',
      tenant: 'acme',
      script: 'site',
      build: 'b03',
      stage: 'upload bucket 0 (session session0001)',
      error: { category: 'transient', code: 'cloudflare.server-error', message: 'Cloudflare answered 503.' },
    };
    await state.put('builds/acme/site/b03/failures/upload.json', note);

    const reader = { get: async <T>(key: string) => (await state.get<T>(key))?.value };

    const summary = await replayQueue({ sqs, pair, dryRun: true, state: reader, tuning: FAST_TUNING });

    expect(summary).toMatchObject({ mode: 'dry-run', before: 17, moved: 0, ok: true });
    expect(summary.listing).toMatchObject({ scanned: 17, matched: 17, approximateCount: 17, complete: true });
    const entries = summary.listing?.entries ?? [];
    expect(entries).toHaveLength(17);
    expect(entries.filter((entry) => entry.info.tenant === 'globex')).toHaveLength(5);
    expect(new Set(entries.map((entry) => entry.messageId)).size).toBe(17);
    expect(entries.every((entry) => entry.ageMs !== undefined && entry.ageMs >= 0)).toBe(true);
    const b03 = entries.find((entry) => entry.info.tenant === 'acme' && entry.info.build === 'b03');
    expect(b03?.info).toMatchObject({ script: 'site', stage: 'upload bucket 0 (session session0001)' });
    expect(b03?.lastError?.code).toBe('cloudflare.server-error');
    expect(entries.filter((entry) => entry.lastError !== undefined)).toHaveLength(1);
    // Nothing moved, and every message is visible again right away (not left hidden by the scan).
    expect(await countMessages(sqs, pair.url)).toBe(0);
    expect((await drain(sqs, pair.dlqUrl)).length).toBe(17);
  });

  it('dry run filtered by tenant and limited lists only that many of that tenant but counts them all', async () => {
    const pair = await createTestPair(sqs, 'upload');
    await parkInDlq(sqs, pair, [...bodiesOf('acme', 4), ...bodiesOf('globex', 5)]);

    const summary = await replayQueue({
      sqs,
      pair,
      dryRun: true,
      tenant: 'globex',
      limit: 2,
      tuning: FAST_TUNING,
    });

    expect(summary.listing).toMatchObject({ scanned: 9, matched: 5 });
    expect(summary.listing?.entries.map((entry) => entry.info.tenant)).toEqual(['globex', 'globex']);
    expect(summary.listing?.lastErrorsUnavailable).toBe('no state bucket configured');
    expect(await countMessages(sqs, pair.dlqUrl)).toBe(9);
  });

  it('a tenant-filtered replay moves only that tenant, untouched, and leaves the others visible in the DLQ', async () => {
    const pair = await createTestPair(sqs, 'upload');
    const acme = bodiesOf('acme', 12);
    const globex = bodiesOf('globex', 5);
    await parkInDlq(sqs, pair, [...acme, ...globex]);

    const summary = await replayQueue({ sqs, pair, tenant: 'globex', tuning: FAST_TUNING });

    expect(summary).toMatchObject({
      mode: 'receive-send-delete',
      moved: 5,
      skipped: 12,
      failed: 0,
      ok: true,
      byTenant: { globex: 5 },
    });
    const replayed = await drain(sqs, pair.url);
    expect(replayed.map((message) => message.body).sort()).toEqual([...globex].sort());
    expect(replayed.every((message) => message.origin === 'fixture')).toBe(true);
    const left = await drain(sqs, pair.dlqUrl);
    expect(left.map((message) => message.body).sort()).toEqual([...acme].sort());
  });

  it('a replay limited to N moves exactly N', async () => {
    const pair = await createTestPair(sqs, 'upload');
    await parkInDlq(sqs, pair, bodiesOf('acme', 9));

    const summary = await replayQueue({ sqs, pair, limit: 7, tuning: FAST_TUNING });

    expect(summary).toMatchObject({ mode: 'receive-send-delete', moved: 7 });
    expect(await countMessages(sqs, pair.url)).toBe(7);
    expect(await countMessages(sqs, pair.dlqUrl)).toBe(2);
  });

  it('a full replay uses a move task, moves everything back untouched, and a second run finds nothing', async () => {
    const pair = await createTestPair(sqs, 'upload');
    const bodies = [...bodiesOf('acme', 8), ...bodiesOf('globex', 7)];
    await parkInDlq(sqs, pair, bodies);

    const summary = await replayQueue({ sqs, pair, tuning: FAST_TUNING });
    const again = await replayQueue({ sqs, pair, tuning: FAST_TUNING });

    expect(summary).toMatchObject({ mode: 'move-task', before: 15, moved: 15, after: 0, ok: true });
    expect(summary.task).toMatchObject({ status: 'COMPLETED', joinedRunningTask: false, cancelled: false });
    const tasks = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: pair.dlqArn, MaxResults: 10 }));
    expect(tasks.Results?.map((task) => task.Status)).toEqual(['COMPLETED']);
    expect(tasks.Results?.[0]?.DestinationArn).toBe(pair.arn);
    const replayed = await drain(sqs, pair.url);
    expect(replayed.map((message) => message.body).sort()).toEqual([...bodies].sort());
    expect(again).toMatchObject({ mode: 'move-task', moved: 0, task: { status: 'NOTHING_TO_MOVE' } });
  });

  it('an interrupted replay loses and duplicates nothing, and a rerun finishes the job', async () => {
    const pair = await createTestPair(sqs, 'upload');
    const bodies = [...bodiesOf('acme', 25), ...bodiesOf('globex', 3)];
    await parkInDlq(sqs, pair, bodies);
    const controller = new AbortController();

    // The abort fires right after the first send/delete pair, as a Ctrl-C would during the second receive.
    const first = await replayQueue({
      sqs,
      pair,
      tenant: 'acme',
      signal: controller.signal,
      tuning: FAST_TUNING,
      onProgress: (progress) => {
        if (progress.moved > 0) controller.abort();
      },
    });
    const sourceAfterFirst = await countMessages(sqs, pair.url);
    const dlqAfterFirst = await countMessages(sqs, pair.dlqUrl);
    const second = await replayQueue({ sqs, pair, tenant: 'acme', tuning: FAST_TUNING });

    expect(first.interrupted).toBe(true);
    expect(first.moved).toBeGreaterThan(0);
    expect(first.moved).toBeLessThan(25);
    expect(sourceAfterFirst).toBe(first.moved);
    expect(dlqAfterFirst).toBe(28 - first.moved);
    expect(second).toMatchObject({ interrupted: false, moved: 25 - first.moved, skipped: 3 });
    const replayed = (await drain(sqs, pair.url)).map((message) => message.body);
    const left = (await drain(sqs, pair.dlqUrl)).map((message) => message.body);
    expect(replayed.sort()).toEqual(bodies.slice(0, 25).sort());
    expect(left.sort()).toEqual(bodies.slice(25).sort());
  });
});
