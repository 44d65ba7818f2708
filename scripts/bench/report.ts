/** Turns the raw results into the table's rows (median, min, max, target, verdict) and prints them. */
import { estimateCost, LAMBDA_CPU_SLOWDOWN_1024MB } from './cost.js';
import { cloudflareCap } from './fleet.js';
import type { Sample, Subject } from './measure.js';
import { unaskedUploads } from './probes.js';
import type { BenchResults } from './run-bench.js';
import { pairedRatios, type Summary, summarize } from './stats.js';

/** One line of the table. */
export interface Row {
  group: string;
  figure: string;
  unit: string;
  summary: Summary;
  target?: string;
  pass?: boolean;
}

const MiB = 1024;
const of = (samples: Sample[], subject: Subject, latencyMs?: number) =>
  samples.filter(
    (sample) => sample.subject === subject && (latencyMs === undefined || sample.latencyMs === latencyMs),
  );

function row(
  group: string,
  figure: string,
  unit: string,
  values: number[] | Summary,
  target?: { text: string; ok: (median: number) => boolean },
): Row {
  const summary = Array.isArray(values) ? summarize(values) : values;
  return {
    group,
    figure,
    unit,
    summary,
    ...(target === undefined || summary.runs === 0
      ? {}
      : { target: target.text, pass: target.ok(summary.median) }),
  };
}

function endToEndRows(results: BenchResults): Row[] {
  const rows: Row[] = [];
  const latencies = [...new Set(results.samples.map((sample) => sample.latencyMs))];
  for (const latency of latencies) {
    const group = `end to end ${results.site.name}, +${latency} ms/request`;
    const wall = (subject: Subject) =>
      of(results.samples, subject, latency).map((sample) => sample.wallMs / 1000);
    const peer = wall('wrangler');
    rows.push(row(group, `wrangler ${results.wrangler ?? '(not run)'}`, 's', peer));
    for (const subject of ['in-process', 'local-mode'] as const) {
      rows.push(row(group, `workers-drop ${subject}`, 's', wall(subject)));
      if (peer.length > 0) {
        rows.push(
          row(group, `${subject} / wrangler (paired)`, 'x', pairedRatios(wall(subject), peer), {
            text: '<= 0.33',
            ok: (m) => m <= 1 / 3,
          }),
        );
      }
    }
  }
  const memory = (subject: Subject) =>
    of(results.samples, subject, 0).map((sample) => sample.peakRssKiB / MiB);
  const group = `peak RSS, ${results.site.name}, +0 ms`;
  const peer = memory('wrangler');
  rows.push(row(group, 'wrangler (process tree)', 'MiB', peer));
  rows.push(row(group, 'workers-drop in-process (bench process)', 'MiB', memory('in-process')));
  rows.push(
    row(
      group,
      '  of which before the deploy (runtime, code, clients)',
      'MiB',
      of(results.samples, 'in-process', 0).map((sample) => (sample.baselineRssKiB ?? 0) / MiB),
    ),
  );
  rows.push(
    row(group, 'workers-drop local mode (stack process, incl. s3rver + SQS)', 'MiB', memory('local-mode')),
  );
  if (peer.length > 0) {
    rows.push(
      row(group, 'in-process / wrangler (paired)', 'x', pairedRatios(memory('in-process'), peer), {
        text: '<= 0.25',
        ok: (m) => m <= 0.25,
      }),
    );
    rows.push(row(group, 'local mode / wrangler (paired)', 'x', pairedRatios(memory('local-mode'), peer)));
  }
  return rows;
}

function smallFileRows(results: BenchResults): Row[] {
  if (results.smallFiles === undefined) return [];
  const { site, samples } = results.smallFiles;
  const group = `end to end ${site.name}, +0 ms`;
  const wall = (subject: Subject) => of(samples, subject).map((sample) => sample.wallMs / 1000);
  const rss = (subject: Subject) => of(samples, subject).map((sample) => sample.peakRssKiB / MiB);
  const rows = [
    row(group, 'wrangler wall', 's', wall('wrangler')),
    row(group, 'in-process wall', 's', wall('in-process')),
  ];
  if (wall('wrangler').length > 0) {
    rows.push(
      row(
        group,
        'in-process / wrangler wall (paired)',
        'x',
        pairedRatios(wall('in-process'), wall('wrangler')),
        { text: '<= 0.33', ok: (m) => m <= 1 / 3 },
      ),
    );
  }
  rows.push(
    row(group, 'wrangler peak RSS', 'MiB', rss('wrangler')),
    row(group, 'in-process peak RSS', 'MiB', rss('in-process')),
  );
  return rows;
}

