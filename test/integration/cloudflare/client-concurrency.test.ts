import { afterEach, describe, expect, it } from 'vitest';
import {
  assetFile,
  type CloudflareHarness,
  manifestOf,
  NAMESPACE,
  startCloudflareHarness,
} from '../../helpers/cloudflare.js';

describe('lib/cloudflare concurrency cap', () => {
  let harness: CloudflareHarness;
  afterEach(async () => {
    await harness.close();
  });

  it.each([1, 2, 4])('keeps at most %i requests in flight across all operations of a client', async (cap) => {
    // Prepare
    harness = await startCloudflareHarness({}, { maxConcurrentRequests: cap });
    harness.emulator.faults.set({ latencyMs: 40 });
    const manifest = manifestOf({ '/a.txt': assetFile('a') });

    // Act
    await Promise.all([
      ...Array.from({ length: 6 }, (_, index) =>
        harness.client.openUploadSession(NAMESPACE, `s${index}`, manifest),
      ),
      ...Array.from({ length: 6 }, () => harness.client.listScripts(NAMESPACE)),
    ]);

    // Assess
    expect(harness.emulator.stats().requests).toHaveLength(12);
    expect(harness.emulator.stats().maxInFlight).toBe(cap);
  });

  it('releases the permit of a failed attempt, so retries and other calls still proceed', async () => {
    // Prepare
    harness = await startCloudflareHarness({}, { maxConcurrentRequests: 1 });
    harness.emulator.faults.once('list', { type: 'status', status: 500 }, 3);

    // Act
    const results = await Promise.all(Array.from({ length: 4 }, () => harness.client.listScripts(NAMESPACE)));

    // Assess
    expect(results).toEqual([[], [], [], []]);
    expect(harness.emulator.stats().maxInFlight).toBe(1);
    expect(harness.emulator.stats().requests).toHaveLength(7);
  });
});
