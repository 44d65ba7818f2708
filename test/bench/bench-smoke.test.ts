/**
 * The benchmark at smoke size, so its code cannot rot: every subject deploys a tiny site for real (wrangler,
 * in-process, local mode), ingest runs against its floor, and a 4-build fleet goes through local mode.
 * No timing or memory figure is asserted (this is a script, not a timed test); what is asserted are the
 * invariants the benchmark reports: the requests of a deploy, what was uploaded, what was deployed.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { benchConfig } from '../../scripts/bench/config.js';
import { unaskedUploads } from '../../scripts/bench/probes.js';
import { buildRows, formatTable } from '../../scripts/bench/report.js';
import { runBench } from '../../scripts/bench/run-bench.js';

/** The ingest floor needs Info-ZIP's unzip; without it the ingest part is left out (and said so). */
const hasUnzip = spawnSync('unzip', ['-v']).status === 0;

describe('npm run bench at smoke size', () => {
  it('measures every subject and reports each figure of the table', { timeout: 180_000 }, async () => {
    // Prepare
    const lines: string[] = [];
    const config = benchConfig({
      runs: 1,
      smoke: true,
      peer: true,
      fleet: true,
      ingest: true,
      log: (line) => lines.push(line),
    });

    // Act
    const results = await runBench(config);
    const rows = buildRows(results);

    // Assess: every subject deployed the site
    const subjects = results.samples.map((sample) => sample.subject).sort();
    expect(subjects).toEqual(['in-process', 'local-mode', 'wrangler']);
    for (const sample of results.samples) {
      expect(sample.wallMs).toBeGreaterThan(0);
      expect(sample.peakRssKiB).toBeGreaterThan(0);
      expect(sample.requests['script-put']).toBe(1);
      if (sample.deploy !== undefined) expect(sample.deploy.result.status).toBe('deployed');
    }
    // Assess: our deploys make 1 session + one request per bucket + 1 PUT, and upload only what was asked
    for (const sample of results.samples.filter((item) => item.subject !== 'wrangler')) {
      const audit = sample.audit;
      expect(audit?.sessions).toBe(1);
      expect(sample.requests).toEqual({ session: 1, upload: audit?.askedBuckets.length, 'script-put': 1 });
      expect(audit === undefined ? ['no audit'] : unaskedUploads(audit)).toEqual([]);
      expect(audit?.uploadedHashes.length).toBe(audit?.askedBuckets.flat().length);
    }
    // Assess: the follow-up build uploads exactly the changed files the session asked for
    const followUp = results.followUps[0];
    expect(followUp?.deploy.result.status).toBe('deployed');
    expect(followUp?.audit.uploadedHashes.sort()).toEqual(followUp?.audit.askedBuckets.flat().sort());
    expect(followUp?.audit.uploadedHashes.length).toBeLessThan(results.site.files);
    // Assess: ingest and fleet ran
    if (hasUnzip) expect(results.ingest[0]?.pairs[0]?.files).toBe(200);
    expect(results.fleet[0]).toMatchObject({ builds: 4, deployed: 4 });
    // Assess: the table has every group, and each row a finite median
    const groups = new Set(rows.map((row) => row.group.split(' ').slice(0, 2).join(' ')));
    expect([...groups]).toEqual(
      expect.arrayContaining([
        'end to',
        'peak RSS,',
        'ingest 200',
        'economy per',
        'follow-up build,',
        'fleet: 4',
        'AWS cost',
      ]),
    );
    for (const row of rows) expect(Number.isFinite(row.summary.median), row.figure).toBe(true);
    expect(formatTable(rows)).toContain('in-process / wrangler (paired)');
  });
});
