import { afterEach, describe, expect, it, vi } from 'vitest';
import type { OneShotFault, RequestKind } from '../../../infra/local/cloudflare/index.js';
import {
  assetFile,
  type CloudflareHarness,
  manifestOf,
  NAMESPACE,
  startCloudflareHarness,
  workerModule,
} from '../../helpers/cloudflare.js';

const site = { '/index.html': assetFile('<h1>hi</h1>', 'text/html') };
const files = Object.values(site);

describe('lib/cloudflare retry and timeout policy', () => {
  let harness: CloudflareHarness;
  afterEach(async () => {
    await harness.close();
  });

  const kindOf = (kind: RequestKind) =>
    harness.emulator.stats().requests.filter((request) => request.kind === kind);

  it.each([500, 502, 503, 524])('retries a %i and then succeeds', async (status) => {
    // Prepare
    harness = await startCloudflareHarness();
    harness.emulator.faults.once('session', { type: 'status', status });

    // Act
    const session = await harness.client.openUploadSession(NAMESPACE, 'site', manifestOf(site));

    // Assess
    expect(session.buckets).toHaveLength(1);
    expect(kindOf('session').map((request) => request.status)).toEqual([status, 200]);
    expect(harness.retries).toEqual([
      { operation: 'openUploadSession', attempt: 1, status, code: 'cloudflare.server-error', delayMs: 0 },
    ]);
  });

  it('gives up after the configured retries with the last error, categorised transient', async () => {
    // Prepare
    harness = await startCloudflareHarness({}, { retries: 3 });
    harness.emulator.faults.once('list', { type: 'status', status: 500 }, 10);

    // Act
    const error = await harness.client.listScripts(NAMESPACE).catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code: 'cloudflare.server-error', category: 'transient', status: 500 });
    expect(kindOf('list')).toHaveLength(4);
  });

  it('waits as long as retry-after-ms asks before retrying a 429', async () => {
    // Prepare
    harness = await startCloudflareHarness();
    harness.emulator.faults.once('list', {
      type: 'status',
      status: 429,
      retryAfterMs: 250,
      retryAfterSeconds: 1,
    });
    const started = Date.now();

    // Act
    await harness.client.listScripts(NAMESPACE);

    // Assess
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(harness.retries).toEqual([
      { operation: 'listScripts', attempt: 1, status: 429, code: 'cloudflare.rate-limited', delayMs: 250 },
    ]);
  });

  it('honours a Retry-After in seconds', async () => {
    // Prepare
    harness = await startCloudflareHarness();
    harness.emulator.faults.once('tags', { type: 'status', status: 429, retryAfterSeconds: 1 });
    await harness.client.deployScript(NAMESPACE, 'site', {
      modules: [workerModule()],
      metadata: { main_module: 'index.js' },
    });
    const started = Date.now();

    // Act
    await harness.client.getScriptTags(NAMESPACE, 'site');

    // Assess
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expect(harness.retries[0]).toMatchObject({ status: 429, delayMs: 1000 });
  });

  it('fails at once, carrying retryAfterMs, when Retry-After is beyond the cap', async () => {
    // Prepare
    harness = await startCloudflareHarness({}, { retryAfterCapMs: 60_000 });
    harness.emulator.faults.once('session', { type: 'status', status: 429, retryAfterSeconds: 120 });

    // Act
    const error = await harness.client
      .openUploadSession(NAMESPACE, 'site', manifestOf(site))
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({
      code: 'cloudflare.rate-limited',
      category: 'transient',
      retryAfterMs: 120_000,
    });
    expect(kindOf('session')).toHaveLength(1);
    expect(harness.retries).toEqual([]);
  });

  it('retries a dropped connection', async () => {
    // Prepare
    harness = await startCloudflareHarness();
    harness.emulator.faults.once('list', { type: 'drop' });

    // Act
    const scripts = await harness.client.listScripts(NAMESPACE);

    // Assess
    expect(scripts).toEqual([]);
    expect(kindOf('list').map((request) => request.status)).toEqual([0, 200]);
    expect(harness.retries[0]?.code).toBe('cloudflare.connection');
  });

  it.each([
    ['before the headers', { type: 'stall' } as OneShotFault],
    ['inside the body', { type: 'stall', phase: 'body' } as OneShotFault],
  ])('times out an attempt that stalls %s and retries it', async (_label, fault) => {
    // Prepare
    harness = await startCloudflareHarness({}, { attemptTimeoutMs: 300 });
    harness.emulator.faults.once('list', fault);
    const started = Date.now();

    // Act
    const scripts = await harness.client.listScripts(NAMESPACE);

    // Assess
    expect(scripts).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(harness.retries[0]?.code).toBe('cloudflare.timeout');
  });

  it('fails with cloudflare.timeout when every attempt stalls', async () => {
    // Prepare
    harness = await startCloudflareHarness({}, { uploadAttemptTimeoutMs: 200, retries: 1 });
    const session = await harness.client.openUploadSession(NAMESPACE, 'site', manifestOf(site));
    harness.emulator.faults.once('upload', { type: 'stall' }, 2);

    // Act
    const error = await harness.client.uploadBucket(session.jwt, files).catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code: 'cloudflare.timeout', category: 'transient' });
    expect(harness.retries.map((retry) => retry.code)).toEqual(['cloudflare.timeout']);
    // The emulator records a stalled request once it notices the client has gone.
    await vi.waitFor(() => expect(kindOf('upload')).toHaveLength(2));
  });

  it('sees a timeout while a latency spike still applies the upload once it ends', async () => {
    // Prepare
    harness = await startCloudflareHarness({}, { uploadAttemptTimeoutMs: 150, retries: 0 });
    const session = await harness.client.openUploadSession(NAMESPACE, 'site', manifestOf(site));
    harness.emulator.faults.once('upload', { type: 'stall', ms: 300 });

    // Act
    const error = await harness.client.uploadBucket(session.jwt, files).catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code: 'cloudflare.timeout' });
    expect(harness.emulator.hasAsset(NAMESPACE, files[0]?.hash ?? '')).toBe(false);
    await vi.waitFor(() => expect(harness.emulator.hasAsset(NAMESPACE, files[0]?.hash ?? '')).toBe(true));
    await vi.waitFor(() =>
      expect(kindOf('upload')).toEqual([expect.objectContaining({ status: 0, fault: 'stall' })]),
    );
  });

  it.each([
    [400, 'cloudflare.bad-request'],
    [401, 'cloudflare.auth'],
    [403, 'cloudflare.forbidden'],
    [404, 'cloudflare.not-found'],
    [409, 'cloudflare.bad-request'],
  ])('never retries a %i', async (status, code) => {
    // Prepare
    harness = await startCloudflareHarness();
    harness.emulator.faults.once('list', { type: 'status', status, code: 10000 });

    // Act
    const error = await harness.client.listScripts(NAMESPACE).catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code, status, category: 'upstream-rejected' });
    expect(kindOf('list')).toHaveLength(1);
  });

  it('recovers from a lost 201: the retried upload is answered 201 again with a completion token', async () => {
    // Prepare
    harness = await startCloudflareHarness();
    const session = await harness.client.openUploadSession(NAMESPACE, 'site', manifestOf(site));
    harness.emulator.faults.once('upload', { type: 'lose-response' });

    // Act
    const result = await harness.client.uploadBucket(session.jwt, files);

    // Assess
    expect(result.status).toBe('complete');
    expect(kindOf('upload').map((request) => request.status)).toEqual([0, 201]);
    expect(harness.emulator.hasAsset(NAMESPACE, files[0]?.hash ?? '')).toBe(true);
  });

  it('retries a session answered with result: null, and reports invalid-response if it persists', async () => {
    // Prepare
    harness = await startCloudflareHarness();
    harness.emulator.faults.once('session', { type: 'null-result' });

    // Act
    const session = await harness.client.openUploadSession(NAMESPACE, 'site', manifestOf(site));
    harness.emulator.faults.set({ nullSessionRate: 1 });
    const error = await harness.client
      .openUploadSession(NAMESPACE, 'site', manifestOf(site))
      .catch((caught: unknown) => caught);

    // Assess
    expect(session.jwt).toMatch(/^eyJ/);
    expect(error).toMatchObject({ code: 'cloudflare.invalid-response', category: 'transient' });
    expect(harness.retries.map((retry) => retry.code)).toEqual(Array(3).fill('cloudflare.invalid-response'));
  });

  it('backs off exponentially between retries, within the configured bounds', async () => {
    // Prepare
    harness = await startCloudflareHarness({}, { minRetryDelayMs: 20, maxRetryDelayMs: 50, retries: 3 });
    harness.emulator.faults.once('list', { type: 'status', status: 503 }, 3);

    // Act
    await harness.client.listScripts(NAMESPACE);

    // Assess
    const delays = harness.retries.map((retry) => retry.delayMs);
    expect(delays).toHaveLength(3);
    expect(delays[0]).toBeGreaterThanOrEqual(15);
    expect(delays[0]).toBeLessThanOrEqual(20);
    expect(delays[1]).toBeGreaterThanOrEqual(30);
    expect(delays[1]).toBeLessThanOrEqual(40);
    expect(delays[2]).toBeGreaterThanOrEqual(37);
    expect(delays[2]).toBeLessThanOrEqual(50);
  });
});