function ingestRows(results: BenchResults): Row[] {
  return results.ingest.flatMap(({ name, pairs }) => {
    const group = `ingest ${name}`;
    const large = (pairs[0]?.archiveBytes ?? 0) >= 512 * 1024 * 1024;
    return [
      row(
        group,
        'floor: unzip -p | sha256sum',
        's',
        pairs.map((pair) => pair.floorMs / 1000),
      ),
      row(
        group,
        'workers-drop readArtifact',
        's',
        pairs.map((pair) => pair.oursMs / 1000),
      ),
      row(
        group,
        'throughput / floor (paired)',
        'x',
        pairs.map((pair) => pair.ratio),
        { text: '>= 0.8', ok: (m) => m >= 0.8 },
      ),
      row(
        group,
        'peak RSS',
        'MiB',
        pairs.map((pair) => pair.peakRssKiB / MiB),
        large ? { text: '< 256', ok: (m) => m < 256 } : undefined,
      ),
      row(
        group,
        'bytes read / archive',
        'x',
        pairs.map((pair) => pair.bytesRead / pair.archiveBytes),
      ),
    ];
  });
}

const requestsOf = (requests: Record<string, number>) =>
  Object.values(requests).reduce((sum, count) => sum + count, 0);

function economyRows(results: BenchResults): Row[] {
  const runs = of(results.samples, 'in-process', 0).filter((sample) => sample.deploy !== undefined);
  if (runs.length === 0) return [];
  const group = 'economy per deploy (in-process, no faults)';
  const buckets = runs.map((sample) => sample.audit.askedBuckets.length);
  const expectedMatches = runs.map((sample, i) =>
    requestsOf(sample.requests) === 2 + (buckets[i] ?? 0) &&
    sample.requests.session === 1 &&
    sample.requests['script-put'] === 1
      ? 1
      : 0,
  );
  const rows = [
    row(
      group,
      'S3 bytes read / archive size',
      'x',
      runs.map((sample) => (sample.deploy?.s3.artifactGetBytes ?? 0) / results.site.archiveBytes),
      { text: '<= 2', ok: (m) => m <= 2 },
    ),
    row(
      group,
      'Cloudflare requests',
      'n',
      runs.map((sample) => requestsOf(sample.requests)),
    ),
    row(group, 'upload buckets in the session', 'n', buckets),
    row(group, 'requests == 1 session + buckets + 1 PUT', 'yes=1', expectedMatches, {
      text: '= 1',
      ok: (m) => m === 1,
    }),
    row(
      group,
      'uploaded assets the session did not ask for',
      'n',
      runs.map((sample) => unaskedUploads(sample.audit).length),
      { text: '= 0', ok: (m) => m === 0 },
    ),
  ];
  if (results.followUps.length > 0) {
    const follow = 'follow-up build, 5% of files changed (in-process, no faults)';
    rows.push(
      row(
        follow,
        'wall',
        's',
        results.followUps.map((item) => item.wallMs / 1000),
      ),
      row(
        follow,
        'assets the session asked for',
        'n',
        results.followUps.map((item) => item.audit.askedBuckets.flat().length),
      ),
      row(
        follow,
        'assets uploaded',
        'n',
        results.followUps.map((item) => item.audit.uploadedHashes.length),
      ),
      row(
        follow,
        'uploaded assets the session did not ask for',
        'n',
        results.followUps.map((item) => unaskedUploads(item.audit).length),
        { text: '= 0', ok: (m) => m === 0 },
      ),
      row(
        follow,
        'Cloudflare requests',
        'n',
        results.followUps.map((item) => requestsOf(item.requests)),
      ),
    );
  }
  return rows;
}

