/**
 * The fault soak, small: 30 builds of 3 tenants (2 scripts each, 5 builds per script in order) through
 * local SQS, s3rver and the emulator injecting 5xx, 429 + Retry-After, dropped connections, lost
 * responses and latency spikes past the attempt timeout; messages that park in a DLQ are replayed with the
 * faults off. `npm run soak` runs the full 300 builds.
 */
import { describe, expect, it } from 'vitest';
import { runSoak, type SoakReport } from './soak/run-soak.js';

describe('the pipeline under injected Cloudflare faults (small soak)', () => {
  let report: SoakReport;

  it('drains 30 builds of 3 tenants with every invariant holding', { timeout: 120_000 }, async () => {
    // Two receives before a DLQ: builds waiting on each other's lease park, so the replay runs too.
    report = await runSoak({
      tenants: 3,
      scriptsPerTenant: 2,
      buildsPerScript: 5,
      seed: 11,
      timeoutMs: 90_000,
      maxReceiveCount: 2,
    });

    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(report.checks.map((check) => check.name)).toEqual([
      'every build has exactly one terminal result record',
      'every deployed Worker matches its artifact byte for byte; each script holds its newest build',
      'no older build overwrote a newer one; only older builds are superseded',
      'no request exceeded the concurrency cap',
      'no token or JWT in logs, state documents or SQS messages',
      'every queue and DLQ is empty at the end',
    ]);
  });

  it('parked messages in a DLQ and replayed them with faults off, ending in the same invariants', () => {
    const { beforeReplay, replayed, rounds } = report.figures.dlq;
    const parked = Object.values(beforeReplay).reduce((sum, count) => sum + count, 0);

    expect(parked).toBeGreaterThan(0);
    expect(rounds).toBeGreaterThan(0);
    expect(Object.values(replayed).reduce((sum, count) => sum + (count ?? 0), 0)).toBeGreaterThanOrEqual(
      parked,
    );
  });

  it('met every kind of fault and retried through both layers (so the checks were not vacuous)', () => {
    const { faults, maxInFlight, cap } = report.figures.emulator;
    const fivexx = Object.entries(faults)
      .filter(([fault]) => /^status-5\d\d$/.test(fault))
      .reduce((sum, [, count]) => sum + count, 0);

    expect(fivexx).toBeGreaterThan(0);
    expect(faults['status-429']).toBeGreaterThan(0);
    expect(faults.drop).toBeGreaterThan(0);
    expect(faults.stall).toBeGreaterThan(0);
    expect((faults['lose-response'] ?? 0) + (faults['lost-201'] ?? 0)).toBeGreaterThan(0);
    expect(report.figures.retries.client).toBeGreaterThan(0);
    expect(report.figures.results).toMatchObject({ deployed: expect.any(Number) });
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxInFlight).toBeLessThanOrEqual(cap.sequential);
    expect(report.figures.workerStatesObserved).toBeGreaterThanOrEqual(6);
  });
});