function fleetRows(results: BenchResults): Row[] {
  if (results.fleet.length === 0) return [];
  const cap = cloudflareCap(4);
  const group = `fleet: ${results.fleet[0]?.builds} builds, ${results.config.fleet?.tenants} tenants, at once, local mode`;
  return [
    row(
      group,
      'deployed',
      'n',
      results.fleet.map((sample) => sample.deployed),
    ),
    row(
      group,
      'builds per minute',
      '/min',
      results.fleet.map((sample) => sample.buildsPerMinute),
    ),
    row(
      group,
      'artifact-to-deployed p50',
      's',
      results.fleet.map((sample) => sample.p50Ms / 1000),
    ),
    row(
      group,
      'artifact-to-deployed p95',
      's',
      results.fleet.map((sample) => sample.p95Ms / 1000),
    ),
    row(
      group,
      'artifact-to-deployed p99',
      's',
      results.fleet.map((sample) => sample.p99Ms / 1000),
    ),
    row(
      group,
      `max concurrent Cloudflare requests (cap: local ${cap.local}, AWS ${cap.invocations} x 4 = ${cap.aws})`,
      'n',
      results.fleet.map((sample) => sample.maxInFlight),
      { text: `<= ${cap.local}`, ok: (m) => m <= cap.local },
    ),
  ];
}

function costRows(results: BenchResults): Row[] {
  const runs = of(results.samples, 'in-process', 0).flatMap((sample) =>
    sample.deploy === undefined ? [] : [sample.deploy],
  );
  if (runs.length === 0) return [];
  const usage = runs.map((deploy) => ({
    invocations: deploy.invocations,
    messages: deploy.messages ?? {},
    s3: deploy.s3,
  }));
  const costs = usage.map((item) => estimateCost(item));
  const slow = usage.map((item) => estimateCost(item, 1000, LAMBDA_CPU_SLOWDOWN_1024MB));
  const group = `AWS cost per 1,000 deploys of ${results.site.name} (README formula)`;
  return [
    row(
      group,
      'Lambda GB-s per deploy',
      'GB-s',
      costs.map((cost) => cost.gbSecondsPerDeploy),
    ),
    row(
      group,
      'Lambda',
      '$',
      costs.map((cost) => cost.lambda),
    ),
    row(
      group,
      'SQS',
      '$',
      costs.map((cost) => cost.sqs),
    ),
    row(
      group,
      'S3 requests',
      '$',
      costs.map((cost) => cost.s3),
    ),
    row(
      group,
      'total',
      '$',
      costs.map((cost) => cost.total),
    ),
    row(
      group,
      'total if Lambda CPU is 1.73x slower (1,024 MB = 0.58 vCPU)',
      '$',
      slow.map((cost) => cost.total),
    ),
  ];
}

/** Every row of the table. */
export function buildRows(results: BenchResults): Row[] {
  return [
    ...endToEndRows(results),
    ...smallFileRows(results),
    ...ingestRows(results),
    ...economyRows(results),
    ...fleetRows(results),
    ...costRows(results),
  ];
}

const format = (value: number, unit: string): string => {
  if (!Number.isFinite(value)) return '-';
  if (unit === '$') return value.toFixed(4);
  if (unit === 'GB-s' || unit === 'x' || unit === 's') return value.toFixed(2);
  return value.toFixed(0);
};

/** The table as text: one block per group. */
export function formatTable(rows: Row[]): string {
  const lines: string[] = [];
  const width = Math.max(...rows.map((item) => item.figure.length), 10);
  let group = '';
  for (const item of rows) {
    if (item.group !== group) {
      group = item.group;
      lines.push('', group);
      lines.push(
        `  ${'figure'.padEnd(width)}  ${'unit'.padEnd(5)} ${'median'.padStart(9)} ${'min'.padStart(9)} ${'max'.padStart(9)}  runs  target`,
      );
    }
    const { median, min, max, runs } = item.summary;
    const verdict = item.pass === undefined ? '' : `${item.target} ${item.pass ? 'met' : 'MISSED'}`;
    lines.push(
      `  ${item.figure.padEnd(width)}  ${item.unit.padEnd(5)} ${format(median, item.unit).padStart(9)} ${format(min, item.unit).padStart(9)} ${format(max, item.unit).padStart(9)}  ${String(runs).padStart(4)}  ${verdict}`,
    );
  }
  return lines.join('\n');
}
